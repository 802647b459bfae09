"""福村宝: every read and write a person makes, scoped to their civil-affairs posts.

Only civil-affairs staff (and the administrator) work here, each inside the region subtree of
their posts: a village aide their village's fund, the town office the town's funds, the county
bureau all of them. Another role is refused outright; a fund or claim outside the actor's regions
answers exactly like one that does not exist. Every write runs in one transaction, writes one
audit row, and on bad input changes nothing. Claims move only through ``_open`` → ``_finish``:
version check, allowed move, the actor's level, the step row and the audit row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.assistance.kind import civil_region_ids, in_staff_scope, level, staff_q
from shanzhi.cases.clocks import Clocks
from shanzhi.cases.errors import Conflict
from shanzhi.cases.transition import open_move
from shanzhi.common import audit, counters, crypto, masking, params, references
from shanzhi.common.identifiers import normalise_id_number
from shanzhi.common.money import HOUSEHOLD_LIMIT, parse_money

from .kind import MUTUALAID
from .models import Claim, ClaimStep, DiseaseRule, Fund, FundYear, Income, Membership, Payment
from .payout import ZERO, Computation, compute, yuan
from .states import APPROVE_DAYS, COMMITTED, COUNTED, PAY_DAYS, REVIEW_DAYS, TOWN, Action, Status

MAX_TEXT = 2000
BACKDATE_DAYS = 7
VILLAGE_INCOME_MAX = Decimal("50000")  # booked by the village alone
INCOME_MAX = Decimal("5000000")
FUND_SCOPE = "fund__region"


# ------------------------------------------------------------------------------- input
def _err(field_name: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field_name: ValidationError(message, code=code)})


def _text(value, field_name: str, label: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    return params.text(value, field_name, label, required=required, limit=limit)


def _money(value, field_name: str, label: str, *, required: bool = True, positive: bool = True) -> Decimal | None:
    amount = parse_money(value, field_name, label, required=required, limit=HOUSEHOLD_LIMIT)
    if amount is not None and positive and amount <= 0:
        raise _err(field_name, _("%(l)s须大于 0") % {"l": label})
    return amount


def parse_ratio(value, field_name: str = "ratio") -> Decimal:
    """0.5, 0.55 or 50%, 55.5% → a ratio in (0, 1] with at most four decimals."""
    text = str(value or "").strip().replace("％", "%")
    pct = text.endswith("%")
    body = text[:-1].strip() if pct else text
    if not re.fullmatch(r"\d{1,3}(\.\d{1,4})?", body):
        raise _err(field_name, _("补助比例应为 0 至 1 之间的小数（如 0.5），或写作百分数（如 50%）"))
    try:
        ratio = Decimal(body) / (100 if pct else 1)
    except InvalidOperation:
        raise _err(field_name, _("补助比例无效")) from None
    if not Decimal(0) < ratio <= 1 or ratio != ratio.quantize(Decimal("0.0001")):
        raise _err(field_name, _("补助比例应大于 0、不超过 100%，最多保留四位小数"))
    return ratio.quantize(Decimal("0.0001"))


def _who(actor):
    return actor if getattr(actor, "pk", None) else None


# ------------------------------------------------------------------------------- scoping
def staff_level(actor) -> int:
    """The actor's civil-affairs level (3 county, 4 town, 5 village); other roles are refused."""
    lv = level(actor) if getattr(actor, "is_authenticated", False) else None
    if lv is None:
        raise PermissionDenied(_("福村宝由民政（社会救助）工作人员办理，您的岗位不能使用"))
    return lv


def _need(actor, at_most: int, message: str) -> int:
    lv = staff_level(actor)
    if lv > at_most:
        raise PermissionDenied(message)
    return lv


def funds(actor):
    """The funds of the villages under the actor's civil-affairs posts."""
    staff_level(actor)
    return Fund.objects.select_related("region", "town").filter(staff_q(actor))


def get_fund(actor, pk, *, lock: bool = False) -> Fund:
    qs = funds(actor)
    if lock:
        qs = qs.select_for_update(of=("self",))
    pk = references.as_id(pk)
    fund = qs.filter(pk=pk).first() if pk else None
    if fund is None:
        raise Http404
    return fund


def claims(actor, fund=None):
    staff_level(actor)
    qs = Claim.objects.select_related("membership__person", "rule", "fund__region", "fund_year", "submitted_by")
    qs = qs.filter(staff_q(actor))  # the claim's own village (copied from its fund)
    return qs.filter(fund=fund) if fund is not None else qs


