"""The demo county has the sources' structure and is deterministic."""

import pytest

from shanzhi.accounts.models import Post, User
from shanzhi.accounts.roles import Role
from shanzhi.demo.builder import SCALES, DemoBuilder
from shanzhi.geo.models import Grid, Region

pytestmark = pytest.mark.django_db


def test_jiangyin_has_its_seventeen_towns_and_streets():
    county = Region.objects.get(code="320281000000")
    towns = Region.objects.filter(parent=county)
    assert towns.count() == 17
    assert {"徐霞客镇", "澄江街道", "华士镇", "周庄镇"} <= set(towns.values_list("name", flat=True))
    assert all(t.code.startswith("320281") and len(t.code) == 12 for t in towns)


def test_xuxiake_town_has_21_first_level_and_179_second_level_grids(xxk):
    assert Grid.objects.filter(town=xxk, level=1).count() == 21
    assert Grid.objects.filter(town=xxk, level=2, kind="comprehensive").count() == 179
    assert Grid.objects.filter(town=xxk, kind="special").exists()


def test_every_grid_belongs_to_exactly_one_village_of_its_town():
    for grid in Grid.objects.select_related("region", "town"):
        assert grid.region.parent_id == grid.town_id


def test_there_is_one_login_per_role():
    roles = set(Post.objects.filter(user__username__in=[
        "county_leader", "town_leader", "dispatcher", "dept_handler", "grid_chief", "grid_worker", "informant",
        "grid_inspector", "liaison", "patroller", "window_clerk", "reviewer", "officer", "civil_affairs", "auditor",
        "citizen"]).values_list("role", flat=True))
    assert roles == set(Role.values)
    assert User.objects.get(username="admin").is_superuser


def test_the_same_seed_generates_the_same_county():
    import datetime as dt

    from shapely.geometry import box

    from shanzhi.demo.builder import random_points

    def sample(seed):
        b = DemoBuilder(seed=seed, scale="tiny", log=lambda m: None)
        return ([b.fake.name() for _ in range(5)] + [b._id_number(dt.date(1980, 1, 1), True) for _ in range(3)]
                + random_points(box(0, 0, 1, 1), 3, b.nprng) + [b._uscc()])

    assert sample(7) == sample(7)
    assert sample(7) != sample(8)
    assert SCALES["default"].plates_showcase > SCALES["tiny"].plates_showcase


def test_the_simulation_reports_and_moves_cases_through_the_services():
    from shanzhi.demo.simulate import Simulator
    from shanzhi.incidents.models import Incident, IncidentStep

    before_cases, before_steps = Incident.objects.count(), IncidentStep.objects.count()
    sim = Simulator(seed=3)
    totals = [sim.tick(new=3, moves=8) for _ in range(3)]
    assert sum(t["reported"] for t in totals) == 9
    assert sum(t["moved"] for t in totals) > 0
    assert Incident.objects.count() == before_cases + 9
    assert IncidentStep.objects.count() > before_steps + 9


def test_the_history_gives_every_case_its_steps():
    from django.db.models import Count

    from shanzhi.incidents.models import Incident

    history = Incident.objects.annotate(n=Count("steps"))
    assert history.exists() and not history.filter(n=0).exists()
    closed = Incident.objects.filter(status__in=["closed", "archived"]).first()
    moves = [a for a in closed.steps.values_list("action", flat=True) if a not in ("warn", "overdue", "supervise")]
    assert moves[:3] == ["report", "register", "dispatch"]


def test_the_window_history_plays_applications_through_the_services():
    from django.db.models import Count
    from django.utils import timezone

    from shanzhi.onewindow.models import Application, Certificate
    from shanzhi.onewindow.services.certificates import verify

    applications = Application.objects.annotate(n=Count("steps"))
    assert applications.count() >= 8
    assert not applications.filter(n=0).exists()
    # Every application's steps run forward in time and none lies in the future.
    for application in applications[:20]:
        times = list(application.steps.order_by("id").values_list("at", flat=True))
        assert times == sorted(times) and times[-1] <= timezone.now()
    # Results came out the far end: granted ones carry a certificate that verifies.
    granted = Certificate.objects.all()
    assert granted.exists()
    failing = [(c.number, c.valid_until, verify(c)[1]) for c in granted if not verify(c)[0]]
    assert not failing, failing
    assert len(set(applications.values_list("status", flat=True))) >= 3


