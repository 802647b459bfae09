import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric

from shanzhi.common.identifiers import (
    id_gender,
    normalise_id_number,
    normalise_mobile,
    normalise_uscc,
    upgrade_legacy_id,
)


def _valid(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def test_it_accepts_a_valid_id_number_and_uppercases_x():
    number = "11010519491231002X"
    assert normalise_id_number(number.lower()) == number


def test_it_rejects_a_wrong_check_digit_with_the_reason():
    good = _valid("32028119900307123")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError, match="校验位"):
        normalise_id_number(bad)


def test_it_rejects_an_impossible_birth_date():
    with pytest.raises(ValidationError, match="出生日期"):
        normalise_id_number(_valid("32028119901332123"))


def test_it_rejects_a_birth_date_in_the_future():
    with pytest.raises(ValidationError, match="出生日期"):
        normalise_id_number(_valid("32028120990101123"))


def test_it_accepts_an_address_code_that_is_no_longer_current():
    # 320219 (old 江阴县) was retired long ago; the number must still be accepted.
    number = _valid("32021919650412003")
    assert normalise_id_number(number) == number


def test_it_upgrades_a_legacy_15_digit_number_to_18():
    legacy = "320281650412003"
    upgraded = normalise_id_number(legacy)
    assert upgraded == upgrade_legacy_id(legacy)
    assert len(upgraded) == 18 and upgraded[6:8] == "19"
    assert ric.is_valid(upgraded) or upgraded[-1] == ric.calc_check_digit(upgraded)


@pytest.mark.parametrize("value,reason", [("", "不能为空"), ("1234", "18 位"), ("32028119900307A234", "格式")])
def test_it_explains_malformed_numbers(value, reason):
    with pytest.raises(ValidationError, match=reason):
        normalise_id_number(value)


def test_gender_comes_from_the_order_code():
    assert id_gender(_valid("32028119900307123")) == "M"
    assert id_gender(_valid("32028119900307124")) == "F"


@pytest.mark.parametrize("raw,expected", [("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678")])
def test_it_normalises_mobile_numbers(raw, expected):
    assert normalise_mobile(raw) == expected


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "abc"])
def test_it_rejects_bad_mobile_numbers(raw):
    with pytest.raises(ValidationError, match="手机号"):
        normalise_mobile(raw)


def test_it_validates_unified_social_credit_codes():
    from stdnum.cn import uscc

    body = "91320281MA1P3XQ8"
    body += "0"  # 17 characters before the check digit
    good = body + uscc.calc_check_digit(body + "0")
    assert normalise_uscc(good[:6] + " " + good[6:]) == good
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    with pytest.raises(ValidationError, match="校验位"):
        normalise_uscc(wrong)
    with pytest.raises(ValidationError, match="18 位"):
        normalise_uscc("9132028170")
