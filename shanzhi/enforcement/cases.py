"""Penalty cases as a kind of case on the kernel, and their first moves: a lead registered (from a
grid incident in one step, linked both ways, or from a patrol, a complaint, an inspection, a
referral), then filed with approval or declined with a written reason.

Who: the town's enforcement officers (a valid certificate needed to register a lead), the squad
that owns the area handles it, the squad leader or the town's leaders approve filing.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from shanzhi.accounts.roles import Role
from shanzhi.cases.clocks import Clocks
from shanzhi.cases.errors import Conflict
from shanzhi.cases.kinds import CaseKind, register
from shanzhi.cases.transition import open_move
from shanzhi.common import audit, counters, references
from shanzhi.common.jurisdiction import scope_for
from shanzhi.notify.services import notifications_suppressed, queue

from .models import Officer, PenaltyCase, PenaltyItem, PenaltyStep, Squad
from .squads import certified_officer
from .states import DECIDE_DAYS, FILE_DAYS, MOVES, STAGE_LABELS, STAGE_OF, Action, Source, Status

OFFICERS = {Role.ENFORCEMENT_OFFICER}
APPROVERS = {Role.TOWN_LEADER, Role.COUNTY_LEADER}
LEADERS = {Role.TOWN_LEADER, Role.COUNTY_LEADER, Role.DISPATCHER}
LEAD, INV = "lead", "investigator"
# Who makes each move of the general procedure: the bureau's head for the case (a town or county
# leader, or the squad's leader), the case's own investigators, or either.
WHO = {Action.ASSIGN: LEAD, Action.EVIDENCE: INV, Action.SUBMIT: INV, Action.RETURN: LEAD, Action.NOTIFY: LEAD,
       Action.STATEMENT: (LEAD, INV), Action.HEARING_REQUEST: (LEAD, INV), Action.HEARING_NOTICE: LEAD,
       Action.HEARING_HELD: LEAD, Action.SUSPEND: LEAD, Action.RESUME: LEAD, Action.DECIDE: LEAD,
       Action.SERVE: (LEAD, INV), Action.PAY: (LEAD, INV), Action.CLOSE: LEAD, Action.ARCHIVE: LEAD,
       Action.PUBLISH: LEAD}


def _roles(actor) -> set[str]:
    if getattr(actor, "is_superuser", False):
        return set(Role.values)
    return set(scope_for(actor).roles)


def is_lead(actor, case) -> bool:
    """The bureau's head for this case: a town or county leader, or the squad's leader."""
    if _roles(actor) & APPROVERS:
        return True
    return bool(case.squad_id and case.squad.leader_id == getattr(actor, "pk", None))


def is_investigator(actor, case) -> bool:
    return case.investigators.filter(user_id=getattr(actor, "pk", None)).exists()


def took_part(actor, case) -> bool:
    """Whether the actor investigated this case at any time — assigned now, or earlier before a
    reassignment (collected evidence, wrote the report): such a person neither reviews nor decides it."""
    pk = getattr(actor, "pk", None)
    return (is_investigator(actor, case) or case.evidence.filter(collected_by_id=pk).exists()
            or case.steps.filter(action=Action.SUBMIT, actor_id=pk).exists()
            or any(pk in (d or {}).get("users", []) for d in case.steps.filter(action=Action.ASSIGN)
                   .values_list("data", flat=True)))


class PenaltyKind(CaseKind):
    key = "penalty"
    label = _l("执法案件")
    model = PenaltyCase
    step_model = PenaltyStep
    step_fk = "case"
    moves = MOVES
    status_labels = {k: str(v) for k, v in Status.choices}
    stage_labels = {k: str(v) for k, v in STAGE_LABELS.items()}
    tracked = ("item_id", "squad_id", "file_due", "decide_due", "decline_reason", "party_name", "party_org_id",
               "level", "proposed_fine", "major", "legal_passed", "outcome", "fine", "exception_reason",
               "service_method", "paid_amount", "late_charge", "suspended", "published_at", "serve_due", "pay_due",
               "publish_due")
    # Besides who holds it, the outcome of a move that keeps the status: a second submit of the same
    # form (a review, a hearing date, a waiver, a suspension) meets a newer version and is told.
    assignment = ("squad_id", "legal_passed", "hearing_at", "rights_waived", "suspended", "published_at")

    def _q(self, actor) -> Q:
        scope = scope_for(actor)
        if scope.unrestricted:
            return Q()
        # Resolved to plain town and squad ids first (two small queries): a condition on the case's
        # own columns lets the database walk the (town, registered_at) index of a busy town
        # instead of joining and sorting all its cases.
        from shanzhi.geo.models import Region

        towns: set[int] = set()
        if scope.region_ids and _roles(actor) & (OFFICERS | LEADERS):
            towns = set(Region.objects.filter(Q(pk__in=scope.region_ids) | Q(parent_id__in=scope.region_ids),
                                              level=Region.Level.TOWN).values_list("pk", flat=True))
        squads = set(Squad.objects.filter(department_id__in=scope.department_ids).exclude(town_id__in=towns)
                     .values_list("pk", flat=True)) if scope.department_ids else set()
        cond = Q(town_id__in=sorted(towns)) if towns else Q(pk__in=[])
        if squads:
            cond |= Q(squad_id__in=sorted(squads))
        return cond

    def visible(self, actor):
        return PenaltyCase.objects.select_related("town", "squad", "item", "incident").filter(self._q(actor))

    def actionable(self, actor):
        return self.visible(actor)

    def acts_on(self, actor, case):
        return self.visible(actor).filter(pk=case.pk).exists()

    def permit(self, actor, action, case):
        roles = _roles(actor)
        if action in (Action.FILE, Action.DECLINE):
            if case.registered_by_id == getattr(actor, "pk", None):
                raise PermissionDenied(_("登记人不能审批自己登记的案源，请由中队长或分管负责人审批"))
            if roles & APPROVERS:
                return
            if case.squad_id and case.squad.leader_id == actor.pk:
                certified_officer(actor)  # a squad leader approves as an officer in post, certificate valid
                return
            raise PermissionDenied(_("立案须由中队长或镇（街道）分管负责人审批"))
        if action == Action.SUPERVISE and roles & LEADERS:
            return
        if action == Action.LEGAL_REVIEW:
            officer = Officer.objects.filter(user_id=actor.pk).select_related("squad").first()
            if officer is None or not officer.legal_reviewer or officer.squad.town_id != case.town_id:
                raise PermissionDenied(_("须由本镇（街道）的法制审核人员审核"))
            if took_part(actor, case):
                raise PermissionDenied(_("办案人员不得审核本人承办的案件"))
            return
        who = WHO.get(action)
        if who is None:
            raise PermissionDenied(_("您的岗位不能执行此操作"))
        who = (who,) if isinstance(who, str) else who
        if LEAD in who and is_lead(actor, case):
            return
        if INV in who and is_investigator(actor, case):
            return
        if len(who) > 1:
            raise PermissionDenied(_("只有本案的办案人员或中队长可以执行此操作"))
        raise PermissionDenied(_("须由中队长或镇（街道）分管负责人执行此操作") if who[0] == LEAD
                               else _("只有本案的办案人员可以执行此操作"))

    def calendar_code(self, case):
        from shanzhi.incidents.services.loop import town_code

        return town_code(case.town_id)

    def mirror_due(self, case, stage, due):
        setattr(case, f"{stage}_due", due)

    def timer_warn(self, case, timer, now):
        m = open_move(self, case.pk, Action.WARN, actor=None, at=now, locked=case)
        m.finish(note=_("%(s)s临近期限") % {"s": STAGE_LABELS.get(timer.stage, timer.stage)}, due=timer.due)
        _tell(case, _("执法案件临期：%(n)s") % {"n": case.number})

    def timer_overdue(self, case, timer, now):
        m = open_move(self, case.pk, Action.OVERDUE, actor=None, at=now, locked=case)
        m.finish(note=_("%(s)s已超期") % {"s": STAGE_LABELS.get(timer.stage, timer.stage)}, due=timer.due)
        _tell(case, _("督办：执法案件 %(n)s 已超期") % {"n": case.number}, leaders=True)

    def work(self, actor):
        roles = _roles(actor)
        seen = self.visible(actor)
        queues = []
        led = list(Squad.objects.filter(leader=actor).values_list("pk", flat=True))
        mine = seen if roles & APPROVERS else seen.filter(squad_id__in=led) if led else None
        if mine is not None:
            queues.append((_("待审批立案"), mine.filter(status=Status.LEAD)))
            queues.append((_("待审核、告知"), mine.filter(status=Status.REVIEW)))
            queues.append((_("待作出决定"), mine.filter(status__in=[Status.NOTICE, Status.HEARING, Status.HEARD])))
            queues.append((_("待结案、归档"), mine.filter(status__in=[Status.EXECUTED, Status.CLOSED])))
        if roles & OFFICERS:
            own = seen.filter(investigators__user=actor)
            queues.append((_("我承办的调查"), own.filter(status=Status.FILED)))
            queues.append((_("我承办的送达、执行"), own.filter(status__in=[Status.DECIDED, Status.EXECUTING])))
            if Officer.objects.filter(user=actor, legal_reviewer=True).exists():
                queues.append((_("待法制审核"), seen.filter(status=Status.REVIEW, major=True,
                                                          legal_passed__isnull=True).exclude(investigators__user=actor)))
        return [(label, qs.order_by("registered_at")) for label, qs in queues]

    def title(self, case):
        return case.item.name if case.item_id else case.facts[:40]

    def current_due(self, case):
        stage = STAGE_OF.get(case.status)
        return getattr(case, f"{stage}_due") if stage else None

    def audit_region_id(self, case):
        return case.town_id

    def number(self, case):
        return case.number

    def url(self, case):
        return f"/team/cases/{case.pk}/"


PENALTY = register(PenaltyKind())


def _tell(case, title, *, leaders=False):
    if notifications_suppressed():
        return
    from shanzhi.accounts.models import User

    users = set()
    if case.squad_id and case.squad.leader_id:
        users.add(case.squad.leader_id)
    if leaders:
        users |= set(User.objects.filter(posts__role=Role.TOWN_LEADER, posts__region_id=case.town_id,
                                         posts__is_active=True).values_list("pk", flat=True))
    for pk in users:
        queue(channel="inapp", user_id=pk, title=title, body=case.facts[:200], topic="penalty",
              link=f"/team/cases/{case.pk}/", object_ref=f"penalty:{case.pk}")


def _number(at: dt.datetime) -> str:
    year = timezone.localtime(at).year
    return f"XZCF{year}{counters.next_value(f'penalty:{year}'):05d}"


def _squad_for(town, grid) -> Squad | None:
    """The squad whose area holds the grid (its first-level grid), else the town's first."""
    squads = Squad.objects.filter(town=town)
    if grid is not None:
        top = grid if grid.level == 1 else grid.parent if grid.parent_id else None
        while top is not None and top.level > 1:
            top = top.parent
        found = squads.filter(grids=top).first() if top is not None else None
        if found:
            return found
    return squads.order_by("name").first()


