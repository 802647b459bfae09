"""The bureau's figures on the command center, by the same rules as the incident indicators: one
set of named subsets of the cohort (penalty cases *registered* in the period), each figure a count
or one subset over another, and every number drillable to the exact cases behind it.

- Cases by stage and by domain; filed, decided, closed.
- On time per stage, from the kernel's timers (the same rows the deadline scan marks): a stage is
  due once its clock stopped or its deadline passed while running; on time = stopped by the
  deadline. Paused clocks (hearing, testing and appraisal) are not due while paused.
- Fines decided (sum of decisions), collected (principal and late charges paid), outstanding.
- Per squad and per officer: cases, decided, fines, decisions on time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from shanzhi.cases.figures import stage_due, stage_on_time

from .models import Domain, PenaltyCase
from .states import STAGE_LABELS, Status

DECIDED = [Status.DECIDED, Status.EXECUTING, Status.EXECUTED, Status.CLOSED, Status.ARCHIVED]
OPEN = [Status.LEAD, Status.FILED, Status.REVIEW, Status.NOTICE, Status.HEARING, Status.HEARD, Status.DECIDED,
        Status.EXECUTING, Status.EXECUTED]
STAGES = ("file", "decide", "serve", "pay", "publish")


def definitions(now: dt.datetime) -> dict[str, Q]:
    defs = {
        "registered": Q(),
        "filed": Q(filed_at__isnull=False),
        "not_filed": Q(status=Status.NOT_FILED),
        "decided": Q(status__in=DECIDED),
        "penalised": Q(status__in=DECIDED, outcome="penalty"),
        "no_penalty": Q(status__in=DECIDED, outcome__in=["exempt", "no_penalty"]),
        "simple": Q(procedure="simple"),
        "closed": Q(status__in=[Status.CLOSED, Status.ARCHIVED]),
        "open": Q(status__in=OPEN),
        "hearings": Q(hearing_requested_at__isnull=False),
        "major": Q(major=True),
        "exceptions": Q(status__in=DECIDED) & ~Q(exception_reason=""),
        "unpaid_late": Q(status=Status.EXECUTING, pay_due__lt=now),
        "published": Q(published_at__isnull=False),
        "to_publish": Q(publish_due__isnull=False),
    }
    for stage in STAGES:
        defs[f"due_{stage}"] = stage_due("penalty", stage, now)
        defs[f"on_time_{stage}"] = stage_on_time("penalty", stage)
    for status in Status.values:
        defs[f"status_{status}"] = Q(status=status)
    for domain in Domain.values:
        defs[f"domain_{domain}"] = Q(item__domain=domain)
    return defs


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    numerator: str
    denominator: str | None


INDICATORS = [
    Indicator("registered", "案源数", "registered", None),
    Indicator("filed", "立案数", "filed", None),
    Indicator("decided", "作出决定数", "decided", None),
    Indicator("simple", "简易程序", "simple", None),
    Indicator("close_rate", "结案率", "closed", "filed"),
    *[Indicator(f"on_time_{s}", f"按期率·{str(STAGE_LABELS[s]).split('（')[0]}", f"on_time_{s}", f"due_{s}")
      for s in STAGES],
    Indicator("hearing_rate", "听证率", "hearings", "decided"),
    Indicator("exception_rate", "超出裁量基准", "exceptions", "decided"),
    Indicator("publish_rate", "公示率", "published", "to_publish"),
    Indicator("unpaid_late", "逾期未缴", "unpaid_late", None),
]


def cohort(qs, start: dt.datetime, end: dt.datetime):
    return qs.filter(registered_at__gte=start, registered_at__lt=end)


def compute(qs, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    defs = definitions(now)
    base = cohort(qs, start, end)
    counts = base.aggregate(**{name: Count("id", filter=q) for name, q in defs.items()})
    money = base.aggregate(decided=Sum("fine", filter=Q(status__in=DECIDED)),
                           paid=Sum("paid_amount"), late=Sum("late_charge"),
                           outstanding=Sum("fine", filter=Q(status=Status.EXECUTING)))
    money = {k: v or Decimal("0.00") for k, v in money.items()}
    money["principal_paid"] = money["paid"] - money["late"]
    figures = []
    for ind in INDICATORS:
        num = counts[ind.numerator]
        den = counts[ind.denominator] if ind.denominator else None
        value = num if den is None else (round(num * 100 / den, 1) if den else None)
        figures.append({"key": ind.key, "label": ind.label, "value": value, "numerator": num, "denominator": den,
                        "num_key": ind.numerator, "den_key": ind.denominator, "is_rate": den is not None})
    return {"counts": counts, "money": money, "indicators": figures,
            "by_status": [(s, label, counts[f"status_{s}"]) for s, label in Status.choices],
            "by_domain": [(d, label, counts[f"domain_{d}"]) for d, label in Domain.choices if counts[f"domain_{d}"]]}


def drill(qs, key: str, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None):
    defs = definitions(now or timezone.now())
    if key not in defs:
        raise KeyError(key)
    return cohort(qs, start, end).filter(defs[key])


def per_squad(qs, start, end, now=None) -> list[dict]:
    now = now or timezone.now()
    rows = (cohort(qs, start, end).values("squad_id", "squad__name")
            .annotate(cases=Count("id"), decided=Count("id", filter=Q(status__in=DECIDED)),
                      fines=Sum("fine", filter=Q(status__in=DECIDED)), paid=Sum("paid_amount"),
                      due=Count("id", filter=stage_due("penalty", "decide", now)),
                      on_time=Count("id", filter=stage_on_time("penalty", "decide")))
            .order_by("squad__name"))
    return [{**r, "rate": round(r["on_time"] * 100 / r["due"], 1) if r["due"] else None} for r in rows]


def per_officer(qs, start, end, now=None, limit: int = 30) -> list[dict]:
    """Officers by the cases they investigated in the period (a case counts for each of its two)."""
    now = now or timezone.now()
    ids = cohort(qs, start, end).values("pk")
    through = PenaltyCase.investigators.through
    decided = Q(penaltycase__status__in=DECIDED)
    return list(through.objects.filter(penaltycase__in=ids)
                .values(name=F("officer__user__display_name"), certificate=F("officer__certificate_number"),
                        squad=F("officer__squad__name"))
                .annotate(cases=Count("penaltycase"), decided=Count("penaltycase", filter=decided),
                          fines=Sum("penaltycase__fine", filter=decided))
                .order_by("-cases", "certificate")[:limit])


def scoped_cases(actor, town_code: str = ""):
    from .cases import PENALTY

    qs = PENALTY.visible(actor)
    if town_code:
        qs = qs.filter(town__code=town_code)
    return qs