def get_claim(actor, pk) -> Claim:
    """A claim through the actor's scope; outside it, exactly like a claim that does not exist."""
    pk = references.as_id(pk)
    claim = claims(actor).filter(pk=pk).first() if pk else None
    if claim is None:
        raise Http404
    return claim


def memberships(actor, fund, year: FundYear | None = None):
    staff_level(actor)
    if not in_staff_scope(actor, fund.region_id):
        raise Http404
    qs = Membership.objects.filter(fund=fund).select_related("person", "fund_year")
    return qs.filter(fund_year=year) if year is not None else qs


def villages(actor):
    """Villages (and communities) the actor may open a fund for."""
    from shanzhi.geo.models import Region

    staff_level(actor)
    qs = Region.objects.filter(level=Region.Level.VILLAGE)
    ids = civil_region_ids(actor)
    return qs if ids is None else qs.filter(pk__in=ids)


def year_of(fund: Fund, year=None, *, at=None, field_name: str = "year") -> FundYear:
    """The fund's scheme for ``year`` (default: this year)."""
    if year in (None, ""):
        year = timezone.localdate(at).year
    try:
        number = int(str(year).strip())
    except ValueError:
        raise _err(field_name, _("年度无效")) from None
    fy = FundYear.objects.filter(fund=fund, year=number).first()
    if fy is None:
        raise _err(field_name, _("%(f)s尚未制定 %(y)d 年度方案") % {"f": fund.name, "y": number}, "no_scheme")
    return fy


def residents(fund: Fund):
    """The village's registered residents: who may join its fund."""
    from shanzhi.registry.models import Person

    return Person.objects.filter(region_id=fund.region_id)


def find_resident(fund: Fund, *, pk=None, id_number: str = "", name: str = "", field_name: str = "person"):
    """A resident of the fund's village, by id or by ID number and name together (a wrong name
    answers exactly like an unknown number, so the form cannot be used to test numbers)."""
    from shanzhi.registry.models import Person

    label = _("本村（社区）登记的该居民")
    qs = residents(fund)
    if pk not in (None, ""):
        person = references.resolve(qs, field=field_name, label=label, pk=pk)
    else:
        try:
            number = normalise_id_number(id_number)
        except ValidationError:
            raise _err("id_number", _("身份证号格式不正确")) from None
        person = qs.filter(id_bidx=crypto.blind_index("id", number)).first()
        if person is None or person.name != (name or "").strip():
            raise references.not_found(field_name, label)
    if person.residence != Person.Residence.REGISTERED:
        raise _err(field_name, _("%(p)s不是本村（社区）户籍人口，不能参加本村福村宝") % {"p": person.name},
                   "not_registered")
    return person


# ------------------------------------------------------------------------------- figures
@dataclass
class Figures:
    income: Decimal = ZERO
    by_kind: dict = field(default_factory=dict)
    paid: Decimal = ZERO
    committed: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        """What the fund holds: income − paid."""
        return self.income - self.paid

    @property
    def available(self) -> Decimal:
        """What may still be approved: the balance less approved claims not yet paid."""
        return self.balance - self.committed


def figures(fund: Fund, *, year: FundYear | None = None) -> Figures:
    """The fund's money, all years (``year``: that year's income and payouts only)."""
    incomes = Income.objects.filter(fund=fund)
    payments = Payment.objects.filter(fund=fund)
    committed = Claim.objects.filter(fund=fund, status__in=COMMITTED)
    if year is not None:
        incomes, payments = incomes.filter(fund_year=year), payments.filter(claim__fund_year=year)
        committed = committed.filter(fund_year=year)
    out = Figures()
    for kind, total in incomes.values_list("kind").annotate(t=Sum("amount")).order_by():
        out.by_kind[kind] = total
        out.income += total
    out.paid = payments.aggregate(t=Sum("amount"))["t"] or ZERO
    out.committed = committed.aggregate(t=Sum("payout"))["t"] or ZERO
    return out