@transaction.atomic
def lead_register(*, actor, source: str, facts: str, town, grid=None, item=None, incident=None, party_name: str = "",
                  address: str = "", patrol=None, at: dt.datetime | None = None) -> PenaltyCase:
    """案源登记 by a certified officer of the town; the filing clock (15 working days) starts."""
    at = at or timezone.now()
    certified_officer(actor, timezone.localtime(at).date())
    if source not in Source.values:
        raise ValidationError({"source": ValidationError(_("案源类型无效"), code="invalid")})
    facts = (facts or "").strip()
    if not facts:
        raise ValidationError({"facts": ValidationError(_("请写明案情"), code="required")})
    if "\x00" in facts + party_name + address:
        raise ValidationError({"facts": ValidationError(_("含有非法字符"), code="invalid")})
    from shanzhi.geo.models import Region

    scope = scope_for(actor)
    towns = Region.objects.filter(level=Region.Level.TOWN)
    if not scope.unrestricted:
        towns = towns.filter(pk__in=scope.region_ids)
    town = references.resolve(towns, field="town", label=_("镇（街道）"), pk=town)
    if item is not None:
        item = references.resolve(PenaltyItem.objects.filter(is_active=True, towns=town), field="item",
                                  label=_("本镇（街道）行使的处罚事项"), pk=item)
    case = PenaltyCase.objects.create(
        number=_number(at), source=source, town=town, grid=grid, item=item, incident=incident,
        squad=_squad_for(town, grid), party_name=party_name.strip()[:120], facts=facts[:4000], patrol=patrol,
        address=address.strip()[:200], registered_at=at, registered_by=actor)
    Clocks(PENALTY, case, at).start("file", FILE_DAYS, "working_days", fresh=True)
    case.save(update_fields=["file_due"])
    PenaltyStep.objects.create(case=case, action=Action.REGISTER, at=at, actor=actor, actor_label=str(actor)[:100],
                               to_status=Status.LEAD, due=case.file_due,
                               note=f"{Source(source).label}：{facts[:200]}",
                               data={"incident": incident.number if incident else None})
    audit.record(actor=actor, action="create", obj=case, at=at, region_id=town.pk,
                 after={"number": case.number, "source": source, "incident": incident.number if incident else None,
                        "squad": case.squad.name if case.squad_id else None})
    _tell(case, _("新案源待审批立案：%(n)s") % {"n": case.number})
    return case


