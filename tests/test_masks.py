"""Masks that cannot be undone: from everything a role without the reveal right is shown — in
pages, exports, the API and the audit log — try to rebuild ID numbers; none may narrow below
1,000 candidates."""

import calendar
import datetime as dt
import io
import itertools

import numpy as np
import pytest
from openpyxl import load_workbook

from shanzhi.common.jurisdiction import actor_can, scope_for
from shanzhi.common.masking import mask_id_number, mask_phone
from shanzhi.registry.models import Person
from shanzhi.registry.services.exports import registry_export

from .conftest import login

pytestmark = pytest.mark.django_db
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK = "10X98765432"


def candidates(masked: str, birth_year: int, area: str) -> tuple[int, set[str]]:
    """Every 18-character number that matches the mask, was born in that year and carries the
    area code (taken as known: it follows from the address), with a valid check digit."""
    assert masked[:4] == area[:4]
    days = [dt.date(birth_year, 1, 1) + dt.timedelta(d) for d in range(366 if calendar.isleap(birth_year) else 365)]
    known_tail = masked[-2:]
    hidden = masked.count("*")
    # Positions 15..(18 - len(tail)) are unknown sequence digits.
    free = 18 - 14 - len(known_tail)
    rows = []
    for day, seq in itertools.product(days, range(10 ** free)):
        rows.append(area + f"{day:%Y%m%d}" + f"{seq:0{free}d}" + known_tail[:-1])
    digits = np.array([[int(c) for c in r] for r in rows])
    checks = np.array([CHECK[v] for v in (digits @ WEIGHTS) % 11])
    ok = checks == known_tail[-1]
    assert hidden >= 12
    return int(ok.sum()), {r + known_tail[-1] for r, good in zip(rows, ok, strict=True) if good}


def test_no_id_number_can_be_rebuilt_from_a_masked_export(cast):
    dispatcher = cast.dispatcher
    assert actor_can(dispatcher, "manage_registry") and not actor_can(dispatcher, "reveal_pii")
    book = load_workbook(io.BytesIO(registry_export(actor=dispatcher, kind="person")), read_only=True)
    sheet = book.worksheets[0]
    header = [c for c in next(sheet.iter_rows(values_only=True))]
    rows = [dict(zip(header, r, strict=False)) for r in itertools.islice(sheet.iter_rows(values_only=True), 1, None)]
    assert rows, "the dispatcher's export is empty"
    truth = {p.name + p.id_masked: p for p in scope_for(dispatcher).filter(Person.objects.all())}
    counts = []
    for row in rows[:12]:
        masked, year = row["身份证号"], row["出生日期（脱敏时为年份）"]
        assert isinstance(year, int) or str(year).isdigit(), "the export shows a birth year, not the date"
        person = truth[row["姓名"] + masked]
        n, found = candidates(masked, int(year), person.id_number[:6])
        assert person.id_number in found  # the attack is sound: the true number is among them
        counts.append(n)
    print("candidates per person", counts)
    assert min(counts) >= 1000, counts


def test_the_old_mask_beside_a_birth_date_gave_the_number_away():
    """Why the mask changed: first 4 + last 4 beside the birth date leaves one or two numbers."""
    number = "32028119900307123X"
    born = dt.date(1990, 3, 7)
    old = number[:4] + "*" * 10 + number[-4:]
    area = number[:6]
    body = area + f"{born:%Y%m%d}" + old[-4:-1]
    assert CHECK[int(np.array([int(c) for c in body]) @ WEIGHTS) % 11] == number[-1]  # exactly one candidate
    assert mask_id_number(number) == "3202************3X"


def test_pages_and_the_api_show_the_birth_year_never_the_date(cast):
    person = scope_for(cast.town_leader).filter(Person.objects.all()).first()
    born = person.birth_date
    for text in (login(cast.town_leader).get(f"/registry/person/{person.pk}/").content.decode(),
                 login(cast.town_leader).get("/api/v1/registry/people", {"q": person.name}).content.decode(),
                 login(cast.town_leader).get("/registry/", {"q": person.name}).content.decode()):
        assert born.isoformat() not in text and f"{born:%Y%m%d}" not in text
        assert person.id_number not in text
    assert str(person.birth_year) in login(cast.town_leader).get(f"/registry/person/{person.pk}/").content.decode()


def test_a_phone_mask_leaves_ten_thousand_numbers():
    masked = mask_phone("13812345678")
    assert masked == "138****5678" and masked.count("*") >= 4


def test_the_audit_log_of_an_edit_holds_no_plain_phone(cast):
    from shanzhi.common.models import AuditLog
    from shanzhi.registry.services import people

    person = scope_for(cast.grid_worker).filter(Person.objects.all()).first()
    people.person_update(actor=cast.grid_worker, person_id=person.pk, expected_version=person.version,
                         phone="13912348888")
    row = AuditLog.objects.filter(object_id=str(person.pk), action="update").latest("id")
    assert "13912348888" not in str(row.before) + str(row.after) and "139****8888" in str(row.after)
