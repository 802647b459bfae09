"""The periodic deadline job: warn before a stage's deadline, mark it overdue after, send an
automatic supervision notice (督办), and escalate if configured. Each deadline is warned and
marked once: the stored deadline itself is remembered."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Incident
from ..states import STAGE_OF, Action
from . import loop

WARN_MIN = dt.timedelta(minutes=30)


def _stage_start(incident: Incident, stage: str):
    return {"register": incident.reported_at, "dispatch": incident.registered_at,
            "handle": incident.dispatched_at, "verify": incident.replied_at}[stage] or incident.reported_at


WARN_HORIZON = dt.timedelta(days=3)


def candidates(now: dt.datetime):
    """Only incidents with something to do: past a deadline not yet marked, or near one not yet warned."""
    cond = Q(pk__in=[])
    for status, stage in STAGE_OF.items():
        due = F(f"{stage}_due")
        late = Q(**{f"{stage}_due__lt": now}) & (Q(overdue_due__isnull=True) | ~Q(overdue_due=due))
        near = Q(**{f"{stage}_due__lte": now + WARN_HORIZON}) & (Q(warned_due__isnull=True) | ~Q(warned_due=due))
        cond |= Q(status=status) & (late | near)
    return Incident.objects.filter(cond).values_list("id", flat=True)


def scan_deadlines(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"warned": 0, "overdue": 0, "escalated": 0}
    for pk in list(candidates(now)):
        with transaction.atomic():
            incident = loop._lock(pk)
            stage = STAGE_OF.get(incident.status)
            due = getattr(incident, f"{stage}_due") if stage else None
            if due is None:
                continue
            if now > due and incident.overdue_due != due:
                incident.overdue_due = due
                incident.ever_overdue = True
                incident.save(update_fields=["overdue_due", "ever_overdue"])
                loop.transition(incident, Action.OVERDUE, actor=None, due=due,
                                note=_("「%(s)s」环节已超期") % {"s": incident.get_status_display()})
                loop.incident_supervise(actor=None, incident_id=pk, automatic=True,
                                        note=_("事件 %(n)s 已超过期限 %(t)s，请立即处置") % {
                                            "n": incident.number, "t": f"{timezone.localtime(due):%m-%d %H:%M}"})
                counts["overdue"] += 1
                if settings.AUTO_ESCALATE_OVERDUE and stage == "handle" and incident.tier != "county":
                    loop.incident_escalate(actor=None, incident_id=pk, reason=_("超期自动上报"))
                    counts["escalated"] += 1
                continue
            window = max(WARN_MIN, (due - _stage_start(incident, stage)) * settings.WARN_FRACTION)
            if due - window <= now <= due and incident.warned_due != due:
                incident.warned_due = due
                incident.save(update_fields=["warned_due"])
                loop.transition(incident, Action.WARN, actor=None, due=due,
                                note=_("距期限不足 %(m)d 分钟") % {"m": int((due - now).total_seconds() // 60)})
                users = loop._department_users(incident.department_id) if incident.department_id and stage == "handle" \
                    else loop._command_users(incident)
                loop._notify_users(users, _("临期预警：%(n)s") % {"n": incident.number},
                                   _("期限 %(t)s") % {"t": f"{timezone.localtime(due):%m-%d %H:%M}"}, incident, "warn")
                counts["warned"] += 1
    return counts