def test_departments_are_staffed_to_their_workload_and_work_earliest_deadline_first():
    import datetime as dt

    from shanzhi.accounts.models import Department
    from shanzhi.demo.history import Desk, Profile, staff

    tight, easy = Profile("busy", 0.8), Profile("easy", 0.4)
    # Twice the work, more crews; a tighter office, fewer crews for the same work; never none.
    assert staff(600, 300, easy)[0] > staff(300, 300, easy)[0] > staff(300, 300, tight)[0] >= 1
    assert staff(0, 300, tight) == (1, 1.0)
    assert staff(50, 300, easy, posts=30)[0] == 3  # a squad of thirty fields three crews
    crews, pace = staff(900, 300, tight)
    assert 900 / 300 * pace / crews <= 0.97  # never staffed beyond what it can keep up with

    desk = Desk(Department(code="X", name="X"), tight, 1, 1.0, [])
    t = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    desk.join(1, t + dt.timedelta(days=3), 0, 1)
    desk.join(2, t + dt.timedelta(hours=2), 1, 1)  # the site's case: behind the daily ones
    desk.join(3, t + dt.timedelta(hours=4), 0, 1)
    desk.join(4, t + dt.timedelta(hours=1), 0, 0)  # stale (the case left the desk)

    def valid(pk, token):
        return token == 1

    assert desk.take(valid) == (0, 3)
    assert desk.take(valid) is None  # its one crew is busy: the rest wait
    order = []
    for _ in range(2):
        desk.crews[0] = None  # the crew is done and takes the next case
        order.append(desk.take(valid)[1])
    assert order == [1, 2]


def test_the_history_has_late_cases_returns_reworks_and_extensions():
    from django.db.models import Q

    from shanzhi.incidents.models import ExtensionRequest, Incident

    handled = Incident.objects.filter(replied_at__isnull=False)
    assert handled.filter(handled_late=False).exists()
    assert Incident.objects.filter(ran_late=True).exists()  # not every case closes on time
    assert Incident.objects.filter(returned_count__gt=0).exists()
    assert Incident.objects.filter(rework_count__gt=0).exists()
    assert ExtensionRequest.objects.exists()
    # Enforcement matters of the showcase town go to the squad of the grid's area.
    squads = Incident.objects.filter(department__squad__isnull=False)
    assert squads.exists() and not squads.filter(~Q(town=squads.first().department.region)).exists()


def test_the_simulation_takes_working_time_rather_than_closing_cases_at_once():
    import datetime as dt

    from django.utils import timezone

    from shanzhi.common.workcal import WorkingCalendar
    from shanzhi.demo.simulate import Simulator
    from shanzhi.incidents.models import Incident

    cal = WorkingCalendar()
    day = timezone.localdate() + dt.timedelta(days=1)
    while not cal.is_workday(day):
        day += dt.timedelta(days=1)
    t = dt.datetime.combine(day, dt.time(9), tzinfo=timezone.get_current_timezone())
    before = set(Incident.objects.values_list("pk", flat=True))
    sim = Simulator(seed=3)
    for k in range(3):
        sim.tick(new=2, moves=60, now=t + dt.timedelta(seconds=20 * k))
    new = Incident.objects.exclude(pk__in=before)
    assert new.count() == 6
    assert new.filter(dispatched_at__isnull=False).exists()  # the center registers and dispatches at once …
    assert not new.filter(replied_at__isnull=False).exists()  # … but handling takes the crews' working time
    for desk in sim.desks.values():
        held = [pk for pk in desk.crews if pk is not None]
        assert len(held) == len(set(held))
    for k in range(1, 2 * 24 * 2):  # two days on, in half-hour rounds
        sim.tick(new=0, moves=60, now=t + dt.timedelta(minutes=30 * k))
    assert new.filter(replied_at__isnull=False).exists()
