"""The closed loop: every move of an incident is one transition with actor, time, note and
attachments (DOMAIN.md §4). Each service locks the incident row, so of two people acting on the
same case one wins and the other is told what happened."""

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
from shanzhi.common import audit
from shanzhi.common.workcal import TimeUnit, WorkingCalendar
from shanzhi.notify.services import queue

from .. import permissions
from ..models import Attachment, ExtensionRequest, Incident, IncidentClass, IncidentStep, Summons, Tier
from ..states import TRANSITIONS, Action, Status
from .photos import clean_photos

SUMMONS_CHECK_IN_HOURS = 2  # working hours for a summoned department to report in (≈)


class Conflict(Exception):
    """The incident is no longer where the actor saw it: someone else acted first."""


_town_codes: dict[int, str] = {}  # region ids never change their code


def _calendar(incident: Incident) -> WorkingCalendar:
    if not incident.town_id:
        return WorkingCalendar("")
    if incident.town_id not in _town_codes:
        from shanzhi.geo.models import Region

        _town_codes[incident.town_id] = Region.objects.values_list("code", flat=True).get(pk=incident.town_id)
    return WorkingCalendar(_town_codes[incident.town_id])


def tier_of(department: Department) -> str:
    """村（社区）两委 handle at village tier, town offices at town tier, county departments above."""
    level = department.region.level
    return Tier.VILLAGE if level >= 5 else Tier.TOWN if level == 4 else Tier.COUNTY


def stage_due(incident: Incident, stage: str, start: dt.datetime) -> dt.datetime:
    amount, unit = incident.subclass.limit(stage)
    return _calendar(incident).add(start, amount, unit)


def _lock(incident_id: int, expected_version: int | None = None) -> Incident:
    incident = (Incident.objects.select_for_update(of=("self",)).select_related("subclass", "town", "department")
                .get(pk=incident_id))
    if expected_version is not None and incident.version != expected_version:
        raise Conflict(_("该事件已被他人处理（当前状态：%(s)s），请刷新后查看") % {"s": incident.get_status_display()})
    return incident


def transition(incident: Incident, action: str, *, actor, note: str = "", at: dt.datetime | None = None,
               due: dt.datetime | None = None, department: Department | None = None, data: dict | None = None,
               photos=(), photo_kind: str = Attachment.Kind.REPLY) -> IncidentStep:
    """Check the allowed-moves table, move the status, append the step (and photos), audit it."""
    allowed, to_status = TRANSITIONS[action]
    if incident.status not in allowed:
        raise Conflict(_("当前状态「%(s)s」不能执行「%(a)s」，可能已被他人处理") % {
            "s": incident.get_status_display(), "a": Action(action).label})
    before = incident.status
    at = at or timezone.now()
    if to_status is not None:
        incident.status = to_status
    incident.version += 1
    incident.save()
    step = IncidentStep.objects.create(
        incident=incident, action=action, at=at, actor=actor if getattr(actor, "pk", None) else None,
        actor_label=str(actor) if actor else "系统", from_status=before, to_status=incident.status,
        department=department, round=incident.round, due=due, note=note, data=data or {})
    for content in photos:
        Attachment.objects.create(incident=incident, step=step, kind=photo_kind, image=content,
                                  width=getattr(content, "width", 0), height=getattr(content, "height", 0))
    if actor is not None:
        audit.record(actor=actor, action="update", obj=incident, before={"status": before},
                     after={"status": incident.status}, note=f"{Action(action).label} {note}".strip()[:500])
    return step


