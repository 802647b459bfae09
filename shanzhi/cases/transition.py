"""The one transition path for every kind of case.

A move is opened inside the caller's transaction: the case is fetched *for update through the
actor's scope* (outside it looks exactly like a missing case), the post's right to this move on
this case is checked, then the allowed-moves table and — for a person's move — the version the
person saw. The service then changes what its rule says (assignment, clocks through
``move.clocks``) and finishes the move: status, version, step row and audit row, together.

The version moves only when the status or who holds the case changes; notes and system marks
(a warning, an overdue mark, 督办, a check-in) never make a person's next move fail.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.common import audit

from .clocks import Clocks
from .errors import Conflict
from .kinds import CaseKind

MAX_NOTE = 500  # a step's note, opinion or reason (an attached document carries more)


def is_person(actor) -> bool:
    return actor is not None and getattr(actor, "pk", None) is not None


def lock(kind: CaseKind, actor, case_id) -> object:
    """The case, locked, if the actor may act on it. Missing and outside the scope both raise
    Http404; a case the actor only sees (their own report) raises PermissionDenied."""
    try:
        case_id = int(case_id)
    except (TypeError, ValueError):
        raise Http404 from None
    case = kind.model.objects.select_for_update().filter(pk=case_id).order_by().first()
    if case is not None and (not is_person(actor) or kind.acts_on(actor, case)):
        kind.hydrate(case)
        return case
    # Missing and outside the scope take the same path from here (one more query either way).
    if is_person(actor) and kind.visible(actor).filter(pk=case_id).exists():
        raise PermissionDenied(_("您可以查看该%(k)s，但无权办理") % {"k": kind.label})
    raise Http404


def _snapshot(kind: CaseKind, case) -> dict:
    return {f: audit.jsonable(getattr(case, f)) for f in dict.fromkeys(("status", *kind.tracked, *kind.assignment))}


def _columns(case) -> dict:
    return {f.attname: getattr(case, f.attname) for f in case._meta.concrete_fields}


class CaseMove:
    """A move in progress on one locked case."""

    def __init__(self, kind: CaseKind, case, action: str, actor, at: dt.datetime):
        self.kind, self.case, self.action, self.actor, self.at = kind, case, action, actor, at
        self.spec = kind.moves[action]
        self.from_status = case.status
        self.before = _snapshot(kind, case)
        self.columns = _columns(case)
        self.clocks = Clocks(kind, case, at)
        self.step = None

    def finish(self, *, note: str = "", due: dt.datetime | None = None, data: dict | None = None,
               actor_label: str = "", **step_fields):
        """Status, version, step row and audit row for this move; returns the step."""
        kind, case, person = self.kind, self.case, is_person(self.actor)
        if len(note or "") > MAX_NOTE:
            raise ValidationError({"note": ValidationError(_("说明不能超过 %(n)d 字") % {"n": MAX_NOTE}, code="too_long")})
        if self.spec.target is not None:
            case.status = self.spec.target
        after = _snapshot(kind, case)
        if after["status"] != self.before["status"] or any(after[f] != self.before[f] for f in kind.assignment):
            case.version += 1
        # Only the columns this move changed (and the time stamp) are written.
        changed = [k for k, v in _columns(case).items() if v != self.columns[k]]
        case.save(update_fields=sorted({*changed, "updated_at"}))
        label = actor_label or (str(self.actor) if person else _("系统"))
        self.step = kind.step_model.objects.create(
            **{kind.step_fk: case}, action=self.action, at=self.at, actor=self.actor if person else None,
            actor_label=label[:100], from_status=self.from_status, to_status=case.status,
            round=getattr(case, "round", 1) or 1, due=due, note=note, data=data or {}, **step_fields)
        before, after = audit.diff(self.before, after)
        clocks = self.clocks.changes
        audit.record(actor=self.actor if person else None, actor_label=label, action="update", obj=case,
                     before=before, after=(after or {}) | ({"clocks": clocks} if clocks else {}),
                     note=f"{self.spec.label} {note}".strip()[:500], region_id=kind.audit_region_id(case), at=self.at,
                     prediffed=True)
        return self.step


def open_move(kind: CaseKind, case_id, action: str, *, actor, at: dt.datetime | None = None,
              expected_version: int | None = None, locked=None) -> CaseMove:
    """Lock, check and open one move. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("open_move must run inside a transaction")
    spec = kind.moves[action]
    case = locked if locked is not None else lock(kind, actor, case_id)
    person = is_person(actor)
    if person:
        if spec.system_only:
            raise PermissionDenied(_("该操作由系统执行"))
        kind.permit(actor, action, case)
    if case.status not in spec.sources:
        raise Conflict(_("当前状态「%(s)s」不能执行「%(a)s」，可能已被他人处理，请刷新后查看") % {
            "s": kind.status_labels.get(case.status, case.status), "a": spec.label}, code="not_allowed_in_state")
    if person and expected_version is not None and case.version != expected_version:
        raise Conflict(_("该%(k)s已被他人处理（当前状态：%(s)s），请刷新后查看") % {
            "k": kind.label, "s": kind.status_labels.get(case.status, case.status)}, code="stale_version")
    return CaseMove(kind, case, action, actor, at or timezone.now())
