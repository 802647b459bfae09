"""The general procedure after filing, and the simple procedure on the spot (《行政处罚法》2021).

Each function is one move on the kernel (``open_move`` → checks → ``finish``), in one
transaction: the case is locked through the actor's scope, the state version guards against two
officers acting at once, every referenced object (an officer, an organisation) is resolved
through the same scope, and bad input changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.cases.clocks import Clocks
from shanzhi.cases.errors import Conflict
from shanzhi.cases.transition import open_move
from shanzhi.common import audit, params, references
from shanzhi.common.money import parse_money

from . import discretion
from .cases import APPROVERS, PENALTY, _number, _roles, _squad_for, took_part
from .documents import issue_document
from .models import (
    Evidence,
    Level,
    Officer,
    PenaltyCase,
    PenaltyDocument,
    PenaltyItem,
    PenaltyStep,
    PenaltyType,
)
from .squads import certified_officer
from .states import (
    HEARING_NOTICE_DAYS,
    HEARING_REQUEST_DAYS,
    LATE_RATE,
    MAJOR_FINE,
    MAJOR_TYPES,
    PAY_DAYS,
    PUBLISH_DAYS,
    SERVE_DAYS,
    SIMPLE_MAX,
    Action,
    Outcome,
    PartyKind,
    Procedure,
    ServiceMethod,
    Source,
    Status,
)

CENT = Decimal("0.01")
MAX_TEXT = 4000
# 较大数额罚款 that gives the right to a hearing (art. 63; Jiangsu's common thresholds).
HEARING_FINE = {PartyKind.PERSON: Decimal(5000), PartyKind.ORGANISATION: Decimal(50000)}


# --------------------------------------------------------------------------- small rules
def _err(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _text(value, field: str, label: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    return params.text(value, field, label, required=required, limit=limit)


def _level(level) -> str:
    if level not in Level.values:
        raise _err("level", _("请选择违法程度"), "invalid")
    return level


def _money(value, field: str, label: str, *, required: bool = True) -> Decimal | None:
    return parse_money(value, field, label, required=required)


def _local_day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


def late_charge(fine: Decimal, pay_due: dt.datetime | None, on: dt.datetime) -> tuple[int, Decimal]:
    """(days late, 加处罚款) on ``on``: 3 % of the fine a day after the last day to pay, never more
    than the fine itself (《行政处罚法》第七十二条)."""
    if not fine or pay_due is None:
        return 0, Decimal("0.00")
    days = max(0, (_local_day(on) - _local_day(pay_due)).days)
    return days, min(fine, (fine * LATE_RATE * days).quantize(CENT, ROUND_HALF_UP))


def amount_due(case, on: dt.datetime) -> Decimal:
    days, charge = late_charge(case.fine or Decimal(0), case.pay_due, on)
    return (case.fine or Decimal(0)) + charge


def hearing_right(case) -> bool:
    """Whether the intended penalty is one the party may ask a hearing for (art. 63)."""
    kind = case.party_kind or PartyKind.PERSON
    return bool((case.proposed_fine or 0) >= HEARING_FINE[kind] or set(case.proposed_types) & MAJOR_TYPES)


def _is_major(kind: str, fine: Decimal | None, types) -> bool:
    return bool((fine or 0) >= MAJOR_FINE[kind or PartyKind.PERSON] or set(types) & MAJOR_TYPES)


def _types(values, item: PenaltyItem, field: str = "penalty_types") -> list[str]:
    chosen = [v for v in dict.fromkeys(values or []) if v]
    if not chosen:
        raise _err(field, _("请选择处罚种类"), "required")
    unknown = [v for v in chosen if v not in PenaltyType.values]
    if unknown:
        raise _err(field, _("处罚种类无效：%(v)s") % {"v": "、".join(unknown)}, "invalid")
    allowed = set(item.penalty_types or [])
    outside = [str(PenaltyType(v).label) for v in chosen if v not in allowed]
    if outside:
        raise _err(field, _("「%(i)s」的法定处罚种类不包括：%(v)s") % {"i": item.name, "v": "、".join(outside)},
                   "not_allowed")
    return chosen


def _fine_for(item, *, level, types, fine, base, exception_reason, field="fine") -> Decimal:
    """The fine checked against the item's band for ``level`` (and never above the law's ceiling,
    which is the highest band's top even on the exception path)."""
    if "fine" not in types:
        if fine:
            raise _err(field, _("未选择「罚款」的，罚款金额应为 0"), "invalid")
        return Decimal("0.00")
    if not fine:
        raise _err(field, _("选择了「罚款」，请填写罚款金额"), "required")
    try:
        band = discretion.check_fine(item, level=level, amount=fine, base=base, exception_reason=exception_reason)
    except ValidationError as exc:  # the rule names its own field "amount"; the form's is ``field``
        errors = getattr(exc, "error_dict", {})
        raise ValidationError({(field if k == "amount" else k): v for k, v in errors.items()}) from None
    ceiling = None
    for b in item.bands.all():
        limits = discretion.band_range(b, base) if b.fine_max is not None or b.fine_min is not None else None
        if limits is not None and b.basis == band.basis:
            ceiling = limits[1] if ceiling is None else max(ceiling, limits[1])
    if ceiling is not None and fine > ceiling:
        raise _err(field, _("罚款 %(a)s 元超过法定最高额 %(c)s 元，不能作出") % {"a": f"{fine:,}", "c": f"{ceiling:,}"},
                   "above_statutory_max")
    return fine


