from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MutualAidConfig(AppConfig):
    name = "shanzhi.mutualaid"
    verbose_name = _("福村宝村级医疗互助")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import kind  # noqa: F401 — registers mutual-aid claims with the case kernel
