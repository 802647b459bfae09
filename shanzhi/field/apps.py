from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    name = "shanzhi.field"
    verbose_name = _("外勤移动端")
    default_auto_field = "django.db.models.BigAutoField"
