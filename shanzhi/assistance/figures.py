"""Social assistance on the command center, by the rules of the incident and enforcement figures:
named subsets of a cohort, each figure a count or one subset over another, each drillable to the
records behind it.

- Applications *submitted* in the period: accepted, approved, refused; on time per stage from the
  kernel's timers (a stage is due once its clock stopped or its deadline passed while running; on
  time = stopped by the deadline); the average days from application to the first payment (the
  approval of the first payment list that carries the family's enrolment).
- Alerts *raised* in the period: verified at home, turned into applications, dismissed; verified
  on time (the 5 working days of the verification clock).
- Coverage (today): families and people on the rolls by class and by town, a family counted once
  per class whatever the number of its items.
- Spending: what the payment lists of each month pay (held and voided lines excluded), by class.

Civil-affairs staff see their jurisdiction and drill to the records; leaders of the command
center see the figures of their jurisdiction only — counts, never a family.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from shanzhi.cases.figures import stage_due, stage_on_time
from shanzhi.common.jurisdiction import scope_for

from .kind import level, staff_q
from .models import Alert, AssistApplication, Beneficiary, Klass, PaymentLine, PaymentList
from .states import STAGE_LABELS, AlertStatus, Status

STAGES = ("intake", "review", "confirm")
CLOSED_LIST = [PaymentList.State.APPROVED, PaymentList.State.RECONCILED]


def region_q(actor, field: str = "region") -> Q:
    """Civil-affairs staff: their civil-affairs jurisdiction; anyone else on the command center:
    the regions of their posts (figures only)."""
    if level(actor) is not None:
        return staff_q(actor, region=field)
    scope = scope_for(actor)
    if scope.unrestricted:
        return Q()
    if not scope.region_ids:
        return Q(pk__in=[])
    return Q(**{f"{field}_id__in": scope.region_ids})


def may_drill(actor) -> bool:
    return level(actor) is not None


def app_definitions(now) -> dict[str, Q]:
    defs = {
        "apps": Q(),
        "accepted": Q(accepted_at__isnull=False),
        "not_accepted": Q(status=Status.NOT_ACCEPTED),
        "approved": Q(status=Status.APPROVED),
        "refused": Q(status=Status.REFUSED),
        "open": Q(status__in=[Status.SUBMITTED, Status.REVIEWING, Status.NOTICE, Status.CONFIRMING]),
        "from_alert": Q(channel="alert"),
        "online": Q(channel="online"),
        "agent": Q(channel="agent"),
    }
    for stage in STAGES:
        defs[f"due_{stage}"] = stage_due("assistance", stage, now)
        defs[f"on_time_{stage}"] = stage_on_time("assistance", stage)
    for status in Status.values:
        defs[f"status_{status}"] = Q(status=status)
    return defs


def alert_definitions(now) -> dict[str, Q]:
    return {
        "alerts": Q(),
        "alerts_verified": Q(status__in=[AlertStatus.VERIFIED, AlertStatus.APPLIED]),
        "alerts_applied": Q(status=AlertStatus.APPLIED),
        "alerts_dismissed": Q(status=AlertStatus.DISMISSED),
        "alerts_open": Q(status=AlertStatus.OPEN),
        "alerts_due": stage_due("assist_alert", "verify", now),
        "alerts_on_time": stage_on_time("assist_alert", "verify"),
    }


INDICATORS = [
    ("apps", "救助申请", "apps", None),
    ("approved", "批准救助", "approved", None),
    ("refused", "不予救助", "refused", None),
    ("from_alert", "预警主动发现", "from_alert", None),
    *[(f"on_time_{s}", f"按期率·{str(STAGE_LABELS[s]).split('（')[0]}", f"on_time_{s}", f"due_{s}") for s in STAGES],
    ("alerts", "预警", "alerts", None),
    ("alerts_verified", "核实需救助", "alerts_verified", None),
    ("alerts_on_time", "按期核查率", "alerts_on_time", "alerts_due"),
    ("alerts_open", "待核查预警", "alerts_open", None),
]


def compute(actor, start: dt.datetime, end: dt.datetime, town_code: str = "", now=None) -> dict:
    now = now or timezone.now()
    apps = _apps(actor, town_code).filter(submitted_at__gte=start, submitted_at__lt=end)
    alerts = _alerts(actor, town_code).filter(raised_at__gte=start, raised_at__lt=end)
    adefs, ldefs = app_definitions(now), alert_definitions(now)
    counts = apps.aggregate(**{k: Count("id", filter=q) for k, q in adefs.items()})
    counts.update(alerts.aggregate(**{k: Count("id", filter=q) for k, q in ldefs.items()}))
    figures = []
    for key, label, num, den in INDICATORS:
        n = counts[num]
        d = counts[den] if den else None
        value = n if d is None else (round(n * 100 / d, 1) if d else None)
        figures.append({"key": key, "label": label, "value": value, "numerator": n, "denominator": d,
                        "num_key": num, "den_key": den, "is_rate": d is not None})
    return {"indicators": figures, "counts": counts, "days_to_payment": days_to_payment(apps),
            "by_status": [(s, lbl, counts[f"status_{s}"]) for s, lbl in Status.choices if counts[f"status_{s}"]]}


def _apps(actor, town_code=""):
    qs = AssistApplication.objects.filter(region_q(actor))
    return qs.filter(town__code=town_code) if town_code else qs


def _alerts(actor, town_code=""):
    qs = Alert.objects.filter(region_q(actor))
    return qs.filter(town__code=town_code) if town_code else qs


def days_to_payment(apps) -> dict:
    """Average (and slowest) days from application to the approval of the first payment list
    carrying the enrolment it created."""
    first = (PaymentLine.objects.filter(beneficiary__application_id=OuterRef("pk"), plist__state__in=CLOSED_LIST)
             .exclude(state=PaymentLine.State.VOID).order_by("plist__approved_at").values("plist__approved_at")[:1])
    # Only enrolments that started since the lists have been kept on the platform: a family
    # enrolled before (migrated from the old system) had its first payment elsewhere.
    kept_from = PaymentList.objects.filter(state__in=CLOSED_LIST).order_by("month").values_list("month", flat=True) \
        .first()
    if kept_from is None:
        return {"n": 0, "avg": None, "max": None}
    rows = list(apps.filter(status=Status.APPROVED, start_month__gte=kept_from).annotate(paid=Subquery(first))
                .filter(paid__isnull=False).values_list("submitted_at", "paid"))
    days = [(paid - sub).total_seconds() / 86400 for sub, paid in rows if paid >= sub]
    if not days:
        return {"n": 0, "avg": None, "max": None}
    return {"n": len(days), "avg": round(sum(days) / len(days), 1), "max": round(max(days), 1)}


def coverage(actor, town_code: str = "") -> dict:
    """Families and people on the rolls today: by class (a family once per class) and by town."""
    qs = Beneficiary.objects.filter(region_q(actor), state=Beneficiary.State.ACTIVE)
    if town_code:
        qs = qs.filter(town__code=town_code)
    seen: dict[str, dict[int, int]] = defaultdict(dict)
    towns: dict[str, dict[int, int]] = defaultdict(dict)
    for klass, town, fam, members in qs.values_list("program__klass", "town__name", "family_id", "members") \
            .iterator(chunk_size=5000):
        seen[klass][fam] = max(members, seen[klass].get(fam, 0))
        towns[town][fam] = max(members, towns[town].get(fam, 0))
    labels = dict(Klass.choices)
    by_class = [{"key": k, "label": str(labels.get(k, k)), "families": len(f), "people": sum(f.values())}
                for k, f in seen.items()]
    by_class.sort(key=lambda r: -r["people"])
    by_town = [{"town": t, "families": len(f), "people": sum(f.values())} for t, f in towns.items()]
    by_town.sort(key=lambda r: -r["people"])
    every: dict[int, int] = {}
    for f in seen.values():
        for fam, m in f.items():
            every[fam] = max(m, every.get(fam, 0))
    return {"by_class": by_class, "by_town": by_town, "families": len(every), "people": sum(every.values())}


def spending(actor, months: int = 12, town_code: str = "") -> dict:
    """What each month's lists pay, by class (held and void lines are not paid)."""
    today = timezone.localdate().replace(day=1)
    first = today
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    qs = PaymentLine.objects.filter(region_q(actor, field="family__region"), month__gte=first, month__lte=today) \
        .exclude(state__in=[PaymentLine.State.VOID, PaymentLine.State.HELD])
    if town_code:
        qs = qs.filter(family__town__code=town_code)
    rows = qs.values("month", klass=F("plist__program__klass")).annotate(total=Sum("amount"), n=Count("id"))
    labels = dict(Klass.choices)
    month_list, m = [], first
    while m <= today:
        month_list.append(m)
        m = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    series: dict[str, list[float]] = {}
    totals = defaultdict(lambda: Decimal(0))
    for r in rows:
        label = str(labels.get(r["klass"], r["klass"]))
        series.setdefault(label, [0.0] * len(month_list))
        series[label][month_list.index(r["month"])] = float(r["total"])
        totals[r["month"]] += r["total"]
    while len(month_list) > 3 and all(v[0] == 0 for v in series.values()):  # months before the first list
        month_list.pop(0)
        for v in series.values():
            v.pop(0)
    return {"months": [f"{x:%Y-%m}" for x in month_list], "series": series,
            "this_month": totals.get(today, Decimal(0)), "year": sum(totals.values(), Decimal(0))}


def drill(actor, key: str, start, end, town_code: str = "", now=None):
    """The records behind a figure: applications or alerts."""
    now = now or timezone.now()
    adefs, ldefs = app_definitions(now), alert_definitions(now)
    if key in adefs:
        return "applications", _apps(actor, town_code).filter(submitted_at__gte=start, submitted_at__lt=end) \
            .filter(adefs[key]).select_related("program", "family__head", "region")
    if key in ldefs:
        return "alerts", _alerts(actor, town_code).filter(raised_at__gte=start, raised_at__lt=end) \
            .filter(ldefs[key]).select_related("person", "region")
    raise KeyError(key)
