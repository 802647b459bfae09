"""Personal data at rest, the audit trail and the health endpoints."""

import pytest
from django.db import connection
from django.test import Client

from shanzhi.common import crypto
from shanzhi.common.models import AuditLog
from shanzhi.registry.models import Organisation, Person

pytestmark = pytest.mark.django_db


def test_a_copied_database_reveals_no_id_number_or_phone():
    person = Person.objects.exclude(phone_sealed="").first()
    org = Organisation.objects.exclude(phone_sealed="").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_person WHERE id = %s", [person.pk])
        person_row = " ".join(str(v) for v in cursor.fetchone())
        cursor.execute("SELECT * FROM registry_organisation WHERE id = %s", [org.pk])
        org_row = " ".join(str(v) for v in cursor.fetchone())
    assert person.id_number not in person_row and person.phone not in person_row
    assert person.id_number[-6:] not in person_row
    assert org.phone not in org_row


def test_sealing_is_randomised_and_tamper_evident():
    a, b = crypto.seal("320281199003071234"), crypto.seal("320281199003071234")
    assert a != b and crypto.unseal(a) == crypto.unseal(b) == "320281199003071234"
    broken = a[:-4] + ("AAAA" if not a.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.SealError):
        crypto.unseal(broken)


def test_the_blind_index_is_keyed(settings):
    before = crypto.blind_index("id", "320281199003071234")
    settings.SEAL_KEY = "6b" * 32
    assert crypto.blind_index("id", "320281199003071234") != before


def test_audit_rows_cannot_be_changed_or_deleted():
    row = AuditLog.objects.create(action="create", object_type="x", object_id="1")
    row.note = "changed"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()


def test_the_audit_page_filters_by_action(cast):
    from .conftest import login

    Client().post("/login/", {"username": "grid_worker", "password": "wrong-one"})
    page = login(cast.auditor).get("/system/audit/", {"action": "login_failed"}).content.decode()
    assert "登录失败" in page and cast.grid_worker.display_name in page


def test_health_and_readiness():
    client = Client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok" and ready.json()["queue"] == "ok"