def _party_org(actor, town_id, org_id):
    from shanzhi.registry.models import Organisation

    if org_id in (None, ""):
        return None
    qs = Organisation.objects.filter(Q(region_id=town_id) | Q(region__parent_id=town_id))
    ref = str(org_id).strip().upper()
    if len(ref) == 18:  # a unified social credit code, as the party's licence shows it
        return references.resolve(qs, field="party_org", label=_("当事单位"), uscc=ref)
    return references.resolve(qs, field="party_org", label=_("当事单位"), pk=org_id)


def _investigator_officers(actor, case, ids, on: dt.date) -> list[Officer]:
    """Officers of the case's town, each with a certificate valid on ``on``; outside looks as missing."""
    officers = references.resolve_many(
        Officer.objects.filter(squad__town_id=case.town_id).select_related("user", "squad"), ids,
        field="investigators", label=_("执法人员"))
    lapsed = [f"{o.user}（{o.certificate_number}）" for o in officers if not o.certified(on)]
    if lapsed:
        raise _err("investigators", _("执法证不在有效期内，不能担任办案人员：%(o)s") % {"o": "、".join(lapsed)},
                   "certificate_invalid")
    return officers


def _need(case, actor, *, investigator=False, lead=False, on: dt.date):
    """The kernel's ``permit`` has checked the post; an officer's certificate must also be valid on
    the day of the move (a town leader acting as the bureau's head holds none)."""
    if lead and _roles(actor) & APPROVERS:
        return
    certified_officer(actor, on)


def _move(case_id, action, actor, at, expected_version):
    return open_move(PENALTY, case_id, action, actor=actor, at=at, expected_version=expected_version)


def _credit(case) -> None:
    """Penalties feed the party organisation's credit record (the inspection draw weighs it)."""
    if case.party_org_id is None:
        return
    from shanzhi.inspections import credit

    severity = {"penalty": case.level or "general", "exempt": "ok", "no_penalty": "ok"}[case.outcome]
    credit.record(organisation=case.party_org, source="penalty", ref=case.number, at=case.decided_at,
                  severity=severity if severity in ("ok", "minor", "general", "serious", "severe") else "general",
                  note=f"{case.item.name}：{case.get_outcome_display()}" + (f"，罚款 {case.fine:,} 元" if case.fine else ""))


# --------------------------------------------------------------------------- investigation
@transaction.atomic
def assign(*, actor, case_id, officers, expected_version=None, at=None) -> PenaltyCase:
    """指派办案人员: at least two officers with valid certificates (art. 42)."""
    m = _move(case_id, Action.ASSIGN, actor, at, expected_version)
    case = m.case
    _need(case, actor, lead=True, on=_local_day(m.at))
    chosen = _investigator_officers(actor, case, officers, _local_day(m.at))
    if len(chosen) < 2:
        raise _err("investigators", _("调查取证须由两名以上持有效执法证的执法人员进行"), "too_few")
    case.investigators.set(chosen)
    m.finish(note=_("办案人员：%(o)s") % {"o": "、".join(f"{o.user}（{o.certificate_number}）" for o in chosen)},
             data={"officers": [o.certificate_number for o in chosen], "users": [o.user_id for o in chosen]})
    return case


@transaction.atomic
def add_evidence(*, actor, case_id, kind: str, title: str, text: str = "", upload=None, place: str = "",
                 expected_version=None, at=None) -> Evidence:
    """登记证据 by an investigator; the SHA-256 of the file or the record's text is kept with it."""
    import hashlib

    from shanzhi.onewindow.services.applications import clean_upload

    m = _move(case_id, Action.EVIDENCE, actor, at, expected_version)
    case = m.case
    _need(case, actor, investigator=True, on=_local_day(m.at))
    if kind not in Evidence.Kind.values:
        raise _err("kind", _("证据种类无效"), "invalid")
    title = _text(title, "title", _("证据名称"), limit=120)
    text = _text(text, "text", _("笔录内容"), required=False, limit=20000)
    place = _text(place, "place", _("取证地点"), required=False, limit=200)
    row = Evidence(case=case, kind=kind, title=title, text=text, place=place, collected_at=m.at, collected_by=actor,
                   officers=[f"{o.user}（{o.certificate_number}）" for o in case.investigators.select_related("user")])
    if upload is not None:
        content, content_type, original, digest = clean_upload(upload, field="file")
        row.file.save(content.name, content, save=False)
        row.content_type, row.original_name, row.size, row.sha256 = content_type, original, content.size, digest
    elif text:
        row.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    else:
        raise _err("file", _("请上传证据文件，或填写笔录内容"), "required")
    row.save()
    m.finish(note=_("%(k)s：%(t)s（SHA-256 %(h)s…）") % {"k": row.get_kind_display(), "t": title, "h": row.sha256[:16]},
             data={"evidence": row.pk, "sha256": row.sha256})
    return row


