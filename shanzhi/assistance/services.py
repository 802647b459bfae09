"""Household files and assistance applications: every write a person makes.

Every record a write names — the person a file is opened for, a member to add, the program, the
family an application is for — is resolved through the actor's civil-affairs jurisdiction;
outside it looks exactly like missing. Moves go through the kernel's one transition path.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.roles import Role
from shanzhi.cases.clocks import Clocks
from shanzhi.cases.errors import Conflict
from shanzhi.cases.transition import open_move
from shanzhi.common import audit, counters, crypto, masking, params, references
from shanzhi.common.identifiers import normalise_id_number
from shanzhi.common.jurisdiction import scope_for
from shanzhi.common.money import HOUSEHOLD_LIMIT, parse_money

from . import means
from .kind import ASSISTANCE, TOWN, _tell, civil_region_ids, level
from .models import (
    Asset,
    AssistApplication,
    AssistStep,
    Beneficiary,
    Channel,
    Expense,
    Family,
    Income,
    Member,
    Objection,
    Program,
    Visit,
)
from .states import CONFIRM_DAYS, INTAKE_DAYS, NOTICE_DAYS, OPEN, REVIEW_DAYS, Action, Status

MAX_TEXT = 2000


def _err(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _text(value, field: str, label: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    return params.text(value, field, label, required=required, limit=limit)


def _month_start(on: dt.date) -> dt.date:
    return on.replace(day=1)


def next_month(on: dt.date) -> dt.date:
    return (on.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def staff_required(actor) -> int:
    lv = level(actor)
    if lv is None:
        raise PermissionDenied(_("须由民政（社会救助）工作人员办理"))
    return lv


# ------------------------------------------------------------------------------- scoping
def families(actor):
    """The household files the actor may see and edit."""
    from .kind import staff_q

    return Family.objects.select_related("head", "region", "town").filter(staff_q(actor))


def persons(actor):
    """Registry persons the actor may put in a file: civil-affairs staff within their regions;
    a window clerk or village agent within the regions of their posts (to submit for them)."""
    from shanzhi.registry.models import Person

    ids = civil_region_ids(actor)
    if ids is None:
        return Person.objects.all()
    scope = scope_for(actor)
    region_ids = set(ids)
    if Role.WINDOW_CLERK in scope.roles or Role.GRID_WORKER in scope.roles or Role.GRID_CHIEF in scope.roles:
        region_ids |= set(scope.region_ids)
        if scope.grid_ids:
            from shanzhi.geo.models import Grid

            region_ids |= set(Grid.objects.filter(pk__in=scope.grid_ids).values_list("region_id", flat=True))
    return Person.objects.filter(region_id__in=region_ids)


def find_person(actor, *, pk=None, id_number: str = "", name: str = "", field: str = "person"):
    """A person by id, or by ID number and name together (both must match; a mismatch answers
    exactly like an unknown number, so the form cannot be used to test numbers)."""
    qs = persons(actor)
    label = _("本辖区实有人口中的该居民")
    if pk not in (None, ""):
        return references.resolve(qs, field=field, label=label, pk=pk)
    try:
        number = normalise_id_number(id_number)
    except ValidationError:
        raise _err(field, _("身份证号格式不正确")) from None
    person = qs.filter(id_bidx=crypto.blind_index("id", number)).select_related("region").first()
    if person is None or (name and person.name != name.strip()):
        raise references.not_found(field, label)
    return person


def _town_of(region):
    return region.parent if region.level == 5 else region


# ------------------------------------------------------------------------------- files
def membership(person) -> Member | None:
    return Member.objects.filter(person=person, left_at__isnull=True).select_related("family", "family__region").first()


def _taken(person, family=None) -> ValidationError:
    other = membership(person)
    where = other.family
    return _err("person", _("%(p)s已登记在%(f)s（%(v)s，档案 %(n)s）中，一人只能在一个救助家庭中；"
                            "请先在原家庭中办理迁出") % {"p": person.name, "f": f"{masking.mask_name(where.head.name)}家",
                                                       "v": where.region.name, "n": where.number},
                "in_other_family")


@transaction.atomic
def open_family(*, actor, head, at=None, needs: str = "", address: str = "") -> Family:
    """一户一档: a file for the household of a registry person (the applicant as 本人)."""
    at = at or timezone.now()
    person = head if hasattr(head, "pk") and not isinstance(head, int) else find_person(actor, pk=head)
    existing = membership(person)
    if existing is not None:
        return existing.family
    if person.region_id is None:
        raise _err("person", _("该居民未登记居住的村（社区），请先在基础信息中补全"))
    region = person.region
    family = Family.objects.create(
        number=f"JZ{timezone.localtime(at):%Y}{counters.next_value('assist-family'):06d}", head=person,
        household_id=person.household_id, region=region, town=_town_of(region),
        address=_text(address, "address", _("居住地址"), required=False, limit=200),
        needs=_text(needs, "needs", _("困难与需求"), required=False), created_by=actor if getattr(actor, "pk", None)
        else None, changed_at=at)
    try:
        with transaction.atomic():
            Member.objects.create(family=family, person=person, relation="本人")
    except IntegrityError:
        raise _taken(person) from None
    audit.record(actor=actor, action="create", obj=family, at=at, region_id=region.pk,
                 after={"number": family.number, "head": masking.mask_name(person.name)})
    return family


def _family(actor, family_id, *, lock: bool = True) -> Family:
    qs = families(actor)
    if lock:
        qs = qs.select_for_update(of=("self",))
    staff_required(actor)
    return references.resolve(qs, field="family", label=_("救助家庭档案"), pk=family_id)


def _touch(family: Family, at, actor, what: str, after: dict) -> None:
    family.changed_at = at
    family.version += 1
    family.save(update_fields=["changed_at", "version", "updated_at"])
    audit.record(actor=actor, action="update", obj=family, at=at, region_id=family.region_id, note=what,
                 after=after)


def _check_version(family: Family, expected_version) -> None:
    if expected_version not in (None, "") and str(family.version) != str(expected_version):
        raise Conflict(_("该家庭档案已被他人修改，请刷新后查看"), code="stale_version")


WORK = {k for k, _ in Member.Work.choices}


@transaction.atomic
def add_member(*, actor, family_id, person=None, id_number: str = "", name: str = "", relation: str = "",
               work: str = Member.Work.ABLE, lives_together: bool = True, health: str = "", disability: str = "",
               expected_version=None, at=None) -> Member:
    at = at or timezone.now()
    family = _family(actor, family_id)
    _check_version(family, expected_version)
    who = find_person(actor, pk=person, id_number=id_number, name=name)
    relation = _text(relation, "relation", _("与申请人关系"), limit=10)
    if work not in WORK:
        raise _err("work", _("劳动能力选项无效"))
    if membership(who) is not None:
        raise _taken(who, family)
    try:
        with transaction.atomic():
            member = Member.objects.create(family=family, person=who, relation=relation, work=work,
                                           lives_together=bool(lives_together),
                                           health=_text(health, "health", _("健康状况"), required=False, limit=60),
                                           disability=_text(disability, "disability", _("残疾类别等级"),
                                                            required=False, limit=30))
    except IntegrityError:  # someone put the person in another file at the same moment
        raise _taken(who, family) from None
    _touch(family, at, actor, _("增加家庭成员"), {"member": masking.mask_name(who.name), "relation": relation})
    return member


@transaction.atomic
def add_document(*, actor, family_id, title: str, upload, at=None):
    """A document in the household file (证明材料: 病历、残疾证、收入证明…): PDF, JPEG or PNG up to
    10 MB, checked by content, stored outside the web root with its SHA-256."""
    from shanzhi.onewindow.services.applications import clean_upload

    from .models import FamilyDocument

    at = at or timezone.now()
    family = _family(actor, family_id)
    title = _text(title, "title", _("材料名称"), limit=100)
    if upload is None:
        raise _err("file", _("请选择文件"), "required")
    content, content_type, _name, digest = clean_upload(upload)
    doc = FamilyDocument(family=family, title=title, content_type=content_type, sha256=digest, uploaded_by=actor)
    doc.file.save(content.name, content, save=False)
    doc.save()
    _touch(family, at, actor, _("上传材料：%(t)s") % {"t": title}, {"document": title, "sha256": digest})
    return doc


@transaction.atomic
def remove_member(*, actor, family_id, member_id, reason: str, at=None) -> Member:
    at = at or timezone.now()
    family = _family(actor, family_id)
    member = references.resolve(family.members.filter(left_at__isnull=True), field="member", label=_("家庭成员"),
                                pk=member_id)
    if member.person_id == family.head_id:
        raise _err("member", _("申请人（户主）不能迁出；请为新的申请人另建档案"))
    reason = _text(reason, "reason", _("迁出原因"), limit=200)
    member.left_at = at
    member.save(update_fields=["left_at"])
    if (family.account_pending or {}).get("payee") == member.person_id:
        family.account_pending = {}
        family.save(update_fields=["account_pending"])
    if family.payee_id == member.person_id:  # no payments to someone who has left, nor to their account
        family.payee_id, family.account_changed_at = None, at
        family.bank, family.account_sealed = "", ""
        family.save(update_fields=["payee", "bank", "account_sealed", "account_changed_at"])
        reason += _("（该成员原为收款人，收款人恢复为申请人本人，其银行账户已清除，请登记申请人本人账户）")
    _touch(family, at, actor, _("家庭成员迁出：%(r)s") % {"r": reason}, {"member": masking.mask_name(member.person.name)})
    return member


def _member_ref(family, member_id):
    if member_id in (None, ""):
        return None
    return references.resolve(family.members.all(), field="member", label=_("家庭成员"), pk=member_id)


def _period(start, end) -> tuple[dt.date, dt.date]:
    s, e = params.labeled_day(start, "start", _("起始日期")), params.labeled_day(end, "end", _("截止日期"))
    if e < s:
        raise _err("end", _("截止日期不能早于起始日期"))
    if (e - s).days > 366 * 3:
        raise _err("end", _("一条收入记录的期间不能超过 3 年"))
    return s, e


@transaction.atomic
def add_income(*, actor, family_id, kind: str, start, end, amount, member=None, note: str = "",
               source: str = Income.Source.DECLARED, at=None) -> Income:
    at = at or timezone.now()
    family = _family(actor, family_id)
    if kind not in Income.Kind.values:
        raise _err("kind", _("收入类型无效"))
    s, e = _period(start, end)
    if s > timezone.localdate(at):
        raise _err("start", _("不能登记尚未发生的收入"))
    row = Income.objects.create(family=family, member=_member_ref(family, member), kind=kind, start=s, end=e,
                                amount=parse_money(amount, "amount", _("期间金额"), limit=HOUSEHOLD_LIMIT),
                                source=source if source in Income.Source.values else Income.Source.DECLARED,
                                note=_text(note, "note", _("说明"), required=False, limit=200))
    _touch(family, at, actor, _("登记收入"), {"kind": kind, "amount": str(row.amount), "start": str(s), "end": str(e)})
    return row


@transaction.atomic
def add_asset(*, actor, family_id, kind: str, value, note: str = "", at=None) -> Asset:
    at = at or timezone.now()
    family = _family(actor, family_id)
    if kind not in Asset.Kind.values:
        raise _err("kind", _("财产类型无效"))
    row = Asset.objects.create(family=family, kind=kind, value=parse_money(value, "value", _("价值"), limit=HOUSEHOLD_LIMIT),
                               note=_text(note, "note", _("说明"), required=False, limit=200))
    _touch(family, at, actor, _("登记财产"), {"kind": kind, "value": str(row.value)})
    return row


@transaction.atomic
def add_expense(*, actor, family_id, kind: str, incurred_on, total, self_paid, member=None, note: str = "",
                at=None) -> Expense:
    at = at or timezone.now()
    family = _family(actor, family_id)
    if kind not in Expense.Kind.values:
        raise _err("kind", _("支出类型无效"))
    day = params.labeled_day(incurred_on, "incurred_on", _("发生日期"))
    if day > timezone.localdate(at):
        raise _err("incurred_on", _("发生日期不能晚于今天"))
    total_v = parse_money(total, "total", _("总费用"), limit=HOUSEHOLD_LIMIT)
    paid = parse_money(self_paid, "self_paid", _("个人自付"), limit=HOUSEHOLD_LIMIT)
    if paid > total_v:
        raise _err("self_paid", _("个人自付不能超过总费用"))
    row = Expense.objects.create(family=family, member=_member_ref(family, member), kind=kind, incurred_on=day,
                                 total=total_v, self_paid=paid, source=_("申报"),
                                 note=_text(note, "note", _("说明"), required=False, limit=200))
    _touch(family, at, actor, _("登记刚性支出"), {"kind": kind, "self_paid": str(paid)})
    return row


@transaction.atomic
def update_family(*, actor, family_id, needs=None, address=None, payee=None, bank=None, account=None,
                  expected_version=None, at=None) -> Family:
    """The file's details. Where the money goes (payee, bank, account) changes at once when the
    town or county office changes it; asked by the village, it waits for the town's check
    (``confirm_account``) — one person alone never redirects a family's payments."""
    at = at or timezone.now()
    family = _family(actor, family_id)
    _check_version(family, expected_version)
    changed, money = {}, {}
    if needs is not None:
        family.needs = _text(needs, "needs", _("困难与需求"), required=False)
        changed["needs"] = True
    if address is not None:
        family.address = _text(address, "address", _("居住地址"), required=False, limit=200)
        changed["address"] = True
    if payee not in (None, ""):
        m = references.resolve(family.members.filter(left_at__isnull=True, lives_together=True), field="payee",
                               label=_("共同生活的家庭成员"), pk=payee)
        if m.person_id != family.payee_id:
            money["payee"] = (m.person_id, masking.mask_name(m.person.name))
    if bank is not None:
        bank = _text(bank, "bank", _("开户银行"), required=False, limit=40)
        if bank != family.bank:
            money["bank"] = (bank, bank)
    if account not in (None, ""):
        digits = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(account)))
        if not re.fullmatch(r"[0-9]{12,30}", digits):
            raise _err("account", _("银行账号须为 12–30 位数字"))
        money["account"] = (crypto.seal(digits), f"****{digits[-4:]}")
    if money and staff_required(actor) > TOWN:
        family.account_pending = {
            "payee": money["payee"][0] if "payee" in money else family.payee_id,
            "payee_shown": money["payee"][1] if "payee" in money else "",
            "bank": money["bank"][0] if "bank" in money else family.bank,
            "account_sealed": money["account"][0] if "account" in money else family.account_sealed,
            "account_shown": money["account"][1] if "account" in money else "",
            "by": actor.pk, "by_name": str(actor), "at": at.isoformat()}
        changed["account_pending"] = {k: v[1] for k, v in money.items()}
        _tell_town(family, _("收款信息变更待审核：%(f)s") % {"f": family.number})
    elif money:
        _apply_account(family, {k: v[0] for k, v in money.items()}, at)
        changed.update({k: v[1] for k, v in money.items()})
    family.save()
    _touch(family, at, actor, _("收款信息变更待镇（街道）审核") if "account_pending" in changed else _("修改家庭信息"),
           changed)
    return family


