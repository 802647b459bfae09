"""Who may move an incident, on top of the jurisdiction scope that decides who may see it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from shanzhi.accounts.roles import Role
from shanzhi.common.jurisdiction import scope_for

COMMAND = {Role.DISPATCHER, Role.TOWN_LEADER, Role.COUNTY_LEADER}
HANDLERS = {Role.DEPT_HANDLER, Role.ENFORCEMENT_OFFICER}
GRID_SIDE = {Role.GRID_CHIEF, Role.GRID_WORKER, Role.INFORMANT, Role.GRID_INSPECTOR, Role.PATROLLER, Role.LIAISON}
REPORTERS = GRID_SIDE | COMMAND | HANDLERS | {Role.CIVIL_AFFAIRS}

ACTION_ROLES = {
    "locate": COMMAND, "register": COMMAND, "void": COMMAND, "merge": COMMAND, "dispatch": COMMAND,
    "whistle": COMMAND, "escalate": COMMAND | HANDLERS, "extend_decide": COMMAND,
    "supervise": COMMAND | {Role.GRID_INSPECTOR}, "accept": HANDLERS | COMMAND, "return": HANDLERS,
    "extend_request": HANDLERS, "shelve": HANDLERS | COMMAND, "resume": HANDLERS | COMMAND,
    "reply": HANDLERS | COMMAND, "check_in": HANDLERS, "verify": GRID_SIDE | COMMAND, "archive": COMMAND,
}
# Kernel move names that share one permission.
ALIASES = {"verify_pass": "verify", "verify_fail": "verify", "extend_approve": "extend_decide",
           "extend_refuse": "extend_decide"}
# Moves a department makes only on cases it leads (a summoned helper does not command the case).
LEAD_ONLY = {"accept", "return", "extend_request", "reply", "shelve", "resume", "escalate"}


def roles_of(actor) -> set[str]:
    if actor is None:
        return set()
    if getattr(actor, "is_superuser", False):
        return set(Role.values)
    return set(scope_for(actor).roles)


def require(actor, action: str, incident=None) -> None:
    """The actor holds a role for this move; a department acts only on the cases it leads."""
    action = ALIASES.get(action, action)
    roles = roles_of(actor)
    if not roles & ACTION_ROLES[action]:
        raise PermissionDenied(_("您的岗位不能执行此操作"))
    if incident is not None and action in LEAD_ONLY:
        if roles & COMMAND or getattr(actor, "is_superuser", False):
            return
        if incident.department_id not in scope_for(actor).department_ids:
            raise PermissionDenied(_("该事件未派遣给您的部门"))


def can(actor, action: str, incident=None) -> bool:
    try:
        require(actor, action, incident)
    except PermissionDenied:
        return False
    return True
