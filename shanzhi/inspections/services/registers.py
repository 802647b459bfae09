"""The two registers (两库): entities as inspection targets, inspectors and their declared
conflicts of interest. Every write resolves what it names through the actor's reach."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from shanzhi.common import audit, counters, references

from ..kind import may_organise
from ..models import EntityProfile, Inspector, Relation, Risk, Sector
from ..selectors import departments_for, inspectors_for, organisations_for

CODE = re.compile(r"^[0-9A-Za-z\-]{2,30}$")

# Default sector and risk of an organisation by its registered industry (the demo's and the
# import's starting point; the supervising department corrects them on the register page).
INDUSTRY_SECTOR = {
    "纺织业": (Sector.SAFETY, Risk.MEDIUM), "金属制品业": (Sector.SAFETY, Risk.HIGH),
    "通用设备制造业": (Sector.EQUIPMENT, Risk.MEDIUM), "化学原料和化学制品制造业": (Sector.HAZCHEM, Risk.HIGH),
    "批发和零售业": (Sector.TRADE, Risk.LOW), "住宿和餐饮业": (Sector.FOOD, Risk.MEDIUM),
    "建筑业": (Sector.BUILDING, Risk.HIGH), "交通运输业": (Sector.TRANSPORT, Risk.MEDIUM),
    "农业": (Sector.ECOLOGY, Risk.LOW), "服装服饰业": (Sector.PRODUCT, Risk.LOW),
}


def default_profile(industry: str, kind: str, is_key: bool) -> tuple[str, int]:
    if kind == "social":
        return Sector.SOCIAL, Risk.LOW
    sector, risk = INDUSTRY_SECTOR.get(industry or "", (Sector.TRADE, Risk.MEDIUM))
    if is_key:
        risk = min(Risk.SEVERE, risk + 1)
    return str(sector), int(risk)


def _may_manage(actor) -> None:
    if not may_organise(actor):
        raise PermissionDenied(_("只有执法部门或镇（街道）、县级领导可以维护检查名录"))


def _choice(value, choices, field_: str, label: str):
    if value not in choices:
        raise ValidationError({field_: ValidationError(_("%(l)s无效") % {"l": label}, code="invalid")})
    return value


@transaction.atomic
def profile_save(*, actor, organisation, sector: str, risk, supervisor=None, is_active: bool = True,
                 note: str = "") -> EntityProfile:
    """An organisation listed (or its listing changed) in the register of inspectable entities."""
    _may_manage(actor)
    org = references.resolve(organisations_for(actor), field="organisation", label=_("单位"), pk=organisation)
    sector = _choice(str(sector), Sector.values, "sector", _("检查对象类别"))
    try:
        risk = int(str(risk))
    except ValueError:
        risk = 0
    risk = _choice(risk, Risk.values, "risk", _("风险等级"))
    if supervisor not in (None, ""):
        supervisor = references.resolve(departments_for(actor), field="supervisor", label=_("日常监管单位"),
                                        pk=supervisor)
    else:
        supervisor = None
    note = str(note or "").strip()[:200]
    profile = EntityProfile.objects.select_for_update().filter(organisation=org).first()
    before = audit.snapshot(profile) if profile else None
    if profile is None:
        profile = EntityProfile(organisation=org)
    profile.sector, profile.risk, profile.supervisor, profile.is_active, profile.note = \
        sector, risk, supervisor, bool(is_active), note
    if before:
        profile.version += 1
    profile.save()
    audit.record(actor=actor, action="update" if before else "create", obj=profile, region_id=org.region_id,
                 object_repr=org.name, before=before, after=audit.snapshot(profile))
    return profile


def profiles_fill(*, supervisor_for=None, organisations=None, actor=None) -> int:
    """List every organisation not yet in the register (of ``organisations``, else all), with the
    defaults of its industry. The supervising unit: ``supervisor_for(org) -> department id`` if
    given, else the squad whose area holds its grid, else its town's comprehensive enforcement
    bureau. One audit row for the batch (no actor: the daily task, the demo)."""
    from shanzhi.accounts.models import Department
    from shanzhi.enforcement.models import Squad
    from shanzhi.geo.models import Grid
    from shanzhi.registry.models import Organisation

    if supervisor_for is None:
        squad_of_grid = dict(Squad.grids.through.objects.values_list("grid_id", "squad__department_id"))
        top = {}
        for pk, parent, level in Grid.objects.values_list("pk", "parent_id", "level"):
            top[pk] = (parent, level)

        def level1(grid_id):
            seen = 0
            while grid_id and seen < 6:
                parent, level = top.get(grid_id, (None, 1))
                if level <= 1:
                    return grid_id
                grid_id, seen = parent, seen + 1
            return grid_id

        bureau = {code[:9]: pk for pk, code in Department.objects.filter(code__endswith="-ZF").values_list("pk", "code")}

        def supervisor_for(org):
            dept = squad_of_grid.get(level1(org["grid_id"])) if org["grid_id"] else None
            if dept is None and org["region__parent__code"]:
                dept = bureau.get(org["region__parent__code"][:9])
            return dept

    base = organisations if organisations is not None else Organisation.objects.all()
    rows = base.filter(inspection_profile__isnull=True).order_by("pk").values(
        "pk", "industry", "kind", "is_key", "grid_id", "region__parent__code")
    new = []
    for org in rows.iterator(chunk_size=5000):
        sector, risk = default_profile(org["industry"], org["kind"], org["is_key"])
        new.append(EntityProfile(organisation_id=org["pk"], sector=sector, risk=risk, supervisor_id=supervisor_for(org)))
    EntityProfile.objects.bulk_create(new, batch_size=2000)
    if new:
        audit.record(actor=actor, action="import", object_type="inspections.entityprofile",
                     note=f"检查对象名录：按行业补录 {len(new)} 个单位")
    return len(new)


@transaction.atomic
def register_fill(*, actor) -> int:
    """补录: the organisations of the actor's reach that the registry has and the register lacks
    (a new company, an import), listed with the defaults of their industry."""
    _may_manage(actor)
    return profiles_fill(organisations=organisations_for(actor), actor=actor)


def unlisted_count(actor) -> int:
    return organisations_for(actor).filter(inspection_profile__isnull=True).count()


def next_code() -> str:
    return f"JC{counters.next_value('inspector-code'):05d}"


def _user_candidates(department):
    from shanzhi.accounts.models import User

    return User.objects.filter(is_active=True).filter(
        Q(posts__department=department, posts__is_active=True) | Q(officer__squad__department=department)).distinct()


@transaction.atomic
def inspector_register(*, actor, user, department, certificate_number: str = "",
                       certificate_valid_until: dt.date | None = None, fields=(), code: str = "") -> Inspector:
    """A person of a department entered in the register of inspectors. An enforcement officer's
    certificate is theirs (renewals follow); others need a certificate number and its expiry."""
    _may_manage(actor)
    department = references.resolve(departments_for(actor), field="department", label=_("所属单位"), pk=department)
    user = references.resolve(_user_candidates(department), field="user", label=_("本单位人员"), pk=user)
    if Inspector.objects.filter(user=user).exists():
        raise ValidationError({"user": ValidationError(_("%(u)s 已在检查人员名录中") % {"u": user}, code="duplicate")})
    code = (code or "").strip() or next_code()
    if not CODE.match(code) or Inspector.objects.filter(code=code).exists():
        raise ValidationError({"code": ValidationError(_("检查人员编号无效或已被使用"), code="invalid")})
    from shanzhi.enforcement.models import Officer

    officer = Officer.objects.filter(user=user).first()
    certificate_number = str(certificate_number or "").strip()[:30]
    if officer is None and (not certificate_number or certificate_valid_until is None):
        raise ValidationError({"certificate_number": ValidationError(
            _("非执法队员须填写执法证号及有效期（持证人员方可参加检查）"), code="required")})
    inspector = Inspector.objects.create(
        user=user, code=code, department=department, officer=officer,
        certificate_number=officer.certificate_number if officer else certificate_number,
        certificate_valid_until=None if officer else certificate_valid_until,
        fields=[str(f)[:20] for f in fields][:10])
    audit.record(actor=actor, action="create", obj=inspector, region_id=department.region_id,
                 after={"code": code, "user": user.get_username(), "department": department.code})
    return inspector


@transaction.atomic
def inspector_set_active(*, actor, inspector_id, active: bool, expected_version: int | None = None) -> Inspector:
    _may_manage(actor)
    inspector = references.resolve(inspectors_for(actor).select_for_update(of=("self",)), field="inspector",
                                   label=_("检查人员"), pk=inspector_id)
    if inspector.user_id == getattr(actor, "pk", None) and not actor.is_superuser:
        raise PermissionDenied(_("不能变更本人的在岗状态"))
    if expected_version is not None and inspector.version != expected_version:
        from shanzhi.cases.errors import Conflict

        raise Conflict(_("该检查人员已被他人修改，请刷新后查看"), code="stale_version")
    before = {"is_active": inspector.is_active}
    inspector.is_active = bool(active)
    inspector.version += 1
    inspector.save(update_fields=["is_active", "version", "updated_at"])
    audit.record(actor=actor, action="update", obj=inspector, region_id=inspector.department.region_id,
                 before=before, after={"is_active": inspector.is_active})
    return inspector


@transaction.atomic
def relation_declare(*, actor, inspector, organisation, kind: str, note: str = "") -> Relation:
    """回避申报: by the inspector, or by whoever manages the register. From now on the draw never
    sends that inspector to that organisation."""
    inspector = references.resolve(inspectors_for(actor), field="inspector", label=_("检查人员"), pk=inspector)
    if inspector.user_id != getattr(actor, "pk", None):
        _may_manage(actor)
    org = references.resolve(organisations_for(actor), field="organisation", label=_("单位"), pk=organisation)
    kind = _choice(kind, Relation.Kind.values, "kind", _("关系"))
    note = str(note or "").strip()
    if len(note) > 200 or "\x00" in note:
        raise ValidationError({"note": ValidationError(_("说明不能超过 200 字"), code="too_long")})
    existing = Relation.objects.filter(inspector=inspector, organisation=org, is_active=True).first()
    if existing is not None:
        raise ValidationError({"organisation": ValidationError(
            _("%(i)s 已申报与 %(o)s 的关系") % {"i": inspector.user, "o": org.name}, code="duplicate")})
    relation = Relation.objects.create(inspector=inspector, organisation=org, kind=kind, note=note, declared_by=actor)
    audit.record(actor=actor, action="create", obj=relation, region_id=org.region_id,
                 object_repr=f"{inspector.code}↔{org.name}"[:200],
                 after={"inspector": inspector.code, "organisation": org.uscc, "kind": kind})
    return relation


@transaction.atomic
def relation_withdraw(*, actor, relation_id, reason: str) -> Relation:
    from ..selectors import relations_for

    relation = references.resolve(relations_for(actor).select_for_update(of=("self",)), field="relation",
                                  label=_("回避申报"), pk=relation_id)
    _may_manage(actor)
    reason = str(reason or "").strip()[:200]
    if not reason:
        raise ValidationError({"reason": ValidationError(_("撤销回避申报须写明理由"), code="required")})
    relation.is_active = False
    relation.save(update_fields=["is_active", "updated_at"])
    audit.record(actor=actor, action="update", obj=relation, region_id=relation.organisation.region_id,
                 before={"is_active": True}, after={"is_active": False}, note=reason,
                 object_repr=f"{relation.inspector.code}↔{relation.organisation.name}"[:200])
    return relation


