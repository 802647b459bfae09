"""Numbered enforcement documents (执法文书): one sequence per bureau (the town's comprehensive
enforcement bureau), kind and year — 徐霞客综执罚决〔2026〕12号 — and what each said when issued."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shanzhi.common import counters

from .models import PenaltyDocument

DOC_CODES = {PenaltyDocument.Kind.FILING: "立", PenaltyDocument.Kind.NOTICE: "罚告",
             PenaltyDocument.Kind.HEARING: "听", PenaltyDocument.Kind.DECISION: "罚决",
             PenaltyDocument.Kind.NO_PENALTY: "不罚", PenaltyDocument.Kind.SERVICE: "送",
             PenaltyDocument.Kind.SIMPLE: "简罚"}


def bureau_short(town) -> str:
    name = town.name
    for suffix in ("街道办事处", "街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def issue_document(case, kind: str, *, actor, at: dt.datetime, data: dict) -> PenaltyDocument:
    """A numbered document: 徐霞客综执罚决〔2026〕12号, one sequence per bureau, kind and year."""
    year = timezone.localtime(at).year
    n = counters.next_value(f"pdoc:{case.town_id}:{kind}:{year}")
    number = f"{bureau_short(case.town)}综执{DOC_CODES[kind]}〔{year}〕{n}号"
    return PenaltyDocument.objects.create(case=case, kind=kind, number=number, issued_at=at,
                                          issued_by=actor if getattr(actor, "pk", None) else None, data=data)
