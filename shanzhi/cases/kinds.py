"""What a kind of case declares to the kernel: its models, its allowed moves, who may see and act
on a case, and how its clocks are reported. A domain app subclasses ``CaseKind`` once and
registers it; the kernel does the rest (transitions, timers, the scan, my work, supervision)."""

from __future__ import annotations

import abc
from dataclasses import dataclass

from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class Move:
    """One allowed move: from which statuses, to which (None keeps the status)."""

    sources: frozenset[str]
    target: str | None = None
    label: str = ""
    # Only the system makes it (a warning, an overdue mark): no person may ask for it.
    system_only: bool = False


class CaseKind(abc.ABC):
    key: str = ""
    label: str = ""
    model: type[Model]
    step_model: type[Model]
    step_fk: str = ""  # the step row's foreign key to the case
    moves: dict[str, Move] = {}
    status_labels: dict[str, str] = {}
    stage_labels: dict[str, str] = {}
    # Fields whose change the audit row records (besides the status).
    tracked: tuple[str, ...] = ()
    # A change of status or of one of these (who holds the case) moves the version a person's move
    # is checked against; notes, marks and deadline changes do not.
    assignment: tuple[str, ...] = ()

    # --- scope ---------------------------------------------------------------------------
    @abc.abstractmethod
    def visible(self, actor) -> QuerySet:
        """Cases the actor may see (read scope)."""

    @abc.abstractmethod
    def actionable(self, actor) -> QuerySet:
        """Cases the actor may act on: the jurisdiction, without what only grants sight (a
        reporter sees their own report but does not command it)."""

    @abc.abstractmethod
    def acts_on(self, actor, case) -> bool:
        """Whether ``case`` (already fetched) is in ``actionable(actor)`` — the same rule, checked
        on the row the transition has locked, so the lock reads one row by its key."""

    @abc.abstractmethod
    def permit(self, actor, action: str, case) -> None:
        """Raise PermissionDenied unless the actor's post may make this move on this case."""

    def hydrate(self, case) -> None:  # noqa: B027 — optional hook
        """Attach reference data to a freshly locked case from per-process caches (the lock itself
        reads only the case's own row)."""

    # --- clocks ----------------------------------------------------------------------------
    def calendar_code(self, case) -> str:
        """The locality whose working calendar counts this case's clocks."""
        return ""

    def mirror_due(self, case, stage: str, due) -> None:  # noqa: B027 — optional hook
        """Keep a denormalised deadline column on the case, if the kind has one (indexed lists)."""

    def clock_stopped(self, case, timer) -> None:  # noqa: B027 — optional hook
        """A stage ended (``timer.late`` tells whether after its deadline)."""

    @abc.abstractmethod
    def timer_warn(self, timer, now) -> None:
        """A running clock reached its warning time: tell whoever holds the case."""

    @abc.abstractmethod
    def timer_overdue(self, timer, now) -> None:
        """A running clock passed its deadline: mark it and start supervision (督办)."""

    # --- my work and supervision -------------------------------------------------------------
    def work(self, actor) -> list[tuple[str, QuerySet]]:
        """What waits for this actor now: (label, cases) per kind of next move (我的待办)."""
        return []

    def desk_extras(self, actor) -> list[tuple[str, QuerySet]]:
        """Kind-specific lists for the supervision desk (pending extensions, shelved …)."""
        return []

    def title(self, case) -> str:
        return str(case)

    def current_due(self, case):
        return None

    # --- audit and display -------------------------------------------------------------------
    def audit_region_id(self, case) -> int | None:
        return None

    def number(self, case) -> str:
        return str(case.pk)

    def url(self, case) -> str:
        return ""


def offered(kind: CaseKind, actor, case, actions=None) -> list[str]:
    """The moves a person may make on the case now, in the table's order (a page's buttons): the
    state allows them and the kind's ``permit`` does not refuse. ``actions`` limits the choice
    to those a page has a form for."""
    from django.core.exceptions import PermissionDenied

    out = []
    for action in actions if actions is not None else kind.moves:
        move = kind.moves[action]
        if move.system_only or case.status not in move.sources:
            continue
        try:
            kind.permit(actor, action, case)
        except PermissionDenied:
            continue
        out.append(action)
    return out


KINDS: dict[str, CaseKind] = {}


def register(kind: CaseKind) -> CaseKind:
    KINDS[kind.key] = kind
    return kind


def kind_of(key: str) -> CaseKind:
    return KINDS[key]
