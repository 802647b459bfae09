"""Resident and company accounts for the online hall (网上办事大厅): the mobile number is
confirmed by an SMS code, the account gets the public role and nothing else."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.common import audit

from .models import Post, User
from .roles import Role


def sign_up(*, phone: str, code: str, name: str, password: str, password2: str, ip: str | None = None) -> User:
    """Create a resident's account once the code the number received is given back. The code is
    used up only when the account is made, so a fixable mistake (a short password) costs no new
    code. A number that already has an account is told so — only after the code proves the
    number is the caller's, so nobody learns whose number is registered."""
    from shanzhi.incidents.models import PhoneCode
    from shanzhi.incidents.services.public import verify_code

    name = (name or "").strip()
    errors = {}
    if not name or len(name) > 50 or "\x00" in name:
        errors["name"] = [_("请填写姓名（不超过 50 个字）")]
    if password != password2:
        errors["password2"] = [_("两次输入的密码不一致")]
    else:
        try:
            password_validation.validate_password(password or "", User(username=phone, mobile=phone, display_name=name))
        except ValidationError as exc:
            errors["password"] = exc.messages
    try:
        phone, code_id = verify_code(phone=phone, code=code)  # one answer for every bad code
    except ValidationError as exc:
        raise ValidationError({**exc.message_dict, **errors}) from None  # every field's problem at once
    if errors:
        raise ValidationError(errors)
    if User.objects.filter(mobile=phone).exists() or User.objects.filter(username=phone).exists():
        raise ValidationError({"phone": _("该手机号已注册，请直接登录；忘记密码请到便民服务中心窗口重置")})
    try:
        with transaction.atomic():
            if not PhoneCode.objects.filter(pk=code_id, used_at__isnull=True).update(used_at=timezone.now()):
                raise ValidationError({"code": _("验证码不正确或已失效，请重新获取")})
            user = User(username=phone, mobile=phone, display_name=name, is_active=True)
            user.set_password(password)
            user.save()
            Post.objects.create(user=user, role=Role.CITIZEN, title=_("网上办事大厅用户"))
            audit.record(actor=user, action="create", obj=user, ip=ip, note="注册网上办事大厅账号（短信验证手机号）",
                         after={"username": user.username, "role": Role.CITIZEN})
    except IntegrityError as exc:  # the same number registered a moment ago
        raise ValidationError({"phone": _("该手机号已注册，请直接登录")}) from exc
    return user