def _apply_account(family: Family, values: dict, at) -> None:
    if "payee" in values:
        family.payee_id = values["payee"]
    if "bank" in values:
        family.bank = values["bank"]
    if "account" in values:
        family.account_sealed = values["account"]
    family.account_changed_at = at
    family.account_pending = {}


def _tell_town(family: Family, title: str) -> None:
    from .kind import _tell

    _tell(family, title, f"/assistance/families/{family.pk}/#info", family.region_id)


@transaction.atomic
def confirm_account(*, actor, family_id, approve: bool, reason: str = "", expected_version=None, at=None) -> Family:
    """The town's check of a payee or account change the village asked for: by someone else."""
    at = at or timezone.now()
    if staff_required(actor) > TOWN:
        raise PermissionDenied(_("收款信息变更须由镇（街道）或县级民政部门审核"))
    family = _family(actor, family_id)
    _check_version(family, expected_version)
    pending = family.account_pending or {}
    if not pending:
        raise Conflict(_("没有待审核的收款信息变更"), code="already_done")
    if pending.get("by") == actor.pk:
        raise PermissionDenied(_("提出变更的工作人员不能审核自己的变更"))
    if approve:
        payee = pending.get("payee")
        if payee and not family.members.filter(person_id=payee, left_at__isnull=True, lives_together=True).exists():
            raise Conflict(_("拟变更的收款人已不是共同生活的家庭成员，请退回"), code="not_allowed_in_state")
        _apply_account(family, {"payee": payee, "bank": pending.get("bank", ""),
                                "account": pending.get("account_sealed", "")}, at)
        note = _("审核通过收款信息变更")
    else:
        family.account_pending = {}
        note = _("退回收款信息变更：%(r)s") % {"r": _text(reason, "reason", _("退回原因"), limit=200)}
    family.save()
    _touch(family, at, actor, note, {"approved": approve, "asked_by": pending.get("by_name", "")})
    return family


