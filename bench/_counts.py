"""Counters the benchmarks use to check that every accepted report was fully processed."""

from django.db.models import Q


def counts_for_bench() -> dict[str, int]:
    from shanzhi.common.models import AuditLog
    from shanzhi.incidents.models import Incident, IncidentStep
    from shanzhi.notify.models import Outbox

    return {"incidents": Incident.objects.count(), "steps": IncidentStep.objects.count(),
            "audit": AuditLog.objects.filter(object_type="incidents.incident").count(),
            "located": Incident.objects.filter(~Q(grid=None)).count(), "outbox": Outbox.objects.count()}