@transaction.atomic
def submit(*, actor, case_id, findings: str, party_kind: str, party_name: str = "", party_org=None, level: str,
           penalty_types, fine=None, base=None, exception_reason: str = "", expected_version=None,
           at=None) -> PenaltyCase:
    """调查终结: the facts found, the party, the proposed penalty within the band; to review."""
    m = _move(case_id, Action.SUBMIT, actor, at, expected_version)
    case, on = m.case, _local_day(m.at)
    _need(case, actor, investigator=True, on=on)
    certified = [o for o in case.investigators.all() if o.certified(on)]
    if len(certified) < 2:
        raise Conflict(_("办案人员中持有效执法证的不足两名，请先重新指派办案人员"), code="too_few_officers")
    if not case.evidence.exists():
        raise Conflict(_("尚未登记任何证据，不能调查终结"), code="no_evidence")
    case.findings = _text(findings, "findings", _("调查认定的事实"))
    if party_kind not in PartyKind.values:
        raise _err("party_kind", _("请选择当事人类型"), "required")
    case.party_kind = party_kind
    org = _party_org(actor, case.town_id, party_org) if party_kind == PartyKind.ORGANISATION else None
    if party_kind == PartyKind.ORGANISATION and org is None:
        raise _err("party_org", _("当事单位须填写统一社会信用代码（实有单位库中的单位）"), "required")
    case.party_org = org
    case.party_name = org.name if org else _text(party_name, "party_name", _("当事人"), limit=120)
    types = _types(penalty_types, case.item)
    _level(level)
    base = _money(base, "base", _("计罚基数"), required=False)
    fine = _money(fine, "fine", _("拟罚款金额"), required=False)
    exception_reason = _text(exception_reason, "exception_reason", _("超出裁量基准的理由"), required=False, limit=1000)
    case.proposed_fine = _fine_for(case.item, level=level, types=types, fine=fine, base=base,
                                   exception_reason=exception_reason)
    case.level, case.base_amount, case.proposed_types = level, base, types
    case.exception_reason = exception_reason
    case.major = _is_major(party_kind, case.proposed_fine, types)
    case.legal_passed = None
    m.finish(note=_("拟%(t)s%(f)s（%(l)s）%(m)s") % {
        "t": "、".join(str(PenaltyType(t).label) for t in types),
        "f": f"，罚款 {case.proposed_fine:,} 元" if case.proposed_fine else "",
        "l": case.get_level_display(), "m": _("；重大案件，须法制审核") if case.major else ""},
        data={"fine": str(case.proposed_fine), "types": types, "level": level, "major": case.major})
    return case


@transaction.atomic
def legal_review(*, actor, case_id, passed: bool, opinion: str, expected_version=None, at=None) -> PenaltyCase:
    """法制审核 by a legal reviewer of the town who is not one of the case's investigators."""
    m = _move(case_id, Action.LEGAL_REVIEW, actor, at, expected_version)
    case = m.case
    certified_officer(actor, _local_day(m.at))  # the post was checked by permit()
    case.legal_opinion = _text(opinion, "opinion", _("审核意见"), limit=2000)
    case.legal_passed = bool(passed)
    case.legal_reviewed_by = actor
    m.finish(note=(_("审核通过：") if passed else _("审核不通过：")) + case.legal_opinion[:300],
             data={"passed": bool(passed)})
    return case


@transaction.atomic
def send_back(*, actor, case_id, reason: str, expected_version=None, at=None) -> PenaltyCase:
    """退回补充调查 (the proposal and its review are set aside)."""
    m = _move(case_id, Action.RETURN, actor, at, expected_version)
    _need(m.case, actor, lead=True, on=_local_day(m.at))
    reason = _text(reason, "reason", _("退回理由"), limit=500)
    m.case.legal_passed = None
    m.finish(note=reason)
    return m.case


