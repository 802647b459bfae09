import pytest
from django.core.exceptions import ValidationError

from shanzhi.common.jurisdiction import scope_for
from shanzhi.common.models import AuditLog
from shanzhi.registry.models import Person
from shanzhi.registry.services.people import StaleRecord, person_update

from .conftest import login

pytestmark = pytest.mark.django_db


def _mine(user) -> Person:
    return scope_for(user).filter(Person.objects.all()).order_by("id").first()


def test_a_grid_worker_updates_a_phone_and_the_audit_shows_it_masked(cast):
    person = _mine(cast.grid_worker)
    person_update(actor=cast.grid_worker, person_id=person.pk, expected_version=person.version,
                  phone="13700001111", tags="独居老人，残疾人")
    person.refresh_from_db()
    assert person.phone == "13700001111" and person.tags == "独居老人,残疾人" and person.version == 2
    row = AuditLog.objects.filter(action="update", object_id=str(person.pk)).latest("id")
    assert row.after["phone"] == "137****1111" and "13700001111" not in str(row.after)
    assert row.after["tags"] == "独居老人,残疾人"


def test_the_second_of_two_editors_is_told_and_changes_nothing(cast):
    person = _mine(cast.grid_worker)
    opened = person.version
    person_update(actor=cast.grid_worker, person_id=person.pk, expected_version=opened, name="张三丰")
    with pytest.raises(StaleRecord, match="已被他人修改"):
        person_update(actor=cast.grid_chief, person_id=person.pk, expected_version=opened, name="李四")
    person.refresh_from_db()
    assert person.name == "张三丰"


def test_bad_input_is_explained_per_field_and_changes_nothing(cast):
    person = _mine(cast.grid_worker)
    with pytest.raises(ValidationError) as exc:
        person_update(actor=cast.grid_worker, person_id=person.pk, expected_version=person.version,
                      name="", phone="12345", address_code="NOWHERE")
    assert set(exc.value.message_dict) == {"name", "phone", "address_code"}
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.name, fresh.version) == (person.name, person.version)


def test_the_edit_form_reports_a_conflict_over_http(cast):
    person = _mine(cast.grid_worker)
    client = login(cast.grid_worker)
    form = {"name": person.name, "phone": "", "residence": person.residence, "address_code": "", "tags": "",
            "ethnicity": "汉族", "version": person.version}
    assert client.post(f"/registry/person/{person.pk}/edit/", form).status_code == 204
    resp = client.post(f"/registry/person/{person.pk}/edit/", form)
    assert resp.status_code == 409 and "已被他人修改" in resp.content.decode()
    bad = {**form, "version": person.version + 1, "phone": "999"}
    assert client.post(f"/registry/person/{person.pk}/edit/", bad).status_code == 400


def test_outsiders_and_read_only_roles_cannot_edit(cast):
    person = _mine(cast.grid_worker)
    assert login(cast.outsider).get(f"/registry/person/{person.pk}/edit/").status_code == 403
    assert login(cast.civil_affairs).get(f"/registry/person/{person.pk}/edit/").status_code == 200
    other_town = Person.objects.filter(region__parent__name="华士镇").first()
    assert login(cast.civil_affairs).get(f"/registry/person/{other_town.pk}/edit/").status_code == 404


def test_the_edit_form_never_shows_the_phone_in_full(cast):
    person = scope_for(cast.grid_worker).filter(Person.objects.exclude(phone_sealed="")).first()
    html = login(cast.grid_worker).get(f"/registry/person/{person.pk}/edit/").content.decode()
    assert person.phone not in html and person.phone_masked in html


def test_an_empty_phone_in_the_form_leaves_the_phone_unchanged(cast):
    person = scope_for(cast.grid_worker).filter(Person.objects.exclude(phone_sealed="")).first()
    form = {"name": "新名字", "phone": "", "residence": person.residence, "address_code": "", "tags": "",
            "ethnicity": "汉族", "version": person.version}
    assert login(cast.grid_worker).post(f"/registry/person/{person.pk}/edit/", form).status_code == 204
    fresh = Person.objects.get(pk=person.pk)
    assert fresh.name == "新名字" and fresh.phone == person.phone
