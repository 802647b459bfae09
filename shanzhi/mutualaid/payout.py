"""The payout of one claim, line by line:

    payout = min((self-paid − deductible) × ratio, what is left of the disease's annual cap
                 [, what is left of the year's overall cap per person])

rounded to the cent (half up) once, at the product. Each line is {key, label, value, note, amount}
— ``value`` is what the page shows, ``amount`` the exact figure — so the worker can walk the family
through it and the stored claim shows it as it was, whatever the rule says later."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def yuan(amount: Decimal) -> str:
    return f"¥{amount.quantize(CENT):,.2f}"


def percent(ratio: Decimal) -> str:
    value = (ratio * 100).quantize(Decimal("0.01")).normalize()
    return f"{value:f}%"


@dataclass
class Computation:
    amount: Decimal
    lines: list[dict] = field(default_factory=list)
    # Why nothing is payable ("below_deductible", "cap_used"), else "".
    reason: str = ""

    def add(self, key: str, label: str, amount: Decimal | None, note: str = "", value: str | None = None):
        self.lines.append({"key": key, "label": label, "value": value if value is not None else yuan(amount),
                           "note": note, "amount": None if amount is None else str(amount)})


def compute(*, self_paid: Decimal, rule_name: str, deductible: Decimal, ratio: Decimal, cap: Decimal,
            used_rule: Decimal = ZERO, person_cap: Decimal | None = None, used_year: Decimal = ZERO) -> Computation:
    """``used_rule`` / ``used_year``: what the member has already been granted this fund year under
    this disease / under all diseases (approved or paid claims other than this one)."""
    c = Computation(amount=ZERO)
    c.add("self_paid", _("个人自付医疗费用"), self_paid, _("医保统筹、大病保险等报销后个人负担的合规费用"))
    c.add("deductible", _("起付线"), deductible, _("「%(r)s」每次住院（治疗）的起付标准") % {"r": rule_name})
    base = max(self_paid - deductible, ZERO)
    c.add("base", _("可补助费用"), base, _("个人自付 − 起付线，不足起付线的为 0"))
    c.add("ratio", _("补助比例"), None, _("「%(r)s」的补助比例") % {"r": rule_name}, value=percent(ratio))
    by_ratio = (base * ratio).quantize(CENT, ROUND_HALF_UP)
    c.add("by_ratio", _("按比例计算"), by_ratio, f"{yuan(base)} × {percent(ratio)}")
    left_rule = max(cap - used_rule, ZERO)
    c.add("cap_left", _("本病种年度封顶剩余"), left_rule,
          _("年度封顶 %(c)s，本年度已获本病种补助 %(u)s") % {"c": yuan(cap), "u": yuan(used_rule)})
    limit = left_rule
    if person_cap is not None:
        left_year = max(person_cap - used_year, ZERO)
        c.add("person_cap_left", _("年度个人补助封顶剩余"), left_year,
              _("各病种合计封顶 %(c)s，本年度已获补助 %(u)s") % {"c": yuan(person_cap), "u": yuan(used_year)})
        limit = min(limit, left_year)
    c.amount = min(by_ratio, limit)
    if base == ZERO:
        c.reason, note = "below_deductible", _("个人自付未超过起付线")
    elif limit == ZERO:
        c.reason, note = "cap_used", _("本年度补助已达封顶")
    elif by_ratio > limit:
        note = _("按比例计算的金额超过封顶剩余，按封顶剩余补助")
    else:
        note = _("按比例计算，未超过封顶")
    c.add("payout", _("本次补助金额"), c.amount, note)
    return c
