from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "shanzhi.assistance"
    verbose_name = _("社会救助")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import kind  # noqa: F401 — registers assistance applications with the case kernel