@transaction.atomic
def lead_from_incident(*, actor, incident_id, item=None, party_name: str = "", at: dt.datetime | None = None):
    """A grid incident that needs a penalty becomes a lead in one step, linked both ways (the lead
    names the incident; the incident's page shows the lead and its step row says so)."""
    from shanzhi.incidents.kind import INCIDENT
    from shanzhi.incidents.models import IncidentStep

    incident = references.resolve(INCIDENT.actionable(actor).select_for_update(of=("self",)), field="incident",
                                  label=_("事件"), pk=incident_id)
    if incident.status in ("closed", "archived", "voided", "merged"):
        raise Conflict(_("事件已「%(s)s」，不能再转为执法案源；新发现的违法行为请另行登记") % {
            "s": incident.get_status_display()}, code="not_allowed_in_state")
    existing = PenaltyCase.objects.filter(incident=incident).exclude(status=Status.NOT_FILED).first()
    if existing is not None:
        raise Conflict(_("该事件已转为执法案源 %(n)s") % {"n": existing.number}, code="already_done")
    case = lead_register(actor=actor, source=Source.INCIDENT, facts=incident.description, town=incident.town_id,
                         grid=incident.grid, item=item, incident=incident, party_name=party_name,
                         address=incident.address_text, at=at)
    # A cross-reference in the incident's record, not a move of the incident: no status on it.
    IncidentStep.objects.create(incident=incident, action="to_lead", at=case.registered_at, actor=actor,
                                actor_label=str(actor)[:100],
                                note=_("转为执法案源 %(n)s（%(s)s）") % {"n": case.number,
                                                                   "s": case.squad.name if case.squad_id else ""},
                                data={"penalty_case": case.number})
    return case


