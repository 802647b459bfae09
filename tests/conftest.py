"""Shared fixtures: a small demo county built once per test session, and the fixed cast."""

import os
import tempfile

# Before Django reads its settings: a fixed sealing key and a throw-away data directory.
os.environ.setdefault("SHANZHI_SEAL_KEY", "5a" * 32)
os.environ.setdefault("SHANZHI_DATA_DIR", tempfile.mkdtemp(prefix="shanzhi-test-"))

import pytest  # noqa: E402
from django.test import Client  # noqa: E402

PASSWORD = "Shanzhi@2026"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from shanzhi.demo.builder import DemoBuilder
    from shanzhi.geo.spatial import reset_index

    with django_db_blocker.unblock():
        DemoBuilder(seed=7, scale="tiny", log=lambda m: None).build()
    reset_index()


@pytest.fixture(autouse=True)
def _fresh_index():
    from shanzhi.geo.spatial import reset_index

    reset_index()
    yield


class Cast:
    """The fixed cast of DESIGN.md §10, from the demo county."""

    def __getattr__(self, username):
        from shanzhi.accounts.models import User

        return User.objects.get(username=username)


@pytest.fixture
def cast(db):
    return Cast()


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for(db):
    return login


@pytest.fixture
def xxk(db):
    from shanzhi.geo.models import Region

    return Region.objects.get(name="徐霞客镇")


@pytest.fixture
def huashi(db):
    from shanzhi.geo.models import Region

    return Region.objects.get(name="华士镇")
