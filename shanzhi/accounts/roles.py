"""Roles, what jurisdiction each is bound to, and what each may do with personal data."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_LEADER = "county_leader", _("县级领导")
    TOWN_LEADER = "town_leader", _("镇街领导")
    DISPATCHER = "dispatcher", _("指挥中心调度员")
    DEPT_HANDLER = "dept_handler", _("部门处置人员")
    GRID_CHIEF = "grid_chief", _("网格长")
    GRID_WORKER = "grid_worker", _("网格员")
    INFORMANT = "informant", _("信息员")
    GRID_INSPECTOR = "grid_inspector", _("督查员")
    LIAISON = "liaison", _("联络员")
    PATROLLER = "patroller", _("巡查员")
    WINDOW_CLERK = "window_clerk", _("窗口人员")
    BACKOFFICE_REVIEWER = "backoffice_reviewer", _("后台审批人员")
    ENFORCEMENT_OFFICER = "enforcement_officer", _("执法队员")
    CIVIL_AFFAIRS = "civil_affairs", _("民政工作人员")
    AUDITOR = "auditor", _("审计员")
    CITIZEN = "citizen", _("群众")


class Binding(models.TextChoices):
    REGION = "region", _("区划")
    GRID = "grid", _("网格")
    DEPARTMENT = "department", _("部门")
    NONE = "none", _("无")


@dataclass(frozen=True)
class RoleSpec:
    binding: str
    # May open an ID number or phone in full (each reveal is audited).
    reveal_pii: bool = False
    # May import base registries and export them.
    manage_registry: bool = False
    # May read the audit log.
    read_audit: bool = False
    pillar: str = "grid"


SPECS: dict[str, RoleSpec] = {
    Role.COUNTY_LEADER: RoleSpec(Binding.REGION, pillar="center"),
    Role.TOWN_LEADER: RoleSpec(Binding.REGION, pillar="center"),
    Role.DISPATCHER: RoleSpec(Binding.REGION, manage_registry=True, pillar="center"),
    Role.DEPT_HANDLER: RoleSpec(Binding.DEPARTMENT, pillar="center"),
    Role.GRID_CHIEF: RoleSpec(Binding.GRID, reveal_pii=True, manage_registry=True),
    Role.GRID_WORKER: RoleSpec(Binding.GRID, reveal_pii=True, manage_registry=True),
    Role.INFORMANT: RoleSpec(Binding.GRID),
    Role.GRID_INSPECTOR: RoleSpec(Binding.GRID),
    Role.LIAISON: RoleSpec(Binding.GRID),
    Role.PATROLLER: RoleSpec(Binding.GRID),
    Role.WINDOW_CLERK: RoleSpec(Binding.REGION, reveal_pii=True, pillar="window"),
    Role.BACKOFFICE_REVIEWER: RoleSpec(Binding.REGION, reveal_pii=True, pillar="window"),
    Role.ENFORCEMENT_OFFICER: RoleSpec(Binding.REGION, reveal_pii=True, pillar="team"),
    Role.CIVIL_AFFAIRS: RoleSpec(Binding.REGION, reveal_pii=True, manage_registry=True),
    Role.AUDITOR: RoleSpec(Binding.REGION, read_audit=True, pillar="center"),
    Role.CITIZEN: RoleSpec(Binding.NONE, pillar="public"),
}

GRID_POSTS = [Role.GRID_CHIEF, Role.GRID_WORKER, Role.INFORMANT, Role.GRID_INSPECTOR, Role.LIAISON, Role.PATROLLER]
