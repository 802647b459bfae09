import pytest
from django.contrib import admin

from .conftest import login

pytestmark = pytest.mark.django_db


def test_every_admin_list_opens_for_the_administrator(cast):
    client = login(cast.admin)
    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url


def test_incidents_cannot_be_edited_around_the_loop(cast):
    from shanzhi.incidents.models import Incident

    incident = Incident.objects.first()
    client = login(cast.admin)
    page = client.get(f"/admin/incidents/incident/{incident.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
