from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "shanzhi.common"
    label = "common"
    verbose_name = _("公共")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401

        post_migrate.connect(_reinstall_audit_guard, sender=self)


def _reinstall_audit_guard(using="default", **kwargs):
    """Every migrate puts the audit guard back: a later migration that rebuilds the table on
    SQLite would otherwise drop its triggers silently."""
    from django.db import connections

    from . import audit_chain

    connection = connections[using]
    with connection.schema_editor() as editor:
        audit_chain.install_guard(editor)
