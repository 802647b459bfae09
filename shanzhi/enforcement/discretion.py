"""Discretion (行政处罚裁量): which band a case falls in and whether a proposed fine lies inside it.

A fine outside the band of the case's circumstances is refused unless the exception path is
taken — a written reason and a higher approval, recorded with the decision (the case stages come
next; this is the rule they will call).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Basis, DiscretionBand, PenaltyItem

PER_UNIT = {Basis.COST_PERCENT: Decimal("0.01"), Basis.INVESTMENT_PERCENT: Decimal("0.01"),
            Basis.CONTRACT_PERCENT: Decimal("0.01"), Basis.VALUE_MULTIPLE: Decimal(1),
            Basis.GAINS_MULTIPLE: Decimal(1), Basis.SALES_MULTIPLE: Decimal(1), Basis.PER_SQUARE_METRE: Decimal(1),
            Basis.PER_PERSON_MONTH: Decimal(1)}
BASE_LABELS = {Basis.COST_PERCENT: _("建设工程造价（元）"), Basis.INVESTMENT_PERCENT: _("项目总投资额（元）"),
               Basis.CONTRACT_PERCENT: _("合同价款（元）"), Basis.VALUE_MULTIPLE: _("货值金额（元）"),
               Basis.GAINS_MULTIPLE: _("违法所得（元）"), Basis.SALES_MULTIPLE: _("销售金额（元）"),
               Basis.PER_SQUARE_METRE: _("非法占用面积（平方米）"), Basis.PER_PERSON_MONTH: _("人数 × 月数")}
CENT = Decimal("0.01")


def band_range(band: DiscretionBand, base: Decimal | None = None) -> tuple[Decimal, Decimal] | None:
    """The band's fine range in yuan; a band counted on a base (cost, value, gains, area) needs it."""
    if band.fine_min is None and band.fine_max is None:
        return None  # no fine in this band (a warning, an order to correct, no penalty)
    lo, hi = band.fine_min or Decimal(0), band.fine_max if band.fine_max is not None else band.fine_min
    if band.basis == Basis.AMOUNT:
        return lo, hi
    if base is None or base < 0:
        raise ValidationError({"base": ValidationError(_("请填写%(b)s") % {"b": BASE_LABELS[band.basis]},
                                                       code="base_required")})
    unit = PER_UNIT[band.basis]
    return ((lo * unit * base).quantize(CENT, ROUND_HALF_UP), (hi * unit * base).quantize(CENT, ROUND_HALF_UP))


def check_fine(item: PenaltyItem, *, level: str, amount: Decimal, base: Decimal | None = None,
               exception_reason: str = "") -> DiscretionBand:
    """The band of ``level`` for ``item``; the fine must lie within it (both ends included), or a
    written reason for going outside it must be given (the caller then needs a higher approval)."""
    band = item.bands.filter(level=level).first()
    if band is None:
        raise ValidationError({"level": ValidationError(_("该事项没有「%(l)s」的裁量基准") % {"l": level},
                                                        code="no_band")})
    amount = Decimal(amount)
    if amount < 0:
        raise ValidationError({"amount": ValidationError(_("罚款金额不能为负数"), code="negative")})
    limits = band_range(band, base)
    inside = (amount == 0) if limits is None else limits[0] <= amount <= limits[1]
    if not inside and not exception_reason.strip():
        shown = _("不予罚款") if limits is None else f"{limits[0]:,} – {limits[1]:,} 元"
        raise ValidationError({"amount": ValidationError(
            _("罚款 %(a)s 元超出「%(l)s」情形的裁量范围（%(r)s）；确需超出的，须写明理由并报请上级批准") % {
                "a": f"{amount:,}", "l": band.get_level_display(), "r": shown}, code="outside_band")})
    return band
