from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OneWindowConfig(AppConfig):
    name = "shanzhi.onewindow"
    label = "onewindow"
    verbose_name = _("一窗口")

    def ready(self):
        from . import kind, rectification  # noqa: F401 — registers applications and rectifications with the kernel