# ------------------------------------------------------------------------------- applications
def programs():
    return Program.objects.filter(is_active=True)


def _number(at) -> str:
    year = timezone.localtime(at).year
    return f"JZSQ{year}{counters.next_value(f'assist:{year}'):06d}"


@transaction.atomic
def submit(*, actor, program, reason: str, channel: str = Channel.COUNTER, family=None, head=None,
           id_number: str = "", name: str = "", alert=None, at=None) -> AssistApplication:
    """An application through the one-door counter, online, a village agent, or an alert. Staff
    name the family (or the registry person, whose file is opened); online, the applicant gives
    their own name and ID number."""
    at = at or timezone.now()
    if channel not in Channel.values:
        raise _err("channel", _("申请渠道无效"))
    if channel == Channel.ONLINE and (set(scope_for(actor).roles) - {Role.CITIZEN} or getattr(actor, "is_superuser",
                                                                                             False)):
        raise _err("channel", _("工作人员代为申请请选择“一门受理窗口”或“村（社区）代办”"))
    program = references.resolve(programs(), field="program", label=_("救助事项"), pk=program)
    reason = _text(reason, "reason", _("申请理由"))
    roles = set(scope_for(actor).roles)
    if family not in (None, ""):
        fam = _family(actor, family, lock=False)
    else:
        if channel == Channel.ONLINE and not (roles - {Role.CITIZEN}):
            person = find_person_public(id_number=id_number, name=name, actor=actor)
        else:
            if level(actor) is None and not roles & {Role.WINDOW_CLERK, Role.GRID_WORKER, Role.GRID_CHIEF}:
                raise PermissionDenied(_("您的岗位不能代为提出救助申请"))
            person = find_person(actor, pk=head, id_number=id_number, name=name)
        existing = membership(person)
        fam = existing.family if existing else open_family(actor=actor, head=person, at=at)
    from .models import Beneficiary

    enrolled = Beneficiary.objects.filter(family=fam, state__in=[Beneficiary.State.ACTIVE, Beneficiary.State.STOPPED],
                                          program=program).exclude(end_month__lt=_month_start(timezone.localdate(at)))
    if program.monthly and enrolled.exists():
        raise Conflict(_("该家庭已纳入「%(p)s」保障，无需重复申请；情况变化请到村（社区）或镇（街道）办理调整") % {
            "p": program.name}, code="already_done")
    dupe = AssistApplication.objects.filter(family=fam, program=program, status__in=OPEN).first()
    if dupe is not None:
        if level(actor) is None and dupe.submitted_by_id != getattr(actor, "pk", None):
            # Online or through an agent, for someone else's file: say no more than staff would at the counter.
            raise Conflict(_("该事项已有正在办理的申请，请向村（社区）或镇（街道）社会救助窗口咨询"), code="already_done")
        raise Conflict(_("该家庭已有正在办理的「%(p)s」申请（%(n)s）") % {"p": program.name, "n": dupe.number},
                       code="already_done")
    app = AssistApplication.objects.create(
        number=_number(at), family=fam, program=program, channel=channel, town=fam.town, region=fam.region,
        reason=reason, submitted_by=actor if getattr(actor, "pk", None) else None, submitted_at=at, alert=alert)
    Clocks(ASSISTANCE, app, at).start("intake", INTAKE_DAYS, "working_days", fresh=True)
    app.save(update_fields=["intake_due"])
    AssistStep.objects.create(application=app, action=Action.SUBMIT, at=at, actor=actor if getattr(actor, "pk", None)
                              else None, actor_label=str(actor or _("系统"))[:100], to_status=Status.SUBMITTED,
                              due=app.intake_due, note=f"{Channel(channel).label}：{reason[:200]}")
    audit.record(actor=actor if getattr(actor, "pk", None) else None, action="create", obj=app, at=at,
                 region_id=fam.region_id, after={"number": app.number, "program": program.code, "channel": channel})
    _tell(app, _("新的救助申请待受理：%(n)s") % {"n": app.number}, ASSISTANCE.url(app), app.region_id)
    return app


