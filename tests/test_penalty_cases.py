"""Penalty cases on the kernel, first stages: a grid incident about an illegal structure becomes a
lead in one step (linked both ways, handed to the squad of the area), the squad leader files it
with the applicable power — the 90-day decision clock starts — or declines with a reason; a lapsed
certificate cannot register a lead; another town sees nothing; two approvers — one wins."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from shanzhi.cases.errors import Conflict
from shanzhi.cases.models import Timer
from shanzhi.enforcement import cases as svc
from shanzhi.enforcement.models import Officer, PenaltyCase, PenaltyItem, Squad
from shanzhi.incidents.services import loop

from .conftest import login
from .test_incident_loop import home_grid, report

pytestmark = pytest.mark.django_db


def structure_incident(cast):
    grid = home_grid(cast)
    squad = Squad.objects.get(grids=grid.parent)
    incident = report(cast, description="马镇社区村道边有人未经审批搭建彩钢棚，约40平方米")
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=squad.department)
    return incident, squad


def certified_member(squad):
    today = timezone.localdate()
    return Officer.objects.filter(squad=squad, certificate_valid_until__gt=today + dt.timedelta(days=30)) \
        .exclude(user=squad.leader).first().user


def rural_building(xxk):
    return PenaltyItem.objects.get(written_out=True, violation__contains="乡村建设规划许可证", towns=xxk)


def test_an_incident_becomes_a_lead_in_one_step_linked_both_ways(cast, xxk):
    incident, squad = structure_incident(cast)
    officer = certified_member(squad)
    case = svc.lead_from_incident(actor=officer, incident_id=incident.pk, party_name="马镇村村民王某")
    assert case.status == "lead" and case.incident == incident and case.squad == squad and case.town == xxk
    assert case.file_due and Timer.objects.filter(kind="penalty", case_id=case.pk, stage="file").exists()
    assert incident.steps.filter(action="to_lead", data__penalty_case=case.number).exists()
    page = login(officer).get(f"/incidents/{incident.pk}/").content.decode()
    assert case.number in page  # the incident's page shows the lead
    with pytest.raises(Conflict, match="已转为执法案源"):
        svc.lead_from_incident(actor=officer, incident_id=incident.pk)
    detail = login(squad.leader).get(f"/team/cases/{case.pk}/").content.decode()
    assert incident.number in detail and "批准立案" in detail  # the leader is offered the approval


def test_the_leader_files_it_and_the_90_day_clock_runs_in_calendar_days(cast, xxk):
    incident, squad = structure_incident(cast)
    case = svc.lead_from_incident(actor=certified_member(squad), incident_id=incident.pk)
    with pytest.raises(PermissionDenied, match="中队长"):
        svc.case_file(actor=certified_member(squad), case_id=case.pk, item=rural_building(xxk).pk)
    with pytest.raises(ValidationError, match="处罚事项"):
        svc.case_file(actor=squad.leader, case_id=case.pk)
    seen = case.version
    filed = svc.case_file(actor=squad.leader, case_id=case.pk, item=rural_building(xxk).pk, expected_version=seen)
    assert filed.status == "filed" and filed.item == rural_building(xxk)
    assert (filed.decide_due - filed.filed_at).days in (90, 91, 92)  # 90 calendar days, on to a working day
    assert Timer.objects.get(kind="penalty", case_id=case.pk, stage="file").stopped_at is not None
    with pytest.raises(Conflict):  # the town leader, looking at the same lead, is told
        svc.case_decline(actor=cast.town_leader, case_id=case.pk, reason="不属于违法行为", expected_version=seen)


def test_a_lead_declined_needs_a_reason_and_a_powerless_item_is_refused(cast, xxk, huashi):
    incident, squad = structure_incident(cast)
    case = svc.lead_from_incident(actor=certified_member(squad), incident_id=incident.pk)
    with pytest.raises(ValidationError, match="理由"):
        svc.case_decline(actor=cast.town_leader, case_id=case.pk, reason=" ")
    kept = PenaltyItem.objects.filter(towns__isnull=True).first()  # a power the county keeps
    with pytest.raises(ValidationError, match="本镇（街道）行使的处罚事项"):
        svc.case_file(actor=cast.town_leader, case_id=case.pk, item=kept.pk)
    declined = svc.case_decline(actor=cast.town_leader, case_id=case.pk, reason="经核查，彩钢棚已自行拆除")
    assert declined.status == "not_filed" and not Timer.objects.filter(kind="penalty", case_id=case.pk,
                                                                        stopped_at__isnull=True).exists()
    # Once declined, the incident may become a lead again (new facts).
    again = svc.lead_from_incident(actor=certified_member(squad), incident_id=incident.pk)
    assert again.pk != case.pk


def test_a_lapsed_certificate_cannot_register_and_another_town_sees_nothing(cast, xxk):
    incident, squad = structure_incident(cast)
    lapsed = Officer.objects.filter(squad__town=xxk, certificate_valid_until__lt=timezone.localdate()).first()
    with pytest.raises(PermissionDenied, match="已过期"):
        svc.lead_from_incident(actor=lapsed.user, incident_id=incident.pk)
    assert not PenaltyCase.objects.filter(incident=incident).exists()
    case = svc.lead_from_incident(actor=certified_member(squad), incident_id=incident.pk)
    assert login(cast.outsider).get(f"/team/cases/{case.pk}/").status_code == 404
    with pytest.raises(Http404):
        svc.case_file(actor=cast.outsider, case_id=case.pk, item=rural_building(xxk).pk)
    assert case.number not in login(cast.outsider).get("/team/cases/").content.decode()
    assert case.number in login(cast.town_leader).get("/team/cases/").content.decode()


def test_the_web_form_files_and_refuses_with_the_reason(cast, xxk):
    incident, squad = structure_incident(cast)
    member = login(certified_member(squad))
    resp = member.post(f"/team/leads/from-incident/{incident.pk}/", {"party_name": "王某"})
    case = PenaltyCase.objects.get(incident=incident)
    assert resp.status_code == 302 and resp["Location"] == f"/team/cases/{case.pk}/"
    leader = login(squad.leader)
    bad = leader.post(f"/team/cases/{case.pk}/act/file/", {"version": case.version})
    assert bad.status_code == 400 and "立案须确定适用的处罚事项" in bad.content.decode()
    ok = leader.post(f"/team/cases/{case.pk}/act/file/", {"version": case.version, "item": rural_building(xxk).pk})
    assert ok.status_code == 302 and PenaltyCase.objects.get(pk=case.pk).status == "filed"
    stale = leader.post(f"/team/cases/{case.pk}/act/decline/", {"version": case.version, "note": "重复"})
    assert stale.status_code == 409
    work = login(squad.leader).get("/work/").content.decode()
    assert "执法案件" in work or "调查中的案件" in work


def test_the_demo_shows_leads_from_the_grid_some_filed_through_the_services(cast, xxk):
    demo = PenaltyCase.objects.filter(town=xxk, source="incident")
    assert demo.exists()
    for case in demo:
        assert case.steps.first().action == "register" and case.incident.steps.filter(action="to_lead").exists()
        if case.status == "filed":
            assert case.item.towns.filter(pk=xxk.pk).exists() and case.decide_due > case.filed_at


# --------------------------------------------------------------------------- an outsider's findings
def test_odd_digits_in_the_version_are_bad_input_not_a_server_error(cast, xxk):
    incident, squad = structure_incident(cast)
    case = svc.lead_from_incident(actor=certified_member(squad), incident_id=incident.pk)
    for odd in ("²", "①", "１"):
        resp = login(cast.town_leader).post(f"/team/cases/{case.pk}/act/file/",
                                            {"version": odd, "item": rural_building(xxk).pk})
        assert resp.status_code == 400, odd
    assert PenaltyCase.objects.get(pk=case.pk).status == "lead"


def test_nobody_approves_a_lead_they_registered_and_a_lapsed_leader_cannot_approve(cast, xxk):
    incident, squad = structure_incident(cast)
    leader = squad.leader
    own = svc.lead_from_incident(actor=leader, incident_id=incident.pk)
    with pytest.raises(PermissionDenied, match="登记人不能审批"):
        svc.case_file(actor=leader, case_id=own.pk, item=rural_building(xxk).pk)
    svc.case_decline(actor=cast.town_leader, case_id=own.pk, reason="重复登记")
    other = svc.lead_from_incident(actor=certified_member(squad), incident_id=incident.pk)
    officer = Officer.objects.get(user=leader)
    Officer.objects.filter(pk=officer.pk).update(certificate_valid_until=timezone.localdate() - dt.timedelta(days=10))
    with pytest.raises(PermissionDenied, match="已过期"):
        svc.case_file(actor=leader, case_id=other.pk, item=rural_building(xxk).pk)
    assert svc.case_file(actor=cast.town_leader, case_id=other.pk, item=rural_building(xxk).pk).status == "filed"


def test_a_finished_incident_cannot_become_a_lead(cast, xxk):
    from shanzhi.incidents.models import Incident

    squad = Squad.objects.filter(town=xxk).first()
    for status in ("closed", "archived", "voided"):
        done = Incident.objects.filter(town=xxk, status=status, grid__parent__in=squad.grids.all()).first() \
            or Incident.objects.filter(town=xxk, status=status).first()
        if done is None:
            continue
        with pytest.raises(Conflict, match="不能再转为执法案源"):
            svc.lead_from_incident(actor=certified_member(squad), incident_id=done.pk)


def test_a_stranger_is_refused_before_being_told_the_reason_is_missing(cast, xxk):
    incident, squad = structure_incident(cast)
    case = svc.lead_from_incident(actor=certified_member(squad), incident_id=incident.pk)
    with pytest.raises(PermissionDenied):
        svc.case_decline(actor=cast.dispatcher, case_id=case.pk, reason="")


def test_rosters_are_for_the_team_and_who_commands_it(cast, xxk):
    squad = Squad.objects.filter(town=xxk).first()
    assert login(cast.window_clerk).get(f"/team/squads/{squad.pk}/").status_code == 403
    assert login(cast.dispatcher).get(f"/team/squads/{squad.pk}/").status_code == 200


def test_the_public_export_is_written_once_per_filter(cast, xxk, monkeypatch):
    from django.core.cache import cache
    from django.test import Client

    from shanzhi.enforcement import io_views

    cache.clear()
    calls = []
    real = io_views.export_powers
    monkeypatch.setattr(io_views, "export_powers", lambda qs: calls.append(1) or real(qs))
    first = Client().get("/team/powers/export.xlsx", {"domain": "water"})
    second = Client().get("/team/powers/export.xlsx", {"domain": "water"})
    other = Client().get("/team/powers/export.xlsx", {"domain": "city"})
    assert first.status_code == second.status_code == other.status_code == 200
    assert first.content == second.content and len(calls) == 2  # the second was the cached copy