@transaction.atomic
def notify(*, actor, case_id, note: str = "", expected_version=None, at=None) -> PenaltyCase:
    """告知: the intended penalty, its facts and grounds, and the right to state a defence and
    (where the law gives it) to ask for a hearing within 5 days."""
    m = _move(case_id, Action.NOTIFY, actor, at, expected_version)
    case = m.case
    _need(case, actor, lead=True, on=_local_day(m.at))
    if took_part(actor, case):
        raise PermissionDenied(_("办案人员不能审核本人调查的案件，请由中队长或分管负责人审核"))
    if case.major and case.legal_passed is not True:
        raise Conflict(_("重大案件须经法制审核通过后方可告知") if case.legal_passed is None
                       else _("法制审核未通过，请退回补充调查"), code="legal_review_required")
    case.notice_at = m.at
    case.hearing_window_until = m.clocks.calendar.add(m.at, HEARING_REQUEST_DAYS, "calendar_days")
    right = hearing_right(case)
    doc = issue_document(case, PenaltyDocument.Kind.NOTICE, actor=actor, at=m.at, data={
        "party": case.party_name, "findings": case.findings, "item": case.item.name, "law": case.item.law,
        "article": case.item.article, "basis": case.item.legal_basis, "types": case.proposed_types,
        "fine": str(case.proposed_fine or 0), "hearing_right": right,
        "window_until": case.hearing_window_until.isoformat()})
    m.finish(note=note.strip()[:500] or _("已告知拟处罚及陈述申辩%(h)s权利（%(d)s）") % {
        "h": _("、听证") if right else "", "d": doc.number},
        data={"document": doc.number, "hearing_right": right}, due=case.hearing_window_until)
    return case


@transaction.atomic
def statement(*, actor, case_id, text: str, waive: bool = False, expected_version=None, at=None) -> PenaltyCase:
    """陈述申辩 recorded (or the party's written waiver of the rights to it and to a hearing)."""
    m = _move(case_id, Action.STATEMENT, actor, at, expected_version)
    case = m.case
    _need(case, actor, investigator=True, lead=True, on=_local_day(m.at))
    text = _text(text, "text", _("陈述申辩内容"), limit=4000)
    if waive:
        if case.status != Status.NOTICE:
            raise Conflict(_("当事人已申请听证，不能再记录放弃"), code="not_allowed_in_state")
        case.rights_waived = True
    m.finish(note=(_("当事人书面放弃陈述申辩和听证：") if waive else _("陈述申辩：")) + text[:450],
             data={"text": text})
    return case


@transaction.atomic
def hearing_request(*, actor, case_id, note: str = "", expected_version=None, at=None) -> PenaltyCase:
    """The party asks for a hearing within 5 days of the notice; the decision clock pauses."""
    m = _move(case_id, Action.HEARING_REQUEST, actor, at, expected_version)
    case = m.case
    _need(case, actor, investigator=True, lead=True, on=_local_day(m.at))
    if not hearing_right(case):
        raise Conflict(_("拟作出的处罚不属于听证范围（《行政处罚法》第六十三条）"), code="no_hearing_right")
    if case.rights_waived:
        raise Conflict(_("当事人已书面放弃听证权利"), code="waived")
    if m.at > case.hearing_window_until:
        raise Conflict(_("已超过告知后五日的听证申请期限（%(d)s）") % {
            "d": timezone.localtime(case.hearing_window_until).strftime("%Y-%m-%d %H:%M")}, code="window_passed")
    case.hearing_requested_at = m.at
    m.clocks.pause("decide", _("听证"))
    m.finish(note=note.strip()[:500] or _("当事人申请听证，听证期间不计入办案期限"))
    return case


@transaction.atomic
def hearing_notice(*, actor, case_id, hearing_at: dt.datetime, place: str, expected_version=None,
                   at=None) -> PenaltyCase:
    """听证通知书: the hearing's time and place, at least 7 days ahead (art. 64)."""
    m = _move(case_id, Action.HEARING_NOTICE, actor, at, expected_version)
    case = m.case
    _need(case, actor, lead=True, on=_local_day(m.at))
    if not isinstance(hearing_at, dt.datetime):
        raise _err("hearing_at", _("请填写听证时间"), "required")
    if not 2000 <= hearing_at.year <= 2100:
        raise _err("hearing_at", _("请填写正确的时间"), "invalid")
    if timezone.is_naive(hearing_at):
        hearing_at = timezone.make_aware(hearing_at)
    if (_local_day(hearing_at) - _local_day(m.at)).days < HEARING_NOTICE_DAYS:
        raise _err("hearing_at", _("应当在举行听证的七日前通知当事人：听证最早可定于 %(d)s") % {
            "d": (_local_day(m.at) + dt.timedelta(days=HEARING_NOTICE_DAYS)).isoformat()}, "too_soon")
    if (_local_day(hearing_at) - _local_day(m.at)).days > 60:
        raise _err("hearing_at", _("听证时间不宜晚于通知后 60 日"), "too_late")
    case.hearing_at = hearing_at
    case.hearing_place = _text(place, "place", _("听证地点"), limit=120)
    doc = issue_document(case, PenaltyDocument.Kind.HEARING, actor=actor, at=m.at, data={
        "party": case.party_name, "item": case.item.name, "at": hearing_at.isoformat(), "place": case.hearing_place})
    m.finish(note=_("听证定于 %(t)s 在%(p)s举行（%(d)s）") % {
        "t": timezone.localtime(hearing_at).strftime("%Y-%m-%d %H:%M"), "p": case.hearing_place, "d": doc.number},
        data={"document": doc.number})
    return case