def find_person_public(*, id_number: str, name: str, actor=None):
    """Online: the applicant's own registry entry — ID number and name exact, and the registry's
    phone for that person is the account's confirmed mobile number (实名: one applies for oneself;
    for someone else, at the window or through the village agent). Every failure gives the same
    answer, so the form tells no one whether a name and a number belong together."""
    from shanzhi.registry.models import Person

    name = _text(name, "name", _("申请人姓名"), limit=50)
    try:
        number = normalise_id_number(id_number)
    except ValidationError:
        raise _err("id_number", _("身份证号格式不正确")) from None
    person = Person.objects.filter(id_bidx=crypto.blind_index("id", number)).first()
    mobile = getattr(actor, "mobile", "") or ""
    own = bool(person and mobile and person.phone_bidx and person.phone_bidx == crypto.blind_index("phone", mobile))
    if person is None or person.name != name or person.region_id is None or not own:
        raise _err("id_number", _("未能核验申请人身份：网上只能以本人名义申请（姓名、身份证号与账号绑定的手机号须与登记信息一致）；"
                                  "为家人申请请到村（社区）代办点或镇（街道）一门受理窗口"), "not_found")
    return person


def _move(case_id, action, actor, at, expected_version):
    return open_move(ASSISTANCE, case_id, action, actor=actor, at=at, expected_version=expected_version)