def overview(actor, fund_list) -> dict[int, dict]:
    """Per fund: balance, members this year, open claims — in a handful of grouped queries."""
    ids = [f.pk for f in fund_list]
    this_year = timezone.localdate().year
    income = dict(Income.objects.filter(fund_id__in=ids).values_list("fund_id").annotate(t=Sum("amount")).order_by())
    paid = dict(Payment.objects.filter(fund_id__in=ids).values_list("fund_id").annotate(t=Sum("amount")).order_by())
    members = dict(Membership.objects.filter(fund_id__in=ids, fund_year__year=this_year).values_list("fund_id")
                   .annotate(n=Count("id")).order_by())
    waiting: dict[int, dict[str, int]] = {}
    for fid, status, n in (Claim.objects.filter(fund_id__in=ids, status__in=[Status.SUBMITTED, Status.REVIEWED,
                                                                              Status.APPROVED])
                           .values_list("fund_id", "status").annotate(n=Count("id")).order_by()):
        waiting.setdefault(fid, {})[status] = n
    return {fid: {"balance": (income.get(fid) or ZERO) - (paid.get(fid) or ZERO), "income": income.get(fid) or ZERO,
                  "paid": paid.get(fid) or ZERO, "members": members.get(fid, 0), "waiting": waiting.get(fid, {})}
            for fid in ids}


# ------------------------------------------------------------------------------- configuration
@transaction.atomic
def fund_open(*, actor, region, name: str = "", established_on=None, manager: str = "", at=None) -> Fund:
    """A village's fund, set up by the town's civil-affairs office or the county; one per village."""
    at = at or timezone.now()
    _need(actor, TOWN, _("设立福村宝基金须由镇（街道）或县级民政部门办理"))
    village = references.resolve(villages(actor).select_related("parent"), field="region", label=_("村（社区）"),
                                 pk=region)
    if Fund.objects.filter(region=village).exists():
        raise Conflict(_("%(v)s已设立福村宝基金") % {"v": village.name}, code="already_done")
    fund = Fund.objects.create(
        region=village, town=village.parent, name=_text(name, "name", _("基金名称"), required=False, limit=80)
        or f"{village.name}福村宝医疗互助基金",
        manager=_text(manager, "manager", _("管理机构"), required=False, limit=80) or "村医疗互助理事会",
        established_on=params.labeled_day(established_on, "established_on", _("设立日期")) if established_on
        else timezone.localdate(at))
    audit.record(actor=actor, action="create", obj=fund, at=at, region_id=village.pk,
                 after={"name": fund.name, "region": village.code})
    return fund


@transaction.atomic
def year_open(*, actor, fund_id, year, contribution, join_from=None, join_until=None, person_cap=None,
              basis: str = "", copy_rules: bool = True, at=None) -> FundYear:
    """A year's scheme, covering the calendar year; the previous year's disease rules are copied
    (and may then be changed) unless ``copy_rules`` is off."""
    at = at or timezone.now()
    _need(actor, TOWN, _("年度方案须由镇（街道）或县级民政部门制定"))
    fund = get_fund(actor, fund_id, lock=True)
    try:
        number = int(str(year).strip())
    except ValueError:
        raise _err("year", _("年度无效")) from None
    if not 2000 <= number <= 2100:
        raise _err("year", _("年度无效"))
    if FundYear.objects.filter(fund=fund, year=number).exists():
        raise Conflict(_("%(y)d 年度方案已制定") % {"y": number}, code="already_done")
    start = params.labeled_day(join_from, "join_from", _("参保登记开始")) if join_from else None
    until = params.labeled_day(join_until, "join_until", _("参保登记截止")) if join_until else None
    if start and until and until < start:
        raise _err("join_until", _("参保登记截止不能早于开始"))
    fy = FundYear.objects.create(
        fund=fund, year=number, contribution=_money(contribution, "contribution", _("个人缴费标准")),
        join_from=start, join_until=until, cover_from=dt.date(number, 1, 1), cover_until=dt.date(number, 12, 31),
        person_cap=_money(person_cap, "person_cap", _("年度个人补助封顶"), required=False),
        basis=_text(basis, "basis", _("方案依据"), required=False, limit=120))
    previous = FundYear.objects.filter(fund=fund, year__lt=number).order_by("-year").first()
    if copy_rules and previous is not None:
        DiseaseRule.objects.bulk_create([
            DiseaseRule(fund_year=fy, name=r.name, public_label=r.public_label, deductible=r.deductible, ratio=r.ratio,
                        cap=r.cap, order=r.order) for r in previous.rules.filter(is_active=True)])
    audit.record(actor=actor, action="create", obj=fy, at=at, region_id=fund.region_id,
                 after={"year": number, "contribution": fy.contribution, "person_cap": fy.person_cap,
                        "rules_copied_from": previous.year if copy_rules and previous else None})
    return fy