@transaction.atomic
def hearing_held(*, actor, case_id, record: str, expected_version=None, at=None) -> PenaltyCase:
    """听证举行 (听证笔录 summarised); the decision clock continues with the time it had left."""
    m = _move(case_id, Action.HEARING_HELD, actor, at, expected_version)
    case = m.case
    _need(case, actor, lead=True, on=_local_day(m.at))
    if case.hearing_at is None:
        raise Conflict(_("尚未通知听证时间"), code="hearing_not_noticed")
    if m.at < case.hearing_at:
        raise Conflict(_("听证定于 %(t)s 举行，尚未到时间") % {
            "t": timezone.localtime(case.hearing_at).strftime("%Y-%m-%d %H:%M")}, code="too_early")
    record = _text(record, "record", _("听证笔录摘要"), limit=4000)
    case.hearing_held_at = m.at
    if not case.suspended:  # a suspension (testing, appraisal) still running keeps the clock paused
        m.clocks.resume("decide")
    m.finish(note=_("听证笔录：") + record[:450], due=case.decide_due, data={"record": record})
    return case


@transaction.atomic
def suspend(*, actor, case_id, reason: str, expected_version=None, at=None) -> PenaltyCase:
    """中止 for testing, inspection, appraisal (检测、检验、鉴定), not counted in the 90 days."""
    m = _move(case_id, Action.SUSPEND, actor, at, expected_version)
    _need(m.case, actor, lead=True, on=_local_day(m.at))
    if m.case.suspended:
        raise Conflict(_("案件已中止：%(r)s") % {"r": m.case.suspended}, code="already_done")
    m.case.suspended = _text(reason, "reason", _("中止原因"), limit=200)
    m.clocks.pause("decide", m.case.suspended)
    m.finish(note=m.case.suspended)
    return m.case


@transaction.atomic
def resume(*, actor, case_id, note: str = "", expected_version=None, at=None) -> PenaltyCase:
    m = _move(case_id, Action.RESUME, actor, at, expected_version)
    _need(m.case, actor, lead=True, on=_local_day(m.at))
    if not m.case.suspended:
        raise Conflict(_("案件未中止"), code="not_allowed_in_state")
    m.case.suspended = ""
    m.clocks.resume("decide")
    m.finish(note=note.strip()[:500] or _("恢复办理"), due=m.case.decide_due)
    return m.case