@transaction.atomic
def accept(*, actor, case_id, note: str = "", expected_version=None, at=None):
    m = _move(case_id, Action.ACCEPT, actor, at, expected_version)
    app = m.case
    app.accepted_at = m.at
    m.clocks.stop("intake")
    m.clocks.start("review", REVIEW_DAYS, "working_days", fresh=True)
    m.finish(note=_text(note, "note", _("说明"), required=False, limit=400) or _("受理，开展入户调查和家庭经济状况核对"),
             due=app.review_due)
    return app


@transaction.atomic
def not_accept(*, actor, case_id, reason: str, expected_version=None, at=None):
    m = _move(case_id, Action.NOT_ACCEPT, actor, at, expected_version)
    reason = _text(reason, "reason", _("不予受理的理由"), limit=400)
    app = m.case
    app.decision_reason, app.decided_at, app.decided_by = reason, m.at, actor
    m.clocks.stop_all()
    m.finish(note=reason)
    _tell_applicant(app, _("您的救助申请 %(n)s 不予受理：%(r)s") % {"n": app.number, "r": reason})
    return app


@transaction.atomic
def record_visit(*, actor, case_id, present: str, housing: str, findings: str, companions: str = "",
                 lon=None, lat=None, at=None):
    m = _move(case_id, Action.VISIT, actor, at, None)
    app = m.case
    visit = Visit.objects.create(
        application=app, family=app.family, at=m.at, by=actor,
        present=_text(present, "present", _("在场家庭成员"), limit=200),
        housing=_text(housing, "housing", _("居住情况"), limit=200),
        findings=_text(findings, "findings", _("调查情况")),
        companions=_text(companions, "companions", _("同行人员"), required=False, limit=100),
        lon=_coord(lon, "lon", 73, 136), lat=_coord(lat, "lat", 3, 54))
    m.finish(note=_("入户调查：%(f)s") % {"f": visit.findings[:300]}, data={"visit": visit.pk})
    return visit


