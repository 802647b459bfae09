from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "shanzhi.geo"
    label = "geo"
    verbose_name = _("区划与网格")

    def ready(self):
        from . import signals  # noqa: F401