# --------------------------------------------------------------------------- decision to archive
@transaction.atomic
def decide(*, actor, case_id, outcome: str, level: str = "", penalty_types=(), fine=None, base=None,
           exception_reason: str = "", reason: str = "", expected_version=None, at=None) -> PenaltyCase:
    """作出决定 within 90 days of filing: a penalty within the discretion band (outside it only
    with a written reason and a town or county leader's approval), 首违不罚, or 不予处罚."""
    m = _move(case_id, Action.DECIDE, actor, at, expected_version)
    case, on = m.case, _local_day(m.at)
    _need(case, actor, lead=True, on=on)
    if took_part(actor, case):
        raise PermissionDenied(_("办案人员不能对本人调查的案件作出决定"))
    if case.status == Status.HEARING:
        raise Conflict(_("当事人已申请听证，须在听证举行后方可作出决定"), code="hearing_pending")
    if case.status == Status.NOTICE and not case.rights_waived and m.at <= case.hearing_window_until:
        raise Conflict(_("陈述申辩、听证申请期限至 %(d)s 届满，期满前不能作出决定（当事人书面放弃的除外）") % {
            "d": timezone.localtime(case.hearing_window_until).strftime("%Y-%m-%d %H:%M")}, code="window_open")
    if case.suspended:
        raise Conflict(_("案件已中止（%(r)s），请先恢复办理") % {"r": case.suspended}, code="suspended")
    if outcome not in Outcome.values:
        raise _err("outcome", _("请选择处理结果"), "required")
    reason = _text(reason, "reason", _("决定理由"), required=outcome != Outcome.PENALTY, limit=2000)
    case.outcome = outcome
    if outcome == Outcome.PENALTY:
        types = _types(penalty_types, case.item)
        _level(level)
        base = _money(base, "base", _("计罚基数"), required=False)
        fine = _money(fine, "fine", _("罚款金额"), required=False)
        exception_reason = _text(exception_reason, "exception_reason", _("超出裁量基准的理由"), required=False,
                                 limit=1000)
        amount = _fine_for(case.item, level=level, types=types, fine=fine, base=base,
                           exception_reason=exception_reason)
        in_band = True
        try:
            discretion.check_fine(case.item, level=level, amount=amount, base=base) if "fine" in types else None
        except ValidationError:
            in_band = False
        if not in_band and not (_roles(actor) & APPROVERS):
            raise PermissionDenied(_("超出裁量基准作出处罚，须报镇（街道）或县级负责人批准"))
        if amount > (case.proposed_fine or 0) or set(types) - set(case.proposed_types):
            raise Conflict(_("决定不得重于已告知的拟处罚（%(f)s 元，%(t)s）；确需加重的，请退回补充调查后重新告知") % {
                "f": f"{case.proposed_fine or 0:,}", "t": "、".join(str(PenaltyType(t).label)
                                                                   for t in case.proposed_types)},
                code="heavier_than_notice")
        major = _is_major(case.party_kind, amount, types)
        if major and case.legal_passed is not True:
            raise Conflict(_("重大案件须经法制审核通过后方可决定"), code="legal_review_required")
        if major and not (_roles(actor) & APPROVERS):
            raise PermissionDenied(_("重大案件须经镇（街道）负责人集体讨论决定"))
        case.level, case.penalty_types, case.fine, case.base_amount = level, types, amount, base
        case.exception_reason = exception_reason if not in_band else ""
        case.major = major
    else:
        if outcome == Outcome.EXEMPT:
            if not case.item.first_violation_exempt.strip():
                raise _err("outcome", _("该事项没有首违不罚的情形"), "not_allowed")
            prior = PenaltyCase.objects.filter(item=case.item, outcome=Outcome.PENALTY,
                                               status__in=[Status.DECIDED, Status.EXECUTING, Status.EXECUTED,
                                                           Status.CLOSED, Status.ARCHIVED]).exclude(pk=case.pk)
            prior = prior.filter(party_org=case.party_org) if case.party_org_id else prior.filter(
                party_name=case.party_name, party_org__isnull=True)
            if prior.exists():
                raise Conflict(_("当事人此前因同一违法行为受过处罚，不适用首违不罚"), code="not_first")
        case.penalty_types, case.fine = [], Decimal("0.00")
    case.decided_at, case.decided_by = m.at, actor
    m.clocks.stop("decide")
    m.clocks.start("serve", SERVE_DAYS, "calendar_days")
    if case.party_kind == PartyKind.ORGANISATION and outcome == Outcome.PENALTY:
        m.clocks.start("publish", PUBLISH_DAYS, "working_days")
    kind = PenaltyDocument.Kind.DECISION if outcome == Outcome.PENALTY else PenaltyDocument.Kind.NO_PENALTY
    doc = issue_document(case, kind, actor=actor, at=m.at, data={
        "party": case.party_name, "findings": case.findings, "item": case.item.name, "law": case.item.law,
        "article": case.item.article, "basis": case.item.legal_basis, "types": case.penalty_types,
        "fine": str(case.fine), "outcome": outcome, "reason": reason, "statement": _statements(case),
        "hearing": bool(case.hearing_held_at)})
    m.finish(note=_("%(o)s%(f)s（%(d)s）") % {
        "o": case.get_outcome_display(), "f": f"：罚款 {case.fine:,} 元" if case.fine else "", "d": doc.number}
        + (f"；{reason[:200]}" if reason else "") + (_("；超出裁量基准：") + case.exception_reason[:200]
                                                    if case.exception_reason else ""),
        data={"document": doc.number, "fine": str(case.fine), "types": case.penalty_types,
              "exception": bool(case.exception_reason)}, due=case.serve_due)
    _credit(case)
    return case


def _statements(case) -> list[str]:
    return [s.note for s in case.steps.filter(action=Action.STATEMENT).order_by("at")][:10]


@transaction.atomic
def serve(*, actor, case_id, method: str, note: str = "", expected_version=None, at=None) -> PenaltyCase:
    """送达 the decision (within 7 days); the 15 days to pay start."""
    m = _move(case_id, Action.SERVE, actor, at, expected_version)
    case = m.case
    _need(case, actor, investigator=True, lead=True, on=_local_day(m.at))
    if method not in ServiceMethod.values:
        raise _err("method", _("请选择送达方式"), "required")
    case.served_at, case.service_method = m.at, method
    m.clocks.stop("serve")
    decision = case.documents.filter(kind__in=[PenaltyDocument.Kind.DECISION, PenaltyDocument.Kind.NO_PENALTY]).last()
    doc = issue_document(case, PenaltyDocument.Kind.SERVICE, actor=actor, at=m.at, data={
        "party": case.party_name, "served": decision.number if decision else "", "method": method,
        "officers": [str(o.user) for o in case.investigators.select_related("user")]})
    if case.fine:
        case.status = Status.EXECUTING
        m.clocks.start("pay", PAY_DAYS, "calendar_days")
    else:
        case.status = Status.EXECUTED
    m.finish(note=note.strip()[:500] or _("%(m)s（%(d)s）") % {"m": ServiceMethod(method).label, "d": doc.number},
             data={"document": doc.number}, due=case.pay_due if case.fine else None)
    return case