def _coord(value, field, lo, hi):
    if value in (None, ""):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise _err(field, _("坐标无效")) from None
    if not lo <= v <= hi:
        raise _err(field, _("坐标无效"))
    return v


@transaction.atomic
def run_assessment(*, actor, case_id, at=None):
    """家庭经济状况核对 from the household file as it stands; kept with every line."""
    m = _move(case_id, Action.ASSESS, actor, at, None)
    app = m.case
    result = means.assess(app.family, app.program, at=m.at, by=actor, application=app)
    app.assessment = result
    m.finish(note=_("核对结果：%(r)s") % {"r": result.lines[-1]["value"]},
             data={"assessment": result.pk, "eligible": result.eligible, "benefit": str(result.benefit)})
    return result


@transaction.atomic
def propose(*, actor, case_id, note: str = "", expected_version=None, at=None):
    """乡镇审核同意: the latest assessment must be eligible and a home visit recorded; the
    application goes on public notice in the village for 7 days."""
    m = _move(case_id, Action.PROPOSE, actor, at, expected_version)
    app = m.case
    if not app.visits.exists():
        raise _err("visit", _("须先完成入户调查并记录"), "visit_required")
    latest = app.assessments.order_by("-at", "-id").first()
    if latest is None:
        raise _err("assessment", _("须先完成家庭经济状况核对"), "assessment_required")
    if app.family.changed_at and latest.at < app.family.changed_at:
        raise _err("assessment", _("家庭档案在核对之后有变更，请重新核对"), "assessment_stale")
    if not latest.eligible:
        raise _err("assessment", _("核对结果为不符合条件，不能公示；如不予救助请写明理由"), "not_eligible")
    app.assessment, app.benefit = latest, latest.benefit
    app.notice_from = m.at
    app.notice_until = m.at + dt.timedelta(days=NOTICE_DAYS)
    m.clocks.stop("review")
    m.clocks.start("notice", NOTICE_DAYS + 3, "calendar_days", fresh=True)
    m.finish(note=_text(note, "note", _("审核意见"), required=False, limit=400)
             or _("审核同意，在%(v)s张榜公示 7 日") % {"v": app.region.name}, due=app.notice_until)
    return app