def _need(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def _department_users(department_id: int):
    return list(User.objects.filter(posts__department_id=department_id, posts__is_active=True).only("id").distinct())


_command_cache: dict[tuple, tuple[list, float]] = {}
COMMAND_CACHE_SECONDS = 30


def _command_users(incident: Incident, roles=(Role.DISPATCHER, Role.TOWN_LEADER)):
    """The town's command-center staff; remembered per process for half a minute, since every
    report notifies them (a new dispatcher starts receiving notices within that time)."""
    if not incident.town_id:
        return []
    key = (incident.town_id, tuple(roles))
    hit = _command_cache.get(key)
    if hit and time.monotonic() - hit[1] < COMMAND_CACHE_SECONDS:
        return hit[0]
    users = list(User.objects.filter(posts__region_id=incident.town_id, posts__role__in=roles, posts__is_active=True)
                 .only("id").distinct())
    _command_cache[key] = (users, time.monotonic())
    return users


def _notify_users(users, title: str, body: str, incident: Incident, topic: str) -> None:
    for user in {u.pk: u for u in users}.values():
        queue(channel="inapp", user=user, title=title, body=body, link=f"/incidents/{incident.pk}/", topic=topic,
              object_ref=f"incident:{incident.pk}")


def _sms_reporter(incident: Incident, text: str, topic: str) -> None:
    from shanzhi.common import crypto

    phone = crypto.unseal(incident.reporter_phone_sealed) if incident.reporter_phone_sealed else ""
    if phone:
        queue(channel="sms", phone=phone, title=topic, body=text, topic=topic, object_ref=f"incident:{incident.pk}",
              dedup_key=f"sms:{topic}:{incident.pk}:{incident.round}")


# --------------------------------------------------------------------------- register stage
@transaction.atomic
def incident_register(*, actor, incident_id: int, subclass: IncidentClass | None = None, note: str = "",
                      expected_version: int | None = None, at: dt.datetime | None = None) -> Incident:
    """Accept a report as a case; the class may be corrected here. The dispatch clock starts."""
    incident = _lock(incident_id, expected_version)
    permissions.require(actor, "register")
    at = at or timezone.now()
    if subclass is not None:
        if subclass.parent_id is None or not subclass.is_active:
            raise ValidationError({"subclass": _("请选择有效的事件小类")})
        incident.subclass = subclass
    incident.registered_at = at
    incident.dispatch_due = stage_due(incident, "dispatch", at)
    transition(incident, Action.REGISTER, actor=actor, note=note, at=at, due=incident.dispatch_due)
    _sms_reporter(incident, _("【善治】您反映的问题已受理，编号 %(n)s，我们将尽快处理。") % {"n": incident.number}, "accepted")
    return incident


@transaction.atomic
def incident_void(*, actor, incident_id: int, reason: str, expected_version: int | None = None) -> Incident:
    """Refuse to register, with a written reason."""
    reason = _need(reason, "reason", _("不予立案必须说明理由"))
    incident = _lock(incident_id, expected_version)
    permissions.require(actor, "void")
    transition(incident, Action.VOID, actor=actor, note=reason)
    _sms_reporter(incident, _("【善治】您反映的问题（编号 %(n)s）经核实不予立案：%(r)s") % {"n": incident.number, "r": reason},
                  "voided")
    return incident


@transaction.atomic
def incident_merge(*, actor, incident_id: int, into_id: int, note: str = "") -> Incident:
    """Merge a duplicate into an earlier case; the duplicate's reporter follows the earlier one."""
    if incident_id == into_id:
        raise ValidationError({"into": _("不能合并到自身")})
    target = Incident.objects.filter(pk=into_id).first()
    if target is None or target.status in (Status.MERGED, Status.VOIDED):
        raise ValidationError({"into": _("目标事件不存在或已作废")})
    incident = _lock(incident_id)
    permissions.require(actor, "merge")
    incident.merged_into = target
    transition(incident, Action.MERGE, actor=actor, note=note or _("与 %(n)s 重复") % {"n": target.number},
               data={"into": target.number})
    return incident


# --------------------------------------------------------------------------- dispatch stage
@transaction.atomic
def incident_dispatch(*, actor, incident_id: int, department: Department, note: str = "",
                      expected_version: int | None = None, at: dt.datetime | None = None) -> Incident:
    """Send the case to one department. The handling clock (SLA) starts here."""
    incident = _lock(incident_id, expected_version)
    permissions.require(actor, "dispatch")
    at = at or timezone.now()
    incident.department = department
    incident.dispatched_at = at
    incident.handle_due = stage_due(incident, "handle", at)
    incident.tier = tier_of(department)
    transition(incident, Action.DISPATCH, actor=actor, note=note, at=at, due=incident.handle_due,
               department=department)
    _notify_users(_department_users(department.pk), _("新派遣事件 %(n)s") % {"n": incident.number},
                  f"{incident.subclass.name}：{incident.description[:60]}（处置期限 "
                  f"{timezone.localtime(incident.handle_due):%m-%d %H:%M}）", incident, "dispatch")
    return incident


@transaction.atomic
def incident_whistle(*, actor, incident_id: int, lead: Department, others: list[Department], note: str = "",
                     expected_version: int | None = None, at: dt.datetime | None = None) -> Incident:
    """网格吹哨：summon several departments at once; the lead handles, each one's 报到 is tracked."""
    departments = {d.pk: d for d in [lead, *others]}
    if len(departments) < 2:
        raise ValidationError({"others": _("吹哨至少需要两个部门")})
    incident = _lock(incident_id, expected_version)
    permissions.require(actor, "whistle")
    at = at or timezone.now()
    incident.department = lead
    incident.dispatched_at = at
    incident.handle_due = stage_due(incident, "handle", at)
    check_in_due = _calendar(incident).add(at, SUMMONS_CHECK_IN_HOURS, TimeUnit.WORKING_HOURS)
    for dept in departments.values():
        Summons.objects.create(incident=incident, department=dept, summoned_at=at, due=check_in_due,
                               part=_("牵头处置") if dept.pk == lead.pk else _("配合处置"))
        _notify_users(_department_users(dept.pk), _("吹哨报到：%(n)s") % {"n": incident.number},
                      _("请于 %(t)s 前报到。%(d)s") % {"t": f"{timezone.localtime(check_in_due):%m-%d %H:%M}",
                                                    "d": incident.description[:60]}, incident, "whistle")
    transition(incident, Action.WHISTLE, actor=actor, note=note, at=at, due=incident.handle_due, department=lead,
               data={"departments": [d.name for d in departments.values()]})
    return incident


@transaction.atomic
def incident_check_in(*, actor, incident_id: int, reply: str = "") -> Summons:
    """A summoned department reports in (报到)."""
    incident = _lock(incident_id)
    permissions.require(actor, "check_in")
    from shanzhi.common.jurisdiction import scope_for

    summons = incident.summons.filter(department_id__in=scope_for(actor).department_ids).first()
    if summons is None:
        raise ValidationError({"department": _("您的部门未被召集")})
    if summons.checked_in_at:
        raise Conflict(_("您的部门已于 %(t)s 报到") % {"t": f"{timezone.localtime(summons.checked_in_at):%m-%d %H:%M}"})
    summons.checked_in_at = timezone.now()
    summons.reply = reply
    summons.save()
    transition(incident, Action.CHECK_IN, actor=actor, note=reply, department=summons.department,
               data={"late": summons.checked_in_at > summons.due})
    return summons


@transaction.atomic
def incident_escalate(*, actor, incident_id: int, reason: str, expected_version: int | None = None) -> Incident:
    """Move the case one tier up (village → town → county) for re-dispatch, with a reason."""
    reason = _need(reason, "reason", _("上报上级必须说明理由"))
    incident = _lock(incident_id, expected_version)
    if actor is not None:  # None: the deadline job escalating by configuration
        permissions.require(actor, "escalate")
    order = [Tier.VILLAGE, Tier.TOWN, Tier.COUNTY]
    if incident.tier == Tier.COUNTY:
        raise ValidationError({"tier": _("已是县级层级，无法继续上报")})
    incident.tier = order[order.index(incident.tier) + 1]
    incident.department = None
    incident.dispatch_due = stage_due(incident, "dispatch", timezone.now())
    transition(incident, Action.ESCALATE, actor=actor, note=reason, due=incident.dispatch_due,
               data={"tier": incident.tier})
    return incident


# --------------------------------------------------------------------------- handle stage
@transaction.atomic
def incident_accept(*, actor, incident_id: int, expected_version: int | None = None) -> Incident:
    incident = _lock(incident_id, expected_version)
    permissions.require(actor, "accept", incident)
    transition(incident, Action.ACCEPT, actor=actor, department=incident.department, due=incident.handle_due)
    return incident


@transaction.atomic
def incident_return(*, actor, incident_id: int, reason: str, expected_version: int | None = None) -> Incident:
    """回退: not ours / wrongly dispatched — back to the dispatcher with a reason."""
    reason = _need(reason, "reason", _("回退必须说明理由"))
    incident = _lock(incident_id, expected_version)
    permissions.require(actor, "return", incident)
    returned_from = incident.department
    incident.department = None
    incident.returned_count += 1
    incident.dispatch_due = stage_due(incident, "dispatch", timezone.now())
    transition(incident, Action.RETURN, actor=actor, note=reason, department=returned_from, due=incident.dispatch_due)
    _notify_users(_command_users(incident), _("事件被回退：%(n)s") % {"n": incident.number}, reason, incident, "return")
    return incident


@transaction.atomic
def incident_request_extension(*, actor, incident_id: int, amount: float, unit: str, reason: str) -> ExtensionRequest:
    reason = _need(reason, "reason", _("申请延期必须说明理由"))
    try:
        unit = TimeUnit(unit)
        amount = float(amount)
    except (ValueError, TypeError):
        raise ValidationError({"amount": _("延期时长无效")}) from None
    if not 0 < amount <= 60:
        raise ValidationError({"amount": _("延期时长应大于 0 且不超过 60")})
    incident = _lock(incident_id)
    permissions.require(actor, "extend_request", incident)
    if incident.extensions.filter(state=ExtensionRequest.State.PENDING).exists():
        raise Conflict(_("已有待审批的延期申请"))
    request = ExtensionRequest.objects.create(incident=incident, requested_by=actor, requested_at=timezone.now(),
                                              amount=amount, unit=unit, reason=reason)
    transition(incident, Action.EXTEND_REQUEST, actor=actor, note=reason, department=incident.department,
               data={"amount": amount, "unit": unit})
    _notify_users(_command_users(incident), _("延期申请：%(n)s") % {"n": incident.number}, reason, incident, "extension")
    return request


@transaction.atomic
def incident_decide_extension(*, actor, request_id: int, approve: bool, note: str = "") -> ExtensionRequest:
    request = ExtensionRequest.objects.select_for_update().get(pk=request_id)
    if request.state != ExtensionRequest.State.PENDING:
        raise Conflict(_("该延期申请已被处理：%(s)s") % {"s": request.get_state_display()})
    incident = _lock(request.incident_id)
    permissions.require(actor, "extend_decide")
    request.state = ExtensionRequest.State.APPROVED if approve else ExtensionRequest.State.REFUSED
    request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note
    request.save()
    if approve:
        incident.handle_due = _calendar(incident).add(incident.handle_due, float(request.amount), request.unit)
        incident.extended = True
        incident.warned_due = None
    transition(incident, Action.EXTEND_APPROVE if approve else Action.EXTEND_REFUSE, actor=actor, note=note,
               due=incident.handle_due)
    if incident.department_id:
        _notify_users(_department_users(incident.department_id),
                      _("延期申请%(r)s：%(n)s") % {"r": "已同意" if approve else "未同意", "n": incident.number},
                      note or "", incident, "extension")
    return request


@transaction.atomic
def incident_shelve(*, actor, incident_id: int, reason: str) -> Incident:
    """挂账: cannot be solved now (funding, planning …); the clock stops until resumed."""
    reason = _need(reason, "reason", _("挂账必须说明理由"))
    incident = _lock(incident_id)
    permissions.require(actor, "shelve", incident)
    transition(incident, Action.SHELVE, actor=actor, note=reason, department=incident.department)
    return incident


@transaction.atomic
def incident_resume(*, actor, incident_id: int, note: str = "") -> Incident:
    incident = _lock(incident_id)
    permissions.require(actor, "resume", incident)
    incident.handle_due = stage_due(incident, "handle", timezone.now())
    transition(incident, Action.RESUME, actor=actor, note=note, due=incident.handle_due)
    return incident


@transaction.atomic
def incident_reply(*, actor, incident_id: int, note: str, photos=(), expected_version: int | None = None,
                   at: dt.datetime | None = None) -> Incident:
    """处置反馈 with photos; the reporter's side must now verify on site."""
    note = _need(note, "note", _("请填写处置情况"))
    cleaned = clean_photos(photos)
    incident = _lock(incident_id, expected_version)
    permissions.require(actor, "reply", incident)
    at = at or timezone.now()
    incident.replied_at = at
    incident.verify_due = stage_due(incident, "verify", at)
    transition(incident, Action.REPLY, actor=actor, note=note, at=at, due=incident.verify_due,
               department=incident.department, photos=cleaned, photo_kind=Attachment.Kind.REPLY)
    verifiers = [incident.reporter] if incident.reporter_id else []
    verifiers += [p.user for p in Post.objects.filter(grid_id=incident.grid_id, role__in=[Role.GRID_WORKER, Role.INFORMANT])
                  .select_related("user")] if incident.grid_id else []
    _notify_users(verifiers, _("待核查：%(n)s") % {"n": incident.number}, note[:80], incident, "verify")
    return incident


# --------------------------------------------------------------------------- verify, close, rate, archive
@transaction.atomic
def incident_verify(*, actor, incident_id: int, passed: bool, note: str = "", photos=(),
                    expected_version: int | None = None, at: dt.datetime | None = None) -> Incident:
    """核查: pass closes the case and invites a rating; fail sends it back (返工) with a new clock."""
    if not passed:
        note = _need(note, "note", _("核查不通过必须说明原因"))
    cleaned = clean_photos(photos)
    incident = _lock(incident_id, expected_version)
    permissions.require(actor, "verify")
    at = at or timezone.now()
    if passed:
        incident.closed_at = at
        incident.rating_token = secrets.token_urlsafe(16)
        transition(incident, Action.VERIFY_PASS, actor=actor, note=note, at=at, photos=cleaned,
                   photo_kind=Attachment.Kind.VERIFY)
        _sms_reporter(incident, _("【善治】您反映的问题（编号 %(n)s）已办结，请评价：%(u)s") % {
            "n": incident.number, "u": f"{settings.PUBLIC_BASE_URL.rstrip('/')}/rate/{incident.rating_token}/"},
            "closed")
    else:
        incident.round += 1
        incident.rework_count += 1
        incident.replied_at = None
        incident.dispatched_at = at
        incident.handle_due = stage_due(incident, "handle", at)
        transition(incident, Action.VERIFY_FAIL, actor=actor, note=note, at=at, due=incident.handle_due,
                   department=incident.department, photos=cleaned, photo_kind=Attachment.Kind.VERIFY)
        if incident.department_id:
            _notify_users(_department_users(incident.department_id), _("返工：%(n)s") % {"n": incident.number}, note,
                          incident, "rework")
    return incident


RATING_LABELS = {5: _("非常满意"), 4: _("满意"), 3: _("基本满意"), 2: _("不满意"), 1: _("非常不满意")}


@transaction.atomic
def incident_rate(*, token: str, level: int, comment: str = "") -> Incident:
    """The citizen's rating through the link in the closing SMS: once, 1–5."""
    if level not in RATING_LABELS:
        raise ValidationError({"level": _("请选择 1–5 的评价")})
    incident = Incident.objects.select_for_update().filter(rating_token=token).first() if token else None
    if incident is None:
        raise ValidationError({"token": _("评价链接无效")})
    if incident.rating is not None:
        raise Conflict(_("该事件已评价"))
    incident.rating = level
    transition(incident, Action.RATE, actor=None, note=comment[:500], data={"level": level})
    return incident


@transaction.atomic
def incident_archive(*, actor, incident_id: int) -> Incident:
    incident = _lock(incident_id)
    if actor is not None:
        permissions.require(actor, "archive")
    transition(incident, Action.ARCHIVE, actor=actor)
    return incident


@transaction.atomic
def incident_supervise(*, actor, incident_id: int, note: str, automatic: bool = False) -> IncidentStep:
    """督办: a notice to the handling department and its leaders (by hand or by the deadline job)."""
    note = _need(note, "note", _("请填写督办意见"))
    incident = _lock(incident_id)
    if not automatic:
        permissions.require(actor, "supervise")
    step = transition(incident, Action.SUPERVISE, actor=actor, note=note, department=incident.department,
                      data={"automatic": automatic})
    users = _command_users(incident, roles=(Role.TOWN_LEADER,))
    if incident.department_id:
        users += _department_users(incident.department_id)
    _notify_users(users, _("督办：%(n)s") % {"n": incident.number}, note, incident, "supervise")
    return step