@transaction.atomic
def pay(*, actor, case_id, amount, receipt_number: str, expected_version=None, at=None) -> PenaltyCase:
    """罚款缴纳 (through the bank, 罚缴分离), with the late charge from the day after the 15th day."""
    m = _move(case_id, Action.PAY, actor, at, expected_version)
    case = m.case
    _need(case, actor, investigator=True, lead=True, on=_local_day(m.at))
    amount = _money(amount, "amount", _("实缴金额"))
    receipt_number = _text(receipt_number, "receipt_number", _("缴款凭证号"), limit=40)
    days, charge = late_charge(case.fine, case.pay_due, m.at)
    due = case.fine + charge
    if amount != due:
        raise _err("amount", _("应缴 %(d)s 元（罚款 %(f)s 元%(c)s），实缴金额不符") % {
            "d": f"{due:,}", "f": f"{case.fine:,}",
            "c": _("，逾期 %(n)d 日加处罚款 %(c)s 元") % {"n": days, "c": f"{charge:,}"} if days else ""}, "mismatch")
    case.paid_at, case.paid_amount, case.late_charge, case.receipt_number = m.at, amount, charge, receipt_number
    m.clocks.stop("pay")
    m.finish(note=_("缴纳 %(a)s 元（凭证 %(r)s）%(c)s") % {
        "a": f"{amount:,}", "r": receipt_number,
        "c": _("，含逾期 %(n)d 日加处罚款 %(c)s 元") % {"n": days, "c": f"{charge:,}"} if days else ""},
        data={"amount": str(amount), "late_days": days, "late_charge": str(charge)})
    return case


@transaction.atomic
def close(*, actor, case_id, note: str = "", expected_version=None, at=None) -> PenaltyCase:
    m = _move(case_id, Action.CLOSE, actor, at, expected_version)
    _need(m.case, actor, lead=True, on=_local_day(m.at))
    m.case.closed_at = m.at
    for stage in ("file", "decide", "serve", "pay"):
        m.clocks.stop(stage)
    m.finish(note=note.strip()[:500] or _("执行完毕，结案"))
    return m.case


@transaction.atomic
def archive(*, actor, case_id, expected_version=None, at=None) -> PenaltyCase:
    m = _move(case_id, Action.ARCHIVE, actor, at, expected_version)
    case = m.case
    _need(case, actor, lead=True, on=_local_day(m.at))
    if must_publish(case) and case.published_at is None:
        raise Conflict(_("企业行政处罚信息须先公示再归档"), code="publish_first")
    case.archived_at = m.at
    m.finish(note=_("卷宗归档：证据 %(e)d 件，文书 %(d)d 份") % {"e": case.evidence.count(),
                                                           "d": case.documents.count()})
    return case


def must_publish(case) -> bool:
    return case.party_kind == PartyKind.ORGANISATION and case.outcome == Outcome.PENALTY


@transaction.atomic
def publish(*, actor, case_id, expected_version=None, at=None) -> PenaltyCase:
    """公示 an enterprise's penalty decision (within 20 working days of the decision); a person's
    penalty is not published here."""
    m = _move(case_id, Action.PUBLISH, actor, at, expected_version)
    case = m.case
    _need(case, actor, lead=True, on=_local_day(m.at))
    if not must_publish(case):
        raise Conflict(_("只公示对法人或其他组织作出的行政处罚决定"), code="not_published_kind")
    if case.published_at is not None:
        raise Conflict(_("已于 %(d)s 公示") % {"d": timezone.localtime(case.published_at).strftime("%Y-%m-%d")},
                       code="already_done")
    case.published_at = m.at
    m.clocks.stop("publish")
    m.finish(note=_("行政处罚信息已公示"))
    return case


