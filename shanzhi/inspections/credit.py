"""Credit records (信用记录) of organisations, fed by penalties and inspection results.

Other modules call ``record()`` when something happens (a penalty decided, an inspection's
result) — idempotent on (source, ref), so a retried job or a replayed history writes one event —
and read ``grade()`` / ``summary()``. The grade is derived from the events only:

  severity   points   counts for
  minor        −5      1 year
  general     −15      2 years
  serious     −30      3 years
  severe      −60      5 years
  ok            0      2 years (a clean inspection)

score = 100 − the points that still count. D: a severe event counts, or score < 60; C: a serious
one counts, or score < 80; B: any deduction counts, or no clean inspection in two years (also
an organisation nobody has looked at yet); A: a clean inspection and nothing against it.

The grade is kept on ``CreditRecord`` for lists and for the draw (which weights sampling by it),
with ``review_at``, the moment it changes by itself as an event stops counting; ``refresh_due()``
brings those up to date (the draw calls it first, and a daily task may too).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.common import audit

from .models import CreditEvent, CreditRecord, Grade, Severity, Source

RULES = {  # severity: (points, days it counts)
    Severity.MINOR: (5, 365),
    Severity.GENERAL: (15, 730),
    Severity.SERIOUS: (30, 1095),
    Severity.SEVERE: (60, 1825),
}
OK_DAYS = 730
LAST = 5
# Sampling level shift for the draw: good credit is sampled less, bad credit more.
LEVEL_SHIFT = {Grade.A: -1, Grade.B: 0, Grade.C: 1, Grade.D: 2}


def _org_id(organisation) -> int:
    pk = getattr(organisation, "pk", organisation)
    if not isinstance(pk, int) or pk <= 0:
        raise ValidationError({"organisation": ValidationError(_("单位不存在"), code="not_found")})
    return pk


def _evaluate(events, now: dt.datetime) -> tuple[str, int, dt.datetime | None]:
    """(grade, score, when the grade may next change) from (at, severity) pairs."""
    points, severe, serious, deducted, clean = 0, False, False, False, False
    expiries = []
    for at, severity in events:
        if at > now:
            continue
        if severity == Severity.OK:
            until = at + dt.timedelta(days=OK_DAYS)
            if until > now:
                clean = True
                expiries.append(until)
            continue
        value, days = RULES[severity]
        until = at + dt.timedelta(days=days)
        if until <= now:
            continue
        expiries.append(until)
        points += value
        deducted = True
        severe |= severity == Severity.SEVERE
        serious |= severity == Severity.SERIOUS
    score = max(0, 100 - points)
    if severe or score < 60:
        grade = Grade.D
    elif serious or score < 80:
        grade = Grade.C
    elif deducted or not clean:
        grade = Grade.B
    else:
        grade = Grade.A
    return str(grade), score, min(expiries) if expiries else None


def _refresh(org_id: int, now: dt.datetime) -> CreditRecord:
    rows = CreditEvent.objects.filter(organisation_id=org_id).values_list("at", "severity")
    grade, score, review = _evaluate(rows, now)
    record, _created = CreditRecord.objects.update_or_create(
        organisation_id=org_id, defaults={"grade": grade, "score": score, "review_at": review})
    return record


@transaction.atomic
def record(*, organisation, source: str, ref: str, at, severity: str, note: str = "", actor=None) -> CreditEvent:
    """One event on the organisation's record. The same (source, ref) again changes nothing — or,
    if the severity, time or note differ (a decision revised), updates that one event."""
    org_id = _org_id(organisation)
    if source not in Source.values:
        raise ValidationError({"source": ValidationError(_("信用记录来源无效"), code="invalid")})
    if severity not in Severity.values:
        raise ValidationError({"severity": ValidationError(_("信用记录程度无效"), code="invalid")})
    ref = (ref or "").strip()
    if not ref or len(ref) > 60 or "\x00" in ref + (note or ""):
        raise ValidationError({"ref": ValidationError(_("信用记录来源编号无效"), code="invalid")})
    if at is None or timezone.is_naive(at):
        raise ValidationError({"at": ValidationError(_("信用记录时间无效"), code="invalid")})
    note = (note or "").strip()[:300]
    existing = CreditEvent.objects.select_for_update().filter(source=source, ref=ref).first()
    if existing is None:
        try:
            with transaction.atomic():
                event = CreditEvent.objects.create(organisation_id=org_id, source=source, ref=ref, at=at,
                                                   severity=severity, note=note,
                                                   actor=actor if getattr(actor, "pk", None) else None)
        except IntegrityError:  # someone recorded it at the same moment: theirs stands
            existing = CreditEvent.objects.select_for_update().get(source=source, ref=ref)
        else:
            _after_change(event, actor, None)
            return event
    if existing.organisation_id != org_id:
        raise ValidationError({"ref": ValidationError(_("来源编号 %(r)s 已记在另一单位名下") % {"r": ref},
                                                      code="conflict")})
    before = {"severity": existing.severity, "at": existing.at, "note": existing.note}
    if before == {"severity": severity, "at": at, "note": note}:
        return existing
    existing.severity, existing.at, existing.note = severity, at, note
    existing.save(update_fields=["severity", "at", "note"])
    _after_change(existing, actor, before)
    return existing


def _after_change(event: CreditEvent, actor, before: dict | None) -> None:
    record_ = _refresh(event.organisation_id, timezone.now())
    from shanzhi.registry.models import Organisation

    region_id = Organisation.objects.filter(pk=event.organisation_id).values_list("region_id", flat=True).first()
    audit.record(actor=actor, action="update" if before else "create", obj=event, region_id=region_id,
                 before=before, after={"severity": event.severity, "at": event.at, "note": event.note,
                                       "grade": record_.grade, "score": record_.score})


def grade(organisation) -> str:
    """The organisation's grade now (A–D), from its events."""
    org_id = _org_id(organisation)
    rows = CreditEvent.objects.filter(organisation_id=org_id).values_list("at", "severity")
    return _evaluate(rows, timezone.now())[0]