@transaction.atomic
def record_objection(*, actor, case_id, text: str, at=None) -> Objection:
    m = _move(case_id, Action.OBJECT, actor, at, None)
    obj = Objection.objects.create(application=m.case, received_at=m.at, by=actor,
                                   text=_text(text, "text", _("异议内容")))
    m.finish(note=_("收到公示异议"), data={"objection": obj.pk})
    return obj


@transaction.atomic
def answer_objection(*, actor, case_id, objection_id, answer: str, upheld: bool, at=None):
    """Answered after checking. Upheld, the application goes back to investigation."""
    action = Action.RECHECK if upheld else Action.ANSWER
    m = _move(case_id, action, actor, at, None)
    app = m.case
    obj = references.resolve(app.objections.select_for_update(), field="objection", label=_("异议"), pk=objection_id)
    if obj.answered_at is not None:
        raise Conflict(_("该异议已答复"), code="already_done")
    obj.answer, obj.upheld, obj.answered_at = _text(answer, "answer", _("核实与答复")), bool(upheld), m.at
    obj.save(update_fields=["answer", "upheld", "answered_at"])
    if upheld:
        m.clocks.stop("notice")
        m.clocks.start("review", REVIEW_DAYS, "working_days", fresh=True)
        app.notice_from = app.notice_until = None
    m.finish(note=obj.answer[:400], data={"objection": obj.pk, "upheld": bool(upheld)},
             due=app.review_due if upheld else None)
    return obj


@transaction.atomic
def notice_end(*, actor, case_id, expected_version=None, at=None):
    m = _move(case_id, Action.NOTICE_END, actor, at, expected_version)
    app = m.case
    if app.notice_until and m.at < app.notice_until:
        raise Conflict(_("公示期至 %(d)s 届满，届满后才能报县级确认") % {
            "d": timezone.localtime(app.notice_until).strftime("%Y-%m-%d %H:%M")}, code="notice_running")
    if app.objections.filter(answered_at__isnull=True).exists():
        raise Conflict(_("尚有未答复的公示异议"), code="objection_open")
    m.clocks.stop("notice")
    m.clocks.start("confirm", CONFIRM_DAYS, "working_days", fresh=True)
    m.finish(note=_("公示期满无异议（或异议不成立），报县级民政部门确认"), due=app.confirm_due)
    return app


@transaction.atomic
def confirm(*, actor, case_id, note: str = "", expected_version=None, at=None):
    """县级确认: the family is enrolled from next month (one-off items: paid in next month's list)."""
    m = _move(case_id, Action.CONFIRM, actor, at, expected_version)
    app = m.case
    if app.assessment_id is None or app.benefit is None:
        raise _err("assessment", _("缺少核对结果，不能确认"))
    start = next_month(timezone.localdate(m.at))
    app.start_month, app.decided_at, app.decided_by = start, m.at, actor
    app.decision_reason = _text(note, "note", _("确认意见"), required=False, limit=400)
    m.clocks.stop_all()
    program, family = app.program, app.family
    enrolled = Beneficiary.objects.filter(family=family, program=program, state=Beneficiary.State.ACTIVE).first()
    if enrolled is not None:
        enrolled.amount, enrolled.members, enrolled.application = app.benefit, app.assessment.members, app
        enrolled.history = [*enrolled.history, {"at": m.at.isoformat(), "what": "adjust", "amount": str(app.benefit),
                                               "by": str(actor), "application": app.number}]
        enrolled.save()
    else:
        Beneficiary.objects.create(
            family=family, program=program, application=app, town=app.town, region=app.region,
            members=app.assessment.members, amount=app.benefit, start_month=start,
            end_month=None if program.monthly else start,
            history=[{"at": m.at.isoformat(), "what": "start", "amount": str(app.benefit), "by": str(actor),
                      "application": app.number}])
    group = means.group_after(program, app.assessment)
    if group:
        Family.objects.filter(pk=family.pk).update(group=group)
    m.finish(note=app.decision_reason or _("确认批准，%(m)s 起发放 %(b)s") % {
        "m": f"{start:%Y年%m月}", "b": means.yuan(app.benefit)}, data={"start_month": str(start)})
    _tell_applicant(app, _("您的救助申请 %(n)s 已批准，%(m)s起发放") % {"n": app.number, "m": f"{start:%Y年%m月}"})
    return app