@transaction.atomic
def case_file(*, actor, case_id, item=None, note: str = "", expected_version=None, at=None) -> PenaltyCase:
    """立案 (approved): the 90-day decision limit starts, counted in calendar days."""
    m = open_move(PENALTY, case_id, Action.FILE, actor=actor, at=at, expected_version=expected_version)
    case = m.case
    if item is not None:
        case.item = references.resolve(PenaltyItem.objects.filter(is_active=True, towns=case.town_id), field="item",
                                       label=_("本镇（街道）行使的处罚事项"), pk=item)
    if case.item_id is None:
        raise ValidationError({"item": ValidationError(_("立案须确定适用的处罚事项"), code="required")})
    case.filed_at = m.at
    m.clocks.stop("file")
    m.clocks.start("decide", DECIDE_DAYS, "calendar_days", fresh=True)
    from .documents import issue_document

    note = (note or "").strip()[:400]
    doc = issue_document(case, "filing", actor=actor, at=m.at, data={
        "item": case.item.name, "facts": case.facts, "party": case.party_name, "source": case.get_source_display(),
        "registered_at": case.registered_at.isoformat(), "note": note[:500]})
    m.finish(note=(note or _("批准立案：%(i)s") % {"i": case.item.name}) + f"（{doc.number}）", due=case.decide_due,
             data={"document": doc.number})
    return case


@transaction.atomic
def case_decline(*, actor, case_id, reason: str, expected_version=None, at=None) -> PenaltyCase:
    m = open_move(PENALTY, case_id, Action.DECLINE, actor=actor, at=at, expected_version=expected_version)
    reason = (reason or "").strip()  # checked after the right to decide: a stranger learns nothing
    if not reason:
        raise ValidationError({"reason": ValidationError(_("不予立案须写明理由"), code="required")})
    if len(reason) > 500:
        raise ValidationError({"reason": ValidationError(_("理由不能超过 500 字"), code="too_long")})
    m.case.decline_reason = reason
    m.clocks.stop_all()
    m.finish(note=reason[:500])
    return m.case