@transaction.atomic
def rule_add(*, actor, year_id, name: str, deductible, ratio, cap, public_label: str = "", at=None) -> DiseaseRule:
    at = at or timezone.now()
    _need(actor, TOWN, _("病种补助标准须由镇（街道）或县级民政部门制定"))
    fy = FundYear.objects.select_related("fund").filter(staff_q(actor, region=FUND_SCOPE),
                                                        pk=references.as_id(year_id)).first()
    if fy is None:
        raise Http404
    name = _text(name, "name", _("病种"), limit=40)
    if fy.rules.filter(name=name).exists():
        raise Conflict(_("本年度已有「%(n)s」的补助标准") % {"n": name}, code="already_done")
    rule = DiseaseRule.objects.create(
        fund_year=fy, name=name, public_label=_text(public_label, "public_label", _("公示用类别"), required=False,
                                                    limit=40),
        deductible=_money(deductible, "deductible", _("起付线"), positive=False), ratio=parse_ratio(ratio),
        cap=_money(cap, "cap", _("年度个人封顶")), order=fy.rules.count() + 1)
    audit.record(actor=actor, action="create", obj=rule, at=at, region_id=fy.fund.region_id,
                 after={"year": fy.year, "name": name, "deductible": rule.deductible, "ratio": rule.ratio,
                        "cap": rule.cap})
    return rule


# ------------------------------------------------------------------------------- members and income
def _joined(person, existing: Membership | None, fy: FundYear) -> ValidationError:
    if existing is None:
        message = _("%(p)s已参加本村 %(y)d 年度福村宝，同一人每个年度只能参加一次") % {"p": person.name, "y": fy.year}
    else:
        message = _("%(p)s已于 %(d)s 参加本村 %(y)d 年度福村宝，同一人每个年度只能参加一次") % {
            "p": person.name, "d": existing.paid_on.isoformat(), "y": fy.year}
    return _err("person", message, "already_member")


@transaction.atomic
def member_join(*, actor, fund_id, person=None, id_number: str = "", name: str = "", year=None, contribution=None,
                paid_on=None, at=None) -> Membership:
    """A resident joins the village's fund for one year, paying the year's contribution (which
    goes into the income ledger); once per person and year."""
    at = at or timezone.now()
    fund = get_fund(actor, fund_id)
    fy = year_of(fund, year, at=at)
    who = find_resident(fund, pk=person, id_number=id_number, name=name)
    existing = Membership.objects.filter(fund_year=fy, person=who).first()
    if existing is not None:
        raise _joined(who, existing, fy)
    today = timezone.localdate(at)
    day = params.labeled_day(paid_on, "paid_on", _("缴费日期")) if paid_on not in (None, "") else today
    if day > today:
        raise _err("paid_on", _("缴费日期不能晚于今天"))
    # Cover starts from the payment: it may be recorded a few days after the cash was collected,
    # never back-dated further (a late joiner would otherwise be covered for an illness already had).
    if day < today - dt.timedelta(days=BACKDATE_DAYS) and staff_level(actor) > TOWN:
        raise _err("paid_on", _("缴费日期最多可补录 %(n)d 天前的；更早的缴费请核实后由镇民政办处理") % {
            "n": BACKDATE_DAYS}, "backdated")
    if fy.join_until and today > fy.join_until:
        raise _err("paid_on", _("%(y)d 年度参保登记已于 %(d)s 截止") % {"y": fy.year, "d": fy.join_until.isoformat()},
                   "closed")
    if fy.join_from and day < fy.join_from:
        raise _err("paid_on", _("%(y)d 年度参保登记自 %(d)s 开始") % {"y": fy.year, "d": fy.join_from.isoformat()},
                   "not_open")
    if fy.join_until and day > fy.join_until:
        raise _err("paid_on", _("%(y)d 年度参保登记已于 %(d)s 截止") % {"y": fy.year, "d": fy.join_until.isoformat()},
                   "closed")
    if day > fy.cover_until:
        raise _err("paid_on", _("%(y)d 年度保障期已结束") % {"y": fy.year}, "closed")
    amount = fy.contribution if contribution in (None, "") else _money(contribution, "contribution", _("个人缴费"))
    if amount != fy.contribution:
        raise _err("contribution", _("%(y)d 年度个人缴费标准为 %(a)s/人，请按标准缴费") % {
            "y": fy.year, "a": yuan(fy.contribution)}, "wrong_amount")
    try:
        with transaction.atomic():
            member = Membership.objects.create(fund=fund, fund_year=fy, person=who, contribution=amount, paid_on=day,
                                               recorded_by=_who(actor))
    except IntegrityError:  # the same person registered at the same moment by someone else
        raise _joined(who, None, fy) from None
    Income.objects.create(fund=fund, fund_year=fy, kind=Income.Kind.MEMBER, amount=amount, received_on=day,
                          source=_("个人缴费"), membership=member, recorded_by=_who(actor), recorded_at=at)
    audit.record(actor=actor, action="create", obj=member, at=at, region_id=fund.region_id,
                 after={"year": fy.year, "person": masking.mask_name(who.name), "contribution": amount,
                        "paid_on": day})
    return member