# --------------------------------------------------------------------------- simple procedure
@transaction.atomic
def simple_penalty(*, actor, partner, item, town=None, party_kind: str, party_name: str = "", party_org=None,
                   facts: str, address: str = "", grid=None, penalty_type: str, fine=None, level: str = "minor",
                   paid_on_spot=False, receipt_number: str = "", at=None) -> PenaltyCase:
    """当场处罚 (art. 51–52): two officers with valid certificates, an item that allows it, a
    warning or a fine of at most ¥200 (person) / ¥3,000 (organisation); the decision is served
    on the spot and, paid at once or a warning, the case closes there."""
    at = at or timezone.now()
    on = _local_day(at)
    me = certified_officer(actor, on)
    town_id = town or me.squad.town_id
    from shanzhi.common.jurisdiction import scope_for
    from shanzhi.geo.models import Region

    scope = scope_for(actor)
    towns = Region.objects.filter(level=Region.Level.TOWN)
    if not scope.unrestricted:
        towns = towns.filter(pk__in=scope.region_ids)
    town = references.resolve(towns, field="town", label=_("镇（街道）"), pk=town_id)
    item = references.resolve(PenaltyItem.objects.filter(is_active=True, towns=town), field="item",
                              label=_("本镇（街道）行使的处罚事项"), pk=item)
    if not item.simple_procedure:
        raise _err("item", _("「%(i)s」不适用简易程序，请登记案源按普通程序办理") % {"i": item.name}, "not_simple")
    stub = PenaltyCase(town=town)
    others = [o for o in _investigator_officers(actor, stub, [partner], on) if o.user_id != actor.pk]
    if not others:
        raise _err("partner", _("当场处罚须由两名执法人员进行，请选择另一名执法人员"), "too_few")
    if party_kind not in PartyKind.values:
        raise _err("party_kind", _("请选择当事人类型"), "required")
    org = _party_org(actor, town.pk, party_org) if party_kind == PartyKind.ORGANISATION else None
    if party_kind == PartyKind.ORGANISATION and org is None:
        raise _err("party_org", _("当事单位须填写统一社会信用代码（实有单位库中的单位）"), "required")
    party_name = org.name if org else _text(party_name, "party_name", _("当事人"), limit=120)
    facts = _text(facts, "facts", _("违法事实"))
    if penalty_type not in (PenaltyType.WARNING, PenaltyType.FINE):
        raise _err("penalty_type", _("简易程序只能当场警告或罚款"), "invalid")
    types = _types([penalty_type], item, field="penalty_type")
    amount = _money(fine, "fine", _("罚款金额"), required=penalty_type == PenaltyType.FINE) or Decimal("0.00")
    if penalty_type == PenaltyType.FINE:
        if amount > SIMPLE_MAX[party_kind]:
            raise _err("fine", _("当场罚款对%(k)s不得超过 %(m)s 元，超过的请按普通程序办理") % {
                "k": PartyKind(party_kind).label, "m": f"{SIMPLE_MAX[party_kind]:,}"}, "above_simple_max")
        amount = _fine_for(item, level=level, types=types, fine=amount, base=None, exception_reason="")
    paid_on_spot = bool(paid_on_spot) and amount > 0
    if paid_on_spot:
        receipt_number = _text(receipt_number, "receipt_number", _("罚款收据号"), limit=40)
    case = PenaltyCase.objects.create(
        number=_number(at), source=Source.PATROL, procedure=Procedure.SIMPLE, town=town, grid=grid, item=item,
        squad=me.squad if me.squad.town_id == town.pk else _squad_for(town, grid), party_kind=party_kind,
        party_org=org, party_name=party_name, facts=facts, findings=facts, address=address.strip()[:200],
        registered_at=at, registered_by=actor, filed_at=at, level=level if level in Level.values else "minor", proposed_fine=amount,
        proposed_types=types, outcome=Outcome.PENALTY, penalty_types=types, fine=amount, decided_at=at,
        decided_by=actor, served_at=at, service_method=ServiceMethod.DIRECT,
        status=Status.CLOSED if (paid_on_spot or not amount) else Status.EXECUTING)
    case.investigators.set([me, *others[:1]])
    clocks = Clocks(PENALTY, case, at)
    if case.status == Status.EXECUTING:
        clocks.start("pay", PAY_DAYS, "calendar_days", fresh=True)
    else:
        case.closed_at = at
        if paid_on_spot:
            case.paid_at, case.paid_amount, case.late_charge, case.receipt_number = at, amount, 0, receipt_number
    if must_publish(case):
        clocks.start("publish", PUBLISH_DAYS, "working_days", fresh=case.status != Status.EXECUTING)
    case.save()
    doc = issue_document(case, PenaltyDocument.Kind.SIMPLE, actor=actor, at=at, data={
        "party": party_name, "findings": facts, "item": item.name, "law": item.law, "article": item.article,
        "basis": item.legal_basis, "types": types, "fine": str(amount), "paid_on_spot": paid_on_spot,
        "receipt": receipt_number, "address": case.address,
        "officers": [f"{o.user}（{o.certificate_number}）" for o in (me, others[0])]})
    PenaltyStep.objects.create(
        case=case, action=Action.SIMPLE, at=at, actor=actor, actor_label=str(actor)[:100], to_status=case.status,
        due=case.pay_due, note=_("当场%(t)s%(f)s（%(d)s）%(p)s") % {
            "t": PenaltyType(penalty_type).label, "f": f" {amount:,} 元" if amount else "", "d": doc.number,
            "p": _("，当场缴纳") if paid_on_spot else ""},
        data={"document": doc.number, "fine": str(amount)})
    audit.record(actor=actor, action="create", obj=case, at=at, region_id=town.pk,
                 after={"number": case.number, "procedure": "simple", "fine": str(amount), "document": doc.number})
    _credit(case)
    return case
