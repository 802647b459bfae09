from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "shanzhi.incidents"
    label = "incidents"
    verbose_name = _("网格事件")

    def ready(self):
        from django.db import transaction
        from django.db.models.signals import post_delete, post_save

        from .models import IncidentClass

        def changed(**kwargs):
            from shanzhi.common.counters import bump

            from .services.intake import catalog

            catalog.version = -1  # this process at once; the others through the counter
            transaction.on_commit(lambda: bump("incident-classes"))

        post_save.connect(changed, sender=IncidentClass, weak=False)
        post_delete.connect(changed, sender=IncidentClass, weak=False)