INCOME_FORM_KINDS = (Income.Kind.COLLECTIVE, Income.Kind.DONATION)


@transaction.atomic
def income_add(*, actor, fund_id, kind: str, amount, received_on=None, source: str = "", note: str = "",
               year=None, at=None) -> Income:
    """The village collective's share or a donation into the ledger (member fees come with the
    membership)."""
    at = at or timezone.now()
    fund = get_fund(actor, fund_id)
    if kind == Income.Kind.MEMBER:
        raise _err("kind", _("个人缴费随参保登记自动入账，请在参保人员页面登记"))
    if kind not in INCOME_FORM_KINDS:
        raise _err("kind", _("请选择收入来源类型"))
    value = _money(amount, "amount", _("金额"))
    lv = staff_level(actor)
    # What one village worker may book alone: money that arrived lately and a sum a village
    # raises; a larger sum or an older one is booked by the town (or county) office.
    if value > INCOME_MAX:
        raise _err("amount", _("单笔入账不能超过 %(m)s") % {"m": yuan(INCOME_MAX)}, "too_large")
    if value > VILLAGE_INCOME_MAX and lv > TOWN:
        raise PermissionDenied(_("单笔超过 %(m)s 的入账须由镇（街道）民政办登记") % {"m": yuan(VILLAGE_INCOME_MAX)})
    today = timezone.localdate(at)
    day = params.labeled_day(received_on, "received_on", _("到账日期")) if received_on not in (None, "") else today
    if day > today:
        raise _err("received_on", _("到账日期不能晚于今天"))
    if day < today - dt.timedelta(days=BACKDATE_DAYS) and lv > TOWN:
        raise _err("received_on", _("到账日期最多可补录 %(n)d 天前的；更早的款项由镇（街道）民政办核实后登记") % {
            "n": BACKDATE_DAYS}, "backdated")
    fy = year_of(fund, year if year not in (None, "") else day.year, at=at)
    if kind == Income.Kind.DONATION:
        payer = _text(source, "source", _("捐赠单位或个人"), limit=100)
    else:
        payer = _text(source, "source", _("缴款单位"), required=False, limit=100) or f"{fund.region.name}村集体经济"
    row = Income.objects.create(fund=fund, fund_year=fy, kind=kind, amount=value, received_on=day, source=payer,
                                note=_text(note, "note", _("说明"), required=False, limit=200),
                                recorded_by=_who(actor), recorded_at=at)
    audit.record(actor=actor, action="create", obj=row, at=at, region_id=fund.region_id,
                 after={"kind": kind, "amount": value, "received_on": day, "source": payer, "year": fy.year})
    return row


# ------------------------------------------------------------------------------- claims
def _membership(fund: Fund, ref) -> Membership:
    return references.resolve(Membership.objects.filter(fund=fund).select_related("person", "fund_year"),
                              field="membership", label=_("参保人"), pk=ref)


def _rule(member: Membership, ref) -> DiseaseRule:
    return references.resolve(DiseaseRule.objects.filter(fund_year_id=member.fund_year_id, is_active=True),
                              field="rule", label=_("本年度的病种"), pk=ref)


def _used(member: Membership, rule: DiseaseRule, exclude_id=None) -> tuple[Decimal, Decimal]:
    qs = Claim.objects.filter(membership=member, status__in=COUNTED)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    year = qs.aggregate(t=Sum("payout"))["t"] or ZERO
    same = qs.filter(rule=rule).aggregate(t=Sum("payout"))["t"] or ZERO
    return same, year


def assess(member: Membership, rule: DiseaseRule, self_paid: Decimal, *, exclude_id=None) -> Computation:
    used_rule, used_year = _used(member, rule, exclude_id)
    return compute(self_paid=self_paid, rule_name=rule.name, deductible=rule.deductible, ratio=rule.ratio,
                   cap=rule.cap, used_rule=used_rule, person_cap=member.fund_year.person_cap, used_year=used_year)


