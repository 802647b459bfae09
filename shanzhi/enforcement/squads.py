"""Squads, officers and duty rosters: who may act, where, and when.

The rule the case stages will call is ``certified_officer()``: an enforcement act (investigation,
inquiry record, decision, service) needs an officer whose certificate is valid on the day of the
act (《行政处罚法》第四十二条: at least two officers holding enforcement certificates).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import DutyShift, Officer, Squad

EXPIRING_DAYS = 30


def certificate_state(officer: Officer, today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    if not officer.is_active:
        return "inactive"
    if officer.certificate_valid_until < today or officer.certificate_issued > today:
        return "expired"
    if officer.certificate_valid_until <= today + dt.timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return "valid"


STATE_LABELS = {"valid": _("有效"), "expiring": _("30 日内到期"), "expired": _("已过期，不能执法"), "inactive": _("不在岗")}


def certified_officer(user, on: dt.date | None = None) -> Officer:
    """The officer behind ``user``, if their certificate is valid on ``on``; otherwise refused."""
    on = on or timezone.localdate()
    officer = Officer.objects.select_related("squad").filter(user=user).first() if getattr(user, "pk", None) else None
    if officer is None:
        raise PermissionDenied(_("只有持有行政执法证的执法队员可以执行此操作"))
    if not officer.certified(on):
        raise PermissionDenied(_("%(n)s 的执法证（%(c)s）%(d)s 已过期，不能执法，请先换发") % {
            "n": officer.user, "c": officer.certificate_number, "d": officer.certificate_valid_until})
    return officer


def squads_for(actor):
    """The squads an actor may see: their town's (or every town's for the county)."""
    from shanzhi.common.jurisdiction import scope_for

    scope = scope_for(actor)
    qs = Squad.objects.select_related("town", "department", "leader")
    if scope.unrestricted:
        return qs
    return qs.filter(town_id__in=scope.region_ids) | qs.filter(town__parent_id__in=scope.region_ids) | \
        qs.filter(department_id__in=scope.department_ids)


def on_duty(squad: Squad, day: dt.date):
    return DutyShift.objects.filter(squad=squad, day=day).select_related("officer__user").order_by("shift", "officer")


def patrol_grids(actor):
    """The grids an enforcement officer with a valid certificate patrols — the squad's first-level
    grids and the grids inside them — or None for someone who is not such an officer."""
    from django.db.models import Q

    from shanzhi.geo.models import Grid

    officer = Officer.objects.filter(user_id=getattr(actor, "pk", None), is_active=True).select_related("squad").first()
    if officer is None or not officer.certified(timezone.localdate()):
        return None
    areas = officer.squad.grids.values("pk")
    return Grid.objects.filter(Q(pk__in=areas) | Q(parent__in=areas))


# --------------------------------------------------------------------------- the demo
SQUAD_NAMES = ["第一中队（集镇片区）", "第二中队（东片区）", "第三中队（西片区）"]


def seed_squads(*, town, grids, names, rng, today, cast_officer=None, password_hash="", total=88) -> int:
    """The sources' 88 officers in three all-round squads, each owning a contiguous third of the
    town's village grids; a few certificates expired or about to, and two weeks of rosters."""
    from shanzhi.accounts.models import Department, Post, User
    from shanzhi.accounts.roles import Role

    level1 = list(grids.filter(level=1, town=town).order_by("code"))
    squads = []
    for n, label in enumerate(SQUAD_NAMES, start=1):
        dept = Department.objects.create(code=f"{town.code[:9]}-ZF{n}", name=f"{town.name}综合行政执法局{label}",
                                         region=town)
        squads.append(Squad.objects.create(town=town, department=dept, name=f"{town.name}综合行政执法局{label}"))
    third = max(1, len(level1) // 3 + (1 if len(level1) % 3 else 0))
    for i, squad in enumerate(squads):
        squad.grids.set(level1[i * third:(i + 1) * third])
    users = []
    for n in range(1, total + (0 if cast_officer else 1)):
        users.append(User(username=f"officer{n:02d}", display_name=names(), password=password_hash, is_active=True))
    User.objects.bulk_create(users)
    members = ([cast_officer] if cast_officer else []) + list(User.objects.filter(username__in=[u.username for u in users])
                                                              .order_by("username"))
    officers, posts = [], []
    for k, user in enumerate(members):
        squad = squads[k % 3]
        issued = today - dt.timedelta(days=rng.randrange(60, 5 * 365))
        valid = issued + dt.timedelta(days=5 * 365)  # Jiangsu's certificates run five years
        if k in (7, 23, 51):  # lapsed: cannot act until renewed
            valid = today - dt.timedelta(days=rng.randrange(5, 60))
        elif k in (12, 40):
            valid = today + dt.timedelta(days=rng.randrange(5, 25))
        elif valid < today:
            valid = today + dt.timedelta(days=rng.randrange(200, 1500))
        officers.append(Officer(user=user, squad=squad, certificate_number=f"苏{town.code[:6]}{2026000 + k + 1:07d}",
                                certificate_issued=issued, certificate_valid_until=valid,
                                legal_reviewer=k in (3, 4, 5),  # one 法制审核员 per squad
                                fields=["城市管理", "市场监管", "自然资源"][k % 3:k % 3 + 1] + ["安全生产"]))
        if user != cast_officer:  # the cast's officer has the post already
            posts.append(Post(user=user, role=Role.ENFORCEMENT_OFFICER, region=town, title=squad.name[-9:]))
        posts.append(Post(user=user, role=Role.DEPT_HANDLER, department=squad.department, title="中队队员"))
    Officer.objects.bulk_create(officers)
    Post.objects.bulk_create(posts)
    for squad in squads:
        squad.leader = squad.officers.order_by("certificate_number").first().user
        squad.save(update_fields=["leader"])
    shifts = []
    for officer in Officer.objects.all():
        for d in range(-7, 14):
            day = today + dt.timedelta(days=d)
            if day.weekday() < 5 and rng.random() < 0.7:
                shifts.append(DutyShift(squad_id=officer.squad_id, officer=officer, day=day, shift=DutyShift.Shift.DAY))
            if rng.random() < 0.12:
                shifts.append(DutyShift(squad_id=officer.squad_id, officer=officer, day=day,
                                        shift=DutyShift.Shift.EVENING))
    DutyShift.objects.bulk_create(shifts, batch_size=2000)
    return len(members)
