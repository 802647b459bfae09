from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnforcementConfig(AppConfig):
    name = "shanzhi.enforcement"
    label = "enforcement"
    verbose_name = _("一队伍")

    def ready(self):
        from . import cases  # noqa: F401 — registers penalty cases with the kernel
