"""The closed loop: every move of an incident is one transition of the case kernel with actor,
time, note and attachments (DOMAIN.md §4).

Each service opens its move through ``shanzhi.cases.transition.open_move``, which fetches the
incident for update *through the actor's scope*, checks the post, the allowed-moves table and the
version the person saw; the service applies its rule (assignment, clocks) and finishes the move,
which writes the step and the audit row in the same transaction as the notifications.
Every object a move refers to (a case to merge into, a department) is resolved through the
actor's scope too: outside it looks exactly like missing.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.models import Department, Post, User
from shanzhi.accounts.roles import Role
from shanzhi.cases.errors import Conflict
from shanzhi.cases.transition import lock, open_move
from shanzhi.common import references
from shanzhi.common.workcal import TimeUnit, WorkingCalendar
from shanzhi.notify.services import notifications_suppressed, queue

from ..kind import INCIDENT
from ..models import Attachment, ExtensionRequest, Incident, IncidentClass, Summons, Tier
from ..states import Action, Status
from .photos import clean_photos

__all__ = ["Conflict"]
SUMMONS_CHECK_IN_HOURS = 2  # working hours for a summoned department to report in (≈)
MAX_EXTENSION = 60
EXTENSION_UNITS = (TimeUnit.WORKING_DAYS, TimeUnit.WORKING_HOURS, TimeUnit.CALENDAR_DAYS)

_town_codes: dict[int, str] = {}  # region ids never change their code


def town_code(town_id: int | None) -> str:
    if not town_id:
        return ""
    if town_id not in _town_codes:
        from shanzhi.geo.models import Region

        _town_codes[town_id] = Region.objects.values_list("code", flat=True).get(pk=town_id)
    return _town_codes[town_id]


def tier_of(department: Department) -> str:
    """村（社区）两委 handle at village tier, town offices at town tier, county departments above."""
    level = department.region.level
    return Tier.VILLAGE if level >= 5 else Tier.TOWN if level == 4 else Tier.COUNTY


def stage_due(incident: Incident, stage: str, start: dt.datetime) -> dt.datetime:
    amount, unit = incident.subclass.limit(stage)
    return WorkingCalendar(town_code(incident.town_id)).add(start, amount, unit)


def _move(incident_id, action, actor, *, at=None, expected_version=None, locked=None):
    return open_move(INCIDENT, incident_id, action, actor=actor, at=at, expected_version=expected_version,
                     locked=locked)


def _need(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: ValidationError(message, code="required")})
    return text


def dispatch_targets(incident: Incident):
    """Departments that fit a case: the county's departments, the case's town offices and its
    village committee — never another town's office or another village's committee."""
    from django.db.models import Q

    return Department.objects.filter(
        Q(region__level__lte=3) | Q(region_id=incident.town_id) | Q(region_id=incident.region_id),
        is_active=True).select_related("region")


def resolve_department(incident: Incident, ref=None, *, code: str = "", field: str = "department") -> Department:
    if code:
        return references.resolve(dispatch_targets(incident), field=field, label=_("处置部门"), code=code)
    return references.resolve(dispatch_targets(incident), field=field, label=_("处置部门"), pk=ref)


def _department_users(department_id: int):
    return list(User.objects.filter(posts__department_id=department_id, posts__is_active=True).only("id").distinct())


_command_cache: dict[tuple, tuple[list, float]] = {}
COMMAND_CACHE_SECONDS = 30


def _command_users(incident: Incident, roles=(Role.DISPATCHER, Role.TOWN_LEADER)):
    """The town's command-center staff (the county's, for a case not yet placed); remembered per
    process for half a minute, since every report notifies them."""
    region_id = incident.town_id or incident.region_id
    if not region_id:
        return []
    key = (region_id, tuple(roles))
    hit = _command_cache.get(key)
    if hit and time.monotonic() - hit[1] < COMMAND_CACHE_SECONDS:
        return hit[0]
    users = list(User.objects.filter(posts__region_id=region_id, posts__role__in=roles, posts__is_active=True)
                 .only("id").distinct())
    _command_cache[key] = (users, time.monotonic())
    return users


def _grid_users(incident: Incident):
    if not incident.grid_id:
        return []
    return [p.user for p in Post.objects.filter(grid_id=incident.grid_id, is_active=True,
                                                role__in=[Role.GRID_WORKER, Role.INFORMANT]).select_related("user")]


def _notify_users(users, title: str, body: str, incident: Incident, topic: str) -> None:
    """In-app notices; ``users`` may be a callable, so no one is looked up when nothing is sent."""
    if notifications_suppressed():
        return
    if callable(users):
        users = users()
    for user in {u.pk: u for u in users}.values():
        queue(channel="inapp", user=user, title=title, body=body, link=f"/incidents/{incident.pk}/", topic=topic,
              object_ref=f"incident:{incident.pk}")


def _sms_reporter(incident: Incident, text: str, topic: str) -> None:
    from shanzhi.common import crypto

    phone = crypto.unseal(incident.reporter_phone_sealed) if incident.reporter_phone_sealed else ""
    if phone:
        queue(channel="sms", phone=phone, title=topic, body=text, topic=topic, object_ref=f"incident:{incident.pk}",
              dedup_key=f"sms:{topic}:{incident.pk}:{incident.round}")


def _webhook(incident: Incident, action: str) -> None:
    """Tell the external system that created the case (12345, a partner app) of each move."""
    from shanzhi.api.webhooks import case_changed

    case_changed(incident, action)


def _local(value: dt.datetime | None) -> str:
    return f"{timezone.localtime(value):%m-%d %H:%M}" if value else ""


# --------------------------------------------------------------------------- locate and register
@transaction.atomic
def incident_locate(*, actor, incident_id: int, grid=None, lon=None, lat=None, note: str = "",
                    expected_version: int | None = None, at: dt.datetime | None = None) -> Incident:
    """确定位置: place a report that arrived without a usable location (the county's 待定位 queue)
    on a grid — chosen, or from a point — so that its town's center takes it over."""
    from shanzhi.geo.selectors import grids_for_actor
    from shanzhi.geo.spatial import locate

    m = _move(incident_id, Action.LOCATE, actor, at=at, expected_version=expected_version)
    incident = m.case
    if grid not in (None, ""):
        cell = references.resolve(grids_for_actor(actor), field="grid", label=_("网格"), pk=grid)
        lon, lat = cell.center_lon, cell.center_lat
    else:
        try:
            found = locate(float(lon), float(lat), "wgs84")
        except (TypeError, ValueError) as exc:
            raise ValidationError({"location": _("请选择网格或填写有效坐标")}) from exc
        cell = grids_for_actor(actor).filter(pk=found.grid_id).first() if found.grid_id else None
        if cell is None:
            raise references.not_found("location", _("该位置所在网格"))
    incident.grid_id, incident.region_id, incident.town_id = cell.pk, cell.region_id, cell.town_id
    if incident.lon is None:
        incident.lon, incident.lat = lon, lat
    m.finish(note=note or _("定位至 %(g)s") % {"g": cell.name}, data={"grid": cell.code})
    _notify_users(lambda: _command_users(incident, roles=(Role.DISPATCHER,)), _("新事件待受理：%(n)s") % {"n": incident.number},
                  f"{incident.subclass.name}：{incident.description[:60]}", incident, "reported")
    return incident


@transaction.atomic
def incident_register(*, actor, incident_id: int, subclass: IncidentClass | None = None, note: str = "",
                      expected_version: int | None = None, at: dt.datetime | None = None) -> Incident:
    """Accept a report as a case; the class may be corrected here. The dispatch clock starts."""
    m = _move(incident_id, Action.REGISTER, actor, at=at, expected_version=expected_version)
    incident = m.case
    if not incident.town_id:
        raise ValidationError({"location": ValidationError(_("该事件尚未定位到镇（街道），请先确定位置"),
                                                           code="not_located")})
    if subclass is not None:
        if subclass.parent_id is None or not subclass.is_active:
            raise ValidationError({"subclass": _("请选择有效的事件小类")})
        incident.subclass = subclass
    incident.registered_at = m.at
    m.clocks.stop("register")
    m.clocks.start("dispatch", *incident.subclass.limit("dispatch"))
    m.finish(note=note, due=incident.dispatch_due)
    _record_class_choice(incident, actor, m.at)
    _sms_reporter(incident, _("【善治】您反映的问题已受理，编号 %(n)s，我们将尽快处理。") % {"n": incident.number}, "accepted")
    _webhook(incident, Action.REGISTER)
    return incident


def _record_class_choice(incident, actor, at) -> None:
    """What the suggester offers for this text now, and the class the dispatcher registered:
    feedback for the next training and the suggester's own record (rank 1 = it was right)."""
    from ..classify import loaded, suggest
    from ..models import ClassChoice

    ranked = suggest(incident.description, 3)
    codes = [s.code for s in ranked]
    chosen = incident.subclass.code
    model = loaded.get()
    ClassChoice.objects.update_or_create(incident=incident, defaults={
        "model_version": model.version if model else None,
        "suggested": [[s.code, round(s.confidence, 4)] for s in ranked], "chosen": chosen,
        "rank": codes.index(chosen) + 1 if chosen in codes else 0,
        "actor": actor if getattr(actor, "pk", None) else None, "at": at})


@transaction.atomic
def incident_void(*, actor, incident_id: int, reason: str, expected_version: int | None = None,
                  at: dt.datetime | None = None) -> Incident:
    """Refuse to register, with a written reason."""
    reason = _need(reason, "reason", _("不予立案必须说明理由"))
    m = _move(incident_id, Action.VOID, actor, at=at, expected_version=expected_version)
    m.clocks.stop_all()
    m.finish(note=reason)
    _sms_reporter(m.case, _("【善治】您反映的问题（编号 %(n)s）经核实不予立案：%(r)s") % {"n": m.case.number, "r": reason},
                  "voided")
    _webhook(m.case, Action.VOID)
    return m.case


@transaction.atomic
def incident_merge(*, actor, incident_id: int, into, note: str = "", expected_version: int | None = None,
                   at: dt.datetime | None = None) -> Incident:
    """Merge a duplicate into an earlier case of the actor's own area; the duplicate's reporter
    follows the earlier one. The target is resolved through the actor's scope."""
    m = _move(incident_id, Action.MERGE, actor, at=at, expected_version=expected_version)
    incident = m.case
    targets = INCIDENT.actionable(actor) if getattr(actor, "pk", None) else Incident.objects.all()
    targets = targets.exclude(status__in=[Status.MERGED, Status.VOIDED]).exclude(pk=incident.pk)
    target = references.resolve(targets, field="into", label=_("目标事件"), pk=into)
    incident.merged_into = target
    m.clocks.stop_all()
    m.finish(note=note or _("与 %(n)s 重复") % {"n": target.number}, data={"into": target.number})
    _webhook(incident, Action.MERGE)
    return incident


# --------------------------------------------------------------------------- dispatch stage
def _start_handling(m, incident: Incident, department: Department) -> None:
    incident.department = department
    incident.dispatched_at = m.at
    incident.tier = tier_of(department)
    m.clocks.stop("dispatch")
    m.clocks.start("handle", *incident.subclass.limit("handle"), round=incident.round)


@transaction.atomic
def incident_dispatch(*, actor, incident_id: int, department=None, department_code: str = "", note: str = "",
                      expected_version: int | None = None, at: dt.datetime | None = None) -> Incident:
    """Send the case to one department that fits it. The handling clock (SLA) starts here."""
    m = _move(incident_id, Action.DISPATCH, actor, at=at, expected_version=expected_version)
    incident = m.case
    dept = resolve_department(incident, department, code=department_code)
    _start_handling(m, incident, dept)
    m.finish(note=note, due=incident.handle_due, department=dept)
    _notify_users(lambda: _department_users(dept.pk), _("新派遣事件 %(n)s") % {"n": incident.number},
                  f"{incident.subclass.name}：{incident.description[:60]}（处置期限 {_local(incident.handle_due)}）",
                  incident, "dispatch")
    _webhook(incident, Action.DISPATCH)
    return incident


@transaction.atomic
def incident_whistle(*, actor, incident_id: int, lead=None, others=(), lead_code: str = "", other_codes=(),
                     note: str = "", expected_version: int | None = None, at: dt.datetime | None = None) -> Incident:
    """网格吹哨：summon several departments at once; the lead handles, each one's 报到 is tracked."""
    m = _move(incident_id, Action.WHISTLE, actor, at=at, expected_version=expected_version)
    incident = m.case
    lead_dept = resolve_department(incident, lead, code=lead_code, field="departments")
    helpers = [resolve_department(incident, o, field="departments") for o in others]
    helpers += [resolve_department(incident, code=c, field="departments") for c in other_codes]
    departments = {d.pk: d for d in [lead_dept, *helpers]}
    if len(departments) < 2:
        raise ValidationError({"others": ValidationError(_("吹哨至少需要两个部门"), code="too_few")})
    _start_handling(m, incident, lead_dept)
    check_in_due = m.clocks.calendar.add(m.at, SUMMONS_CHECK_IN_HOURS, TimeUnit.WORKING_HOURS)
    for dept in departments.values():
        Summons.objects.create(incident=incident, department=dept, summoned_at=m.at, due=check_in_due,
                               part=_("牵头处置") if dept.pk == lead_dept.pk else _("配合处置"))
        _notify_users(lambda dept=dept: _department_users(dept.pk), _("吹哨报到：%(n)s") % {"n": incident.number},
                      _("请于 %(t)s 前报到。%(d)s") % {"t": _local(check_in_due), "d": incident.description[:60]},
                      incident, "whistle")
    m.finish(note=note, due=incident.handle_due, department=lead_dept,
             data={"departments": [d.name for d in departments.values()]})
    _webhook(incident, Action.WHISTLE)
    return incident


@transaction.atomic
def incident_check_in(*, actor, incident_id: int, reply: str = "", expected_version: int | None = None,
                      at: dt.datetime | None = None) -> Summons:
    """A summoned department reports in (报到)."""
    from shanzhi.common.jurisdiction import scope_for

    m = _move(incident_id, Action.CHECK_IN, actor, at=at, expected_version=expected_version)
    summons = m.case.summons.filter(department_id__in=scope_for(actor).department_ids).first()
    if summons is None:
        raise ValidationError({"department": _("您的部门未被召集")})
    if summons.checked_in_at:
        raise Conflict(_("您的部门已于 %(t)s 报到") % {"t": _local(summons.checked_in_at)}, code="already_done")
    summons.checked_in_at = m.at
    summons.reply = reply
    summons.save()
    m.finish(note=reply, department=summons.department, data={"late": summons.checked_in_at > summons.due})
    return summons


@transaction.atomic
def incident_escalate(*, actor, incident_id: int, reason: str, expected_version: int | None = None,
                      at: dt.datetime | None = None, locked=None) -> Incident:
    """Move the case one tier up (village → town → county) for re-dispatch, with a reason. Only the
    lead department (or the center) may do it; actor None is the deadline scan by configuration."""
    reason = _need(reason, "reason", _("上报上级必须说明理由"))
    m = _move(incident_id, Action.ESCALATE, actor, at=at, expected_version=expected_version, locked=locked)
    incident = m.case
    order = [Tier.VILLAGE, Tier.TOWN, Tier.COUNTY]
    if incident.tier == Tier.COUNTY:
        raise ValidationError({"tier": _("已是县级层级，无法继续上报")})
    incident.tier = order[order.index(incident.tier) + 1]
    incident.department = None
    m.clocks.stop("handle")
    m.clocks.start("dispatch", *incident.subclass.limit("dispatch"))
    m.finish(note=reason, due=incident.dispatch_due, data={"tier": incident.tier})
    _notify_users(lambda: _command_users(incident, roles=(Role.DISPATCHER,)), _("事件上报上级：%(n)s") % {"n": incident.number},
                  reason, incident, "escalate")
    return incident


# --------------------------------------------------------------------------- handle stage
@transaction.atomic
def incident_accept(*, actor, incident_id: int, expected_version: int | None = None,
                    at: dt.datetime | None = None) -> Incident:
    m = _move(incident_id, Action.ACCEPT, actor, at=at, expected_version=expected_version)
    m.finish(department_id=m.case.department_id, due=m.case.handle_due)
    _webhook(m.case, Action.ACCEPT)
    return m.case


@transaction.atomic
def incident_return(*, actor, incident_id: int, reason: str, expected_version: int | None = None,
                    at: dt.datetime | None = None) -> Incident:
    """回退: not ours / wrongly dispatched — back to the dispatcher with a reason. The step names
    the department that returned it (appraisal charges the return to it)."""
    reason = _need(reason, "reason", _("回退必须说明理由"))
    m = _move(incident_id, Action.RETURN, actor, at=at, expected_version=expected_version)
    incident = m.case
    returned_from = incident.department_id
    incident.department = None
    incident.returned_count += 1
    m.clocks.stop("handle")
    m.clocks.start("dispatch", *incident.subclass.limit("dispatch"))
    m.finish(note=reason, department_id=returned_from, due=incident.dispatch_due)
    _notify_users(lambda: _command_users(incident), _("事件被回退：%(n)s") % {"n": incident.number}, reason, incident, "return")
    return incident


def _extension_amount(amount, unit) -> tuple[float, str]:
    try:
        unit = TimeUnit(unit)
        amount = float(amount)
    except (ValueError, TypeError):
        raise ValidationError({"amount": ValidationError(_("延期时长无效"), code="invalid")}) from None
    if unit not in EXTENSION_UNITS:
        raise ValidationError({"unit": ValidationError(_("延期单位应为工作日、工作时或自然日"), code="invalid")})
    if not 0.1 <= amount <= MAX_EXTENSION or abs(round(amount, 1) - amount) > 1e-9:
        raise ValidationError({"amount": ValidationError(
            _("延期时长应大于 0、不超过 %(n)d，最多一位小数（如 0.5 个工作日）") % {"n": MAX_EXTENSION}, code="invalid")})
    return amount, unit


@transaction.atomic
def incident_request_extension(*, actor, incident_id: int, amount, unit: str, reason: str,
                               expected_version: int | None = None, at: dt.datetime | None = None) -> ExtensionRequest:
    """延期申请, within the handling time limit (a late case cannot buy its lateness back)."""
    reason = _need(reason, "reason", _("申请延期必须说明理由"))
    amount, unit = _extension_amount(amount, unit)
    m = _move(incident_id, Action.EXTEND_REQUEST, actor, at=at, expected_version=expected_version)
    incident = m.case
    if incident.handle_due and m.at > incident.handle_due:
        raise ValidationError({"amount": ValidationError(_("已超过处置期限，不能再申请延期"), code="past_due")})
    if incident.extensions.filter(state=ExtensionRequest.State.PENDING).exists():
        raise Conflict(_("已有待审批的延期申请"), code="already_pending")
    request = ExtensionRequest.objects.create(incident=incident, requested_by=actor, requested_at=m.at,
                                              amount=amount, unit=unit, reason=reason)
    m.finish(note=reason, department_id=incident.department_id, data={"amount": amount, "unit": unit})
    _notify_users(lambda: _command_users(incident), _("延期申请：%(n)s") % {"n": incident.number}, reason, incident, "extension")
    return request


@transaction.atomic
def incident_decide_extension(*, actor, incident_id: int, request_id, approve: bool, note: str = "",
                              expected_version: int | None = None, at: dt.datetime | None = None) -> ExtensionRequest:
    """The center approves (the handling deadline moves by the amount, fractions included) or refuses."""
    action = Action.EXTEND_APPROVE if approve else Action.EXTEND_REFUSE
    m = _move(incident_id, action, actor, at=at, expected_version=expected_version)
    incident = m.case
    request = references.resolve(incident.extensions.select_for_update(), field="request", label=_("延期申请"),
                                 pk=request_id)
    if request.state != ExtensionRequest.State.PENDING:
        raise Conflict(_("该延期申请已被处理：%(s)s") % {"s": request.get_state_display()}, code="already_done")
    request.state = ExtensionRequest.State.APPROVED if approve else ExtensionRequest.State.REFUSED
    request.decided_by, request.decided_at, request.decision_note = actor, m.at, note
    request.save()
    if approve:
        m.clocks.extend("handle", float(request.amount), request.unit)
        incident.extended = True
    m.finish(note=note, due=incident.handle_due, data={"amount": float(request.amount), "unit": request.unit})
    if incident.department_id:
        _notify_users(lambda: _department_users(incident.department_id),
                      _("延期申请%(r)s：%(n)s") % {"r": _("已同意") if approve else _("未同意"), "n": incident.number},
                      note or "", incident, "extension")
    return request


@transaction.atomic
def incident_shelve(*, actor, incident_id: int, reason: str, expected_version: int | None = None,
                    at: dt.datetime | None = None) -> Incident:
    """挂账: cannot be solved now (funding, planning …). The handling clock pauses and keeps what
    was left; a pending extension request is withdrawn (the clock no longer runs)."""
    reason = _need(reason, "reason", _("挂账必须说明理由"))
    m = _move(incident_id, Action.SHELVE, actor, at=at, expected_version=expected_version)
    incident = m.case
    withdrawn = incident.extensions.filter(state=ExtensionRequest.State.PENDING).update(
        state=ExtensionRequest.State.WITHDRAWN, decided_at=m.at, decision_note=_("挂账时自动撤回"))
    m.clocks.pause("handle", reason)
    m.finish(note=reason, department_id=incident.department_id, data={"withdrawn_extensions": withdrawn})
    return incident


@transaction.atomic
def incident_resume(*, actor, incident_id: int, note: str = "", expected_version: int | None = None,
                    at: dt.datetime | None = None) -> Incident:
    """Back from 挂账: the handling clock continues with the time that was left."""
    m = _move(incident_id, Action.RESUME, actor, at=at, expected_version=expected_version)
    m.clocks.resume("handle")
    m.finish(note=note, due=m.case.handle_due, department_id=m.case.department_id)
    return m.case


@transaction.atomic
def incident_reply(*, actor, incident_id: int, note: str, photos=(), expected_version: int | None = None,
                   at: dt.datetime | None = None) -> Incident:
    """处置反馈 with photos; the reporter's side must now verify on site."""
    note = _need(note, "note", _("请填写处置情况"))
    cleaned = clean_photos(photos)
    m = _move(incident_id, Action.REPLY, actor, at=at, expected_version=expected_version)
    incident = m.case
    incident.replied_at = m.at
    m.clocks.stop("handle")
    m.clocks.start("verify", *incident.subclass.limit("verify"), round=incident.round)
    step = m.finish(note=note, due=incident.verify_due, department_id=incident.department_id)
    _attach(incident, step, cleaned, Attachment.Kind.REPLY)
    _notify_users(lambda: ([incident.reporter] if incident.reporter_id else []) + _grid_users(incident), _("待核查：%(n)s") % {"n": incident.number}, note[:80], incident, "verify")
    _webhook(incident, Action.REPLY)
    return incident


def _attach(incident, step, photos, kind) -> None:
    for content in photos:
        Attachment.objects.create(incident=incident, step=step, kind=kind, image=content,
                                  width=getattr(content, "width", 0), height=getattr(content, "height", 0))


# --------------------------------------------------------------------------- verify, close, rate, archive
@transaction.atomic
def incident_verify(*, actor, incident_id: int, passed: bool, note: str = "", photos=(),
                    expected_version: int | None = None, at: dt.datetime | None = None) -> Incident:
    """核查: pass closes the case and invites a rating; fail sends it back (返工) with a new
    handling clock. The first dispatch keeps its time (rework is not a late dispatch)."""
    if not passed:
        note = _need(note, "note", _("核查不通过必须说明原因"))
    cleaned = clean_photos(photos)
    m = _move(incident_id, Action.VERIFY_PASS if passed else Action.VERIFY_FAIL, actor, at=at,
              expected_version=expected_version)
    incident = m.case
    m.clocks.stop("verify")
    if passed:
        incident.closed_at = m.at
        incident.rating_token = secrets.token_urlsafe(16)
        step = m.finish(note=note)
        _sms_reporter(incident, _("【善治】您反映的问题（编号 %(n)s）已办结，请评价：%(u)s") % {
            "n": incident.number, "u": f"{settings.PUBLIC_BASE_URL.rstrip('/')}/rate/{incident.rating_token}/"},
            "closed")
    else:
        incident.round += 1
        incident.rework_count += 1
        incident.replied_at = None
        m.clocks.start("handle", *incident.subclass.limit("handle"), round=incident.round)
        step = m.finish(note=note, due=incident.handle_due, department_id=incident.department_id)
        if incident.department_id:
            _notify_users(lambda: _department_users(incident.department_id), _("返工：%(n)s") % {"n": incident.number}, note,
                          incident, "rework")
    _attach(incident, step, cleaned, Attachment.Kind.VERIFY)
    _webhook(incident, m.action)
    return incident


RATING_LABELS = {5: _("非常满意"), 4: _("满意"), 3: _("基本满意"), 2: _("不满意"), 1: _("非常不满意")}


@transaction.atomic
def incident_rate(*, token: str, level: int, comment: str = "", at: dt.datetime | None = None) -> Incident:
    """The citizen's rating through the link in the closing SMS: once, 1–5. The system records it
    on the citizen's behalf (no account)."""
    if level not in RATING_LABELS:
        raise ValidationError({"level": _("请选择 1–5 的评价")})
    pk = Incident.objects.filter(rating_token=token).values_list("pk", flat=True).first() if token else None
    if pk is None:
        raise ValidationError({"token": _("评价链接无效")})
    m = _move(pk, Action.RATE, None, at=at, locked=lock(INCIDENT, None, pk))
    if m.case.rating is not None:
        raise Conflict(_("该事件已评价"), code="already_done")
    m.case.rating = level
    m.finish(note=comment[:500], data={"level": level}, actor_label=_("群众"))
    return m.case


@transaction.atomic
def incident_archive(*, actor, incident_id: int, expected_version: int | None = None,
                     at: dt.datetime | None = None) -> Incident:
    m = _move(incident_id, Action.ARCHIVE, actor, at=at, expected_version=expected_version)
    m.finish()
    return m.case


def _supervision_recipients(incident: Incident) -> list:
    """督办 reaches whoever holds the case now, and the town's leaders."""
    users = _command_users(incident, roles=(Role.TOWN_LEADER,))
    if incident.status in (Status.REPORTED, Status.REGISTERED):
        users = users + _command_users(incident, roles=(Role.DISPATCHER,))
    elif incident.status == Status.REPLIED:
        users = users + _grid_users(incident)
    elif incident.department_id:
        users = users + _department_users(incident.department_id)
    return users


@transaction.atomic
def incident_supervise(*, actor, incident_id: int, note: str, expected_version: int | None = None,
                       at: dt.datetime | None = None, locked=None) -> Incident:
    """督办: a notice to whoever holds the case and the town's leaders (by hand, or by the scan)."""
    note = _need(note, "note", _("请填写督办意见"))
    m = _move(incident_id, Action.SUPERVISE, actor, at=at, expected_version=expected_version, locked=locked)
    incident = m.case
    m.finish(note=note, department_id=incident.department_id, data={"automatic": actor is None})
    _notify_users(lambda: _supervision_recipients(incident), _("督办：%(n)s") % {"n": incident.number}, note, incident,
                  "supervise")
    return incident


# --------------------------------------------------------------------------- the deadline scan's moves
def system_warn(incident: Incident, timer, now: dt.datetime) -> None:
    m = _move(incident.pk, Action.WARN, None, at=now, locked=incident)
    left = int((timer.due - now).total_seconds() // 60)
    m.finish(note=_("「%(s)s」环节距期限不足 %(m)d 分钟") % {"s": INCIDENT.stage_labels[timer.stage], "m": left},
             due=timer.due, data={"stage": timer.stage})
    def users():
        if incident.department_id and timer.stage == "handle":
            return _department_users(incident.department_id)
        return _grid_users(incident) if timer.stage == "verify" else _command_users(incident)

    _notify_users(users, _("临期预警：%(n)s") % {"n": incident.number}, _("期限 %(t)s") % {"t": _local(timer.due)},
                  incident, "warn")


def system_overdue(incident: Incident, timer, now: dt.datetime) -> None:
    m = _move(incident.pk, Action.OVERDUE, None, at=now, locked=incident)
    m.finish(note=_("「%(s)s」环节已超期") % {"s": INCIDENT.stage_labels[timer.stage]}, due=timer.due,
             data={"stage": timer.stage})
    incident_supervise(actor=None, incident_id=incident.pk, at=now, locked=incident,
                       note=_("事件 %(n)s 已超过「%(s)s」期限 %(t)s，请立即处置") % {
                           "n": incident.number, "s": INCIDENT.stage_labels[timer.stage], "t": _local(timer.due)})