def _nothing_payable(c: Computation, rule: DiseaseRule, self_paid: Decimal) -> ValidationError:
    if c.reason == "below_deductible":
        return _err("self_paid", _("个人自付 %(p)s 未超过「%(r)s」起付线 %(d)s，没有可补助的金额") % {
            "p": yuan(self_paid), "r": rule.name, "d": yuan(rule.deductible)}, "below_deductible")
    return _err("rule", _("该参保人本年度补助已达封顶（「%(r)s」封顶 %(c)s），不能再申请") % {
        "r": rule.name, "c": yuan(rule.cap)}, "cap_used")


def claim_preview(*, actor, fund_id, membership, rule, self_paid) -> Computation:
    """The payout the claim form shows as it is filled in; writes nothing."""
    fund = get_fund(actor, fund_id)
    member = _membership(fund, membership)
    r = _rule(member, rule)
    return assess(member, r, _money(self_paid, "self_paid", _("个人自付医疗费用")))


def _claim_number(year: int) -> str:
    """HZ + the fund year + a sequence of that year (the demo reserves its numbers from the same one)."""
    return f"HZ{year}{counters.next_value(f'mutualaid-claim:{year}'):06d}"


def _step(claim: Claim, action: str, actor, at, *, from_status: str = "", note: str = "", data=None,
          label: str = "") -> ClaimStep:
    return ClaimStep.objects.create(claim=claim, action=action, at=at, actor=_who(actor),
                                    actor_label=(label or str(actor or _("系统")))[:100], from_status=from_status,
                                    to_status=claim.status, note=note, data=data or {})


@transaction.atomic
def claim_submit(*, actor, fund_id, membership, rule, hospital: str, admitted_on, discharged_on, self_paid,
                 total_cost=None, diagnosis: str = "", at=None) -> Claim:
    """A claim for a member's stay in hospital (or course of treatment) in the year covered: the
    stay must fall in the member's fund year and after they paid; the payout is computed now and
    again, authoritatively, when the town approves."""
    at = at or timezone.now()
    fund = get_fund(actor, fund_id)
    member = _membership(fund, membership)
    r = _rule(member, rule)
    fy = member.fund_year
    hospital = _text(hospital, "hospital", _("就诊医院"), limit=80)
    admitted = params.labeled_day(admitted_on, "admitted_on", _("入院（就诊）日期"))
    discharged = params.labeled_day(discharged_on, "discharged_on", _("出院（结算）日期"))
    if discharged < admitted:
        raise _err("discharged_on", _("出院（结算）日期不能早于入院日期"))
    if discharged > timezone.localdate(at):
        raise _err("discharged_on", _("出院（结算）日期不能晚于今天"))
    if not fy.cover_from <= admitted <= fy.cover_until:
        raise _err("admitted_on", _("入院日期不在 %(y)d 年度保障期（%(a)s 至 %(b)s）内") % {
            "y": fy.year, "a": fy.cover_from.isoformat(), "b": fy.cover_until.isoformat()}, "not_covered")
    if member.paid_on > fy.cover_from and admitted < member.paid_on:
        raise _err("admitted_on", _("入院日期早于参保缴费日期（%(d)s），不在保障范围内") % {
            "d": member.paid_on.isoformat()}, "not_covered")
    paid = _money(self_paid, "self_paid", _("个人自付医疗费用"))
    total = _money(total_cost, "total_cost", _("医疗总费用"), required=False)
    if total is not None and paid > total:
        raise _err("self_paid", _("个人自付不能超过医疗总费用"))
    diagnosis = _text(diagnosis, "diagnosis", _("诊断"), required=False, limit=200)
    # One stay, one claim: any claim of the member (whatever the disease or the hospital's spelling)
    # whose stay overlaps this one is the same treatment.
    dupe = (Claim.objects.filter(membership__person_id=member.person_id, admitted_on__lte=discharged,
                                 discharged_on__gte=admitted).exclude(status=Status.REFUSED).first())
    if dupe is not None:
        raise Conflict(_("该参保人 %(a)s 至 %(b)s 的住院（就诊）已有互助申请（%(n)s），请勿重复申请") % {
            "a": dupe.admitted_on.isoformat(), "b": dupe.discharged_on.isoformat(), "n": dupe.number}, code="duplicate")
    c = assess(member, r, paid)
    if c.amount <= 0:
        raise _nothing_payable(c, r, paid)
    claim = Claim.objects.create(
        number=_claim_number(fy.year), fund=fund, fund_year=fy, region_id=fund.region_id, town_id=fund.town_id,
        membership=member, rule=r, hospital=hospital,
        admitted_on=admitted, discharged_on=discharged, total_cost=total, self_paid=paid, diagnosis=diagnosis,
        payout=c.amount, lines=c.lines, submitted_by=_who(actor), submitted_at=at)
    Clocks(MUTUALAID, claim, at).start("review", REVIEW_DAYS, "working_days", fresh=True)
    claim.save(update_fields=["due"])
    _step(claim, Action.SUBMIT, actor, at, note=_("%(r)s，%(h)s，个人自付 %(p)s，测算补助 %(x)s") % {
        "r": r.name, "h": hospital, "p": yuan(paid), "x": yuan(c.amount)}, data={"payout": str(c.amount)})
    audit.record(actor=actor, action="create", obj=claim, at=at, region_id=fund.region_id,
                 after={"number": claim.number, "member": masking.mask_name(member.person.name), "rule": r.name,
                        "self_paid": paid, "payout": c.amount})
    return claim


