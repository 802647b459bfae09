"""Photos from phones: verified as images, size-limited, resized, EXIF (with its GPS) stripped."""

from __future__ import annotations

import io
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
MAX_PHOTOS = 6
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo; more is not a photo but work for the server


def clean_photo(upload) -> ContentFile:
    """Return a JPEG without metadata, at most MAX_SIDE pixels on its long side."""
    size = getattr(upload, "size", None)
    raw = upload.read() if hasattr(upload, "read") else bytes(upload)
    if (size or len(raw)) > MAX_BYTES:
        raise ValidationError(_("照片过大（上限 10 MB）"), code="too_large")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("照片像素过大（上限 5,000 万像素）"), code="too_many_pixels")
            probe.verify()
        image = Image.open(io.BytesIO(raw))
        image = ImageOps.exif_transpose(image)  # keep the orientation the phone meant, then drop EXIF
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("上传的文件不是有效的图片"), code="not_image") from exc
    image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)  # no exif= argument: metadata is not written
    content = ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
    content.width, content.height = image.size
    return content


def clean_photos(uploads) -> list[ContentFile]:
    uploads = list(uploads or [])
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError({"photos": _("最多上传 %(n)d 张照片") % {"n": MAX_PHOTOS}})
    cleaned = []
    for upload in uploads:
        try:
            cleaned.append(clean_photo(upload))
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from exc
    return cleaned