def summary(organisation) -> dict:
    """What the one window, the registries and the draw show: the grade, the score, counts of the
    events that still count by severity, counts by source, and the last events."""
    org_id = _org_id(organisation)
    now = timezone.now()
    events = list(CreditEvent.objects.filter(organisation_id=org_id).order_by("-at", "-id"))
    g, score, review = _evaluate([(e.at, e.severity) for e in events], now)
    counting = {s: 0 for s in Severity.values}
    by_source = {s: 0 for s in Source.values}
    for e in events:
        by_source[e.source] += 1
        days = OK_DAYS if e.severity == Severity.OK else RULES[e.severity][1]
        if e.at <= now < e.at + dt.timedelta(days=days):
            counting[e.severity] += 1
    labels = dict(Severity.choices)
    sources = dict(Source.choices)
    return {
        "grade": g, "grade_label": str(dict(Grade.choices)[g]), "score": score, "review_at": review,
        "counts": counting, "by_source": by_source, "total": len(events),
        "last": [{"source": e.source, "source_label": str(sources[e.source]), "ref": e.ref, "at": e.at,
                  "severity": e.severity, "severity_label": str(labels[e.severity]), "note": e.note}
                 for e in events[:LAST]],
    }


def refresh_due(now: dt.datetime | None = None) -> int:
    """Grades whose events stopped counting since they were last worked out."""
    now = now or timezone.now()
    due = list(CreditRecord.objects.filter(review_at__lte=now).values_list("organisation_id", flat=True)[:50_000])
    for org_id in due:
        _refresh(org_id, now)
    return len(due)


def sampling_level(risk: int, grade_: str | None) -> int:
    """The draw's level 1–4: the entity's risk moved by its credit (A one down, C one up, D two up)."""
    return max(1, min(4, int(risk) + LEVEL_SHIFT.get(grade_ or Grade.B, 0)))