def _open(actor, claim_id, action: str, expected_version, at=None):
    """The kernel's one transition path: the claim locked through the actor's scope (outside it
    exactly like a missing one), the allowed moves, the post's right and the version seen."""
    staff_level(actor)
    return open_move(MUTUALAID, references.as_id(claim_id) or 0, action, actor=actor, at=at,
                     expected_version=params.version(expected_version) if expected_version not in (None, "") else None)


@transaction.atomic
def claim_review(*, actor, claim_id, expected_version=None, note: str = "", at=None) -> Claim:
    """村级审核: the village checks membership, the disease and the hospital's settlement sheet."""
    at = at or timezone.now()
    m = _open(actor, claim_id, Action.REVIEW, expected_version, at)
    claim = m.case
    claim.reviewed_by, claim.reviewed_at = _who(actor), m.at
    m.clocks.stop("review")
    m.clocks.start("approve", APPROVE_DAYS, "working_days", fresh=True)
    m.finish(note=_text(note, "note", _("审核意见"), required=False, limit=400) or _("材料齐全，情况属实"))
    return claim


def _lock_fund(claim: Claim) -> Fund:
    # Claim first, then its fund — the one lock order — so approvals and payments of one fund
    # queue behind each other and no two of them spend the same money.
    return Fund.objects.select_for_update().get(pk=claim.fund_id)


@transaction.atomic
def claim_approve(*, actor, claim_id, expected_version=None, note: str = "", at=None) -> Claim:
    """镇级审批: by someone other than who filed or checked it. The payout is recomputed against
    what the member has been granted by now; a claim the fund cannot cover (its balance less what
    is approved and not yet paid) is not approved."""
    at = at or timezone.now()
    m = _open(actor, claim_id, Action.APPROVE, expected_version, at)  # never by who filed or checked it
    claim, at = m.case, m.at
    fund = _lock_fund(claim)
    c = assess(claim.membership, claim.rule, claim.self_paid, exclude_id=claim.pk)
    if c.amount <= 0:
        raise Conflict(_("该参保人本年度补助已达封顶，不能批准；请作不予补助处理"), code="cap_used")
    money = figures(fund)
    if c.amount > money.available:
        raise Conflict(_("基金余额不足，不能批准：可用余额 %(a)s（收入 %(i)s − 已支付 %(p)s − 已批准待支付 %(c)s），"
                         "本申请补助 %(x)s。请先筹集资金") % {
            "a": yuan(money.available), "i": yuan(money.income), "p": yuan(money.paid), "c": yuan(money.committed),
            "x": yuan(c.amount)}, code="overdraw")
    changed = c.amount != claim.payout
    claim.payout, claim.lines = c.amount, c.lines
    claim.approved_by, claim.approved_at = _who(actor), at
    text = _text(note, "note", _("审批意见"), required=False, limit=400) or _("同意补助 %(x)s") % {"x": yuan(c.amount)}
    m.clocks.stop("approve")
    m.clocks.start("pay", PAY_DAYS, "working_days", fresh=True)
    m.finish(note=text, data={"payout": str(c.amount), "recomputed": changed})
    return claim


