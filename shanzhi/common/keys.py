"""Where the seal key lives. Whoever holds both the database and the key reads every sealed ID
number and phone, so a deployment keeps the key out of the data directory (and its backups)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_safe_keys() -> None:
    """Refuse to serve outside the demo with the seal key generated beside the database."""
    if settings.SEAL_KEY_IN_DATA_DIR and not (settings.DEMO or settings.ALLOW_LOCAL_KEYS):
        raise ImproperlyConfigured(
            f"密封密钥保存在数据目录 {settings.DATA_DIR}/seal.key，与数据库放在一起：复制数据目录即可解密全部身份证号和手机号。"
            "请把密钥移出数据目录并通过环境变量提供：\n"
            f"  export SHANZHI_SEAL_KEY=$(cat {settings.DATA_DIR}/seal.key)，备份到安全处后删除该文件；\n"
            "确需沿用本地密钥（单机试用）时设置 SHANZHI_ALLOW_LOCAL_KEYS=1。详见 README「密钥」一节。")