@transaction.atomic
def refuse(*, actor, case_id, reason: str, expected_version=None, at=None):
    m = _move(case_id, Action.REFUSE, actor, at, expected_version)
    reason = _text(reason, "reason", _("不予救助的理由"), limit=400)
    app = m.case
    app.decision_reason, app.decided_at, app.decided_by = reason, m.at, actor
    m.clocks.stop_all()
    m.finish(note=reason)
    _tell_applicant(app, _("您的救助申请 %(n)s 不予批准：%(r)s") % {"n": app.number, "r": reason})
    return app


@transaction.atomic
def withdraw(*, actor, case_id, reason: str = "", expected_version=None, at=None):
    m = _move(case_id, Action.WITHDRAW, actor, at, expected_version)
    app = m.case
    app.decision_reason = _text(reason, "reason", _("撤回原因"), required=False, limit=400)
    app.decided_at = m.at
    m.clocks.stop_all()
    m.finish(note=app.decision_reason or _("申请人撤回"))
    return app


@transaction.atomic
def supervise(*, actor, case_id, note: str, at=None):
    m = _move(case_id, Action.SUPERVISE, actor, at, None)
    note = _text(note, "note", _("督办意见"), limit=400)
    m.finish(note=note)
    _tell(m.case, _("督办：救助申请 %(n)s — %(t)s") % {"n": m.case.number, "t": note[:60]}, ASSISTANCE.url(m.case),
          m.case.region_id)
    return m.case


def _tell_applicant(app, text):
    from shanzhi.notify.services import notifications_suppressed, queue

    if notifications_suppressed() or not app.submitted_by_id:
        return
    queue(channel="inapp", user_id=app.submitted_by_id, title=text, body=text, topic="assistance",
          link=ASSISTANCE.url(app), object_ref=ASSISTANCE.url(app))


# ------------------------------------------------------------------------------- enrolment
@transaction.atomic
def set_enrolment(*, actor, beneficiary_id, stop: bool, reason: str, at=None) -> Beneficiary:
    """停发 / 恢复发放, each with its reason in the record; a town office or the county."""
    at = at or timezone.now()
    if staff_required(actor) > TOWN:
        raise PermissionDenied(_("须由镇（街道）或县级民政部门办理停发、恢复"))
    from .kind import staff_q

    b = references.resolve(Beneficiary.objects.select_for_update().filter(staff_q(actor)), field="beneficiary",
                           label=_("保障对象"), pk=beneficiary_id)
    reason = _text(reason, "reason", _("原因"), limit=200)
    want = Beneficiary.State.STOPPED if stop else Beneficiary.State.ACTIVE
    if b.state == Beneficiary.State.ENDED:
        raise Conflict(_("该保障已终止"), code="not_allowed_in_state")
    if b.state == want:
        raise Conflict(_("已是「%(s)s」状态") % {"s": b.get_state_display()}, code="already_done")
    b.state = want
    b.history = [*b.history, {"at": at.isoformat(), "what": "stop" if stop else "resume", "reason": reason,
                              "by": str(actor)}]
    b.version += 1
    b.save(update_fields=["state", "history", "version", "updated_at"])
    audit.record(actor=actor, action="update", obj=b, at=at, region_id=b.region_id,
                 note=("停发：" if stop else "恢复发放：") + reason, after={"state": want})
    return b