@transaction.atomic
def claim_pay(*, actor, claim_id, expected_version=None, reference: str = "", publish: bool = True,
              at=None) -> Payment:
    """The payout leaves the fund (never more than it holds) and, unless held back, appears on
    the village's public page."""
    at = at or timezone.now()
    m = _open(actor, claim_id, Action.PAY, expected_version, at)
    claim, at = m.case, m.at
    reference = _text(reference, "reference", _("支付凭证号"), required=False, limit=40)
    if reference and Payment.objects.filter(fund_id=claim.fund_id, reference=reference).exists():
        raise _err("reference", _("支付凭证号 %(r)s 已用于另一笔补助") % {"r": reference}, "duplicate")
    fund = _lock_fund(claim)
    money = figures(fund)
    if claim.payout > money.balance:
        raise Conflict(_("基金余额 %(b)s 不足以支付本申请 %(x)s") % {"b": yuan(money.balance), "x": yuan(claim.payout)},
                       code="overdraw")
    payment = Payment.objects.create(claim=claim, fund=fund, amount=claim.payout, paid_at=at, paid_by=_who(actor),
                                     reference=reference, published=bool(publish), published_at=at if publish else None)
    m.clocks.stop("pay")
    m.finish(note=_("支付 %(x)s%(r)s") % {"x": yuan(claim.payout), "r": f"，凭证 {reference}" if reference else ""},
             data={"payment": payment.pk, "published": bool(publish)})
    return payment


@transaction.atomic
def claim_refuse(*, actor, claim_id, reason: str, expected_version=None, at=None) -> Claim:
    at = at or timezone.now()
    m = _open(actor, claim_id, Action.REFUSE, expected_version, at)
    claim = m.case
    reason = _text(reason, "reason", _("不予补助的理由"), limit=400)
    claim.refused_by, claim.refused_at, claim.refuse_reason = _who(actor), m.at, reason
    m.clocks.stop_all()
    m.finish(note=reason)
    return claim


@transaction.atomic
def payment_publish(*, actor, claim_id, published: bool, reason: str = "", expected_version=None,
                    at=None) -> Payment:
    """Take a payment off the public page (the family asked, say) with the reason, or put it back."""
    action = Action.PUBLISH if published else Action.UNPUBLISH
    m = _open(actor, claim_id, action, expected_version, at)
    payment = Payment.objects.select_for_update().filter(claim=m.case).first()
    if payment is None:
        raise Conflict(_("该申请尚未支付，没有可公示的发放记录"), code="not_allowed_in_state")
    if payment.published == bool(published):
        raise Conflict(_("已公示") if published else _("已撤下公示"), code="already_done")
    if published:
        payment.published, payment.published_at, payment.unpublish_reason = True, m.at, ""
    else:
        payment.published = False
        payment.unpublish_reason = _text(reason, "reason", _("撤下公示的原因"), limit=200)
    payment.save(update_fields=["published", "published_at", "unpublish_reason"])
    # A publication change is a change a second person must see before acting on the page.
    m.case.version += 1
    m.finish(note=payment.unpublish_reason or _("在村务公开页公示"), data={"published": bool(published)})
    audit.record(actor=actor, action="update", obj=payment, at=m.at, region_id=m.case.region_id,
                 note=str(Action(action).label), before={"published": not published},
                 after={"published": bool(published), "reason": payment.unpublish_reason})
    return payment


# ------------------------------------------------------------------------------- public page
def public_fund(code: str) -> Fund | None:
    from shanzhi.geo.models import Region

    if not (code or "").isdigit() or len(code) > 12:
        return None
    return (Fund.objects.select_related("region", "town")
            .filter(region__code=code, region__level=Region.Level.VILLAGE, is_active=True).first())


def public_payments(fund: Fund, year: FundYear | None = None, limit: int = 300) -> list[dict]:
    """What the village's page lists of each payment: masked name, the disease as published, the
    amount and the date — no ID number, phone, hospital, diagnosis or address."""
    qs = (Payment.objects.filter(fund=fund, published=True)
          .select_related("claim__membership__person", "claim__rule").order_by("-paid_at", "-id"))
    if year is not None:
        qs = qs.filter(claim__fund_year=year)
    return [{"name": masking.mask_name(p.claim.membership.person.name), "category": p.claim.rule.shown_as,
             "amount": p.amount, "paid_on": timezone.localtime(p.paid_at).date()} for p in qs[:limit]]


def work(actor) -> list[tuple[str, object]]:
    """What waits for this actor, by the moves their level may make."""
    lv = staff_level(actor)
    seen = claims(actor)
    out = [(_("待村级审核"), seen.filter(status=Status.SUBMITTED))]
    if lv <= TOWN:
        out.append((_("待镇级审批"), seen.filter(status=Status.REVIEWED)))
    out.append((_("已批准待支付"), seen.filter(status=Status.APPROVED)))
    return [(label, qs.order_by("submitted_at")) for label, qs in out]

