"""CPR numbers and replacement numbers: known answers from the CPR office's rules and MedCom test data."""

from __future__ import annotations

import datetime as dt

import pytest

from dkhealth_conformance.dk import (
    check_cpr,
    check_d_ecpr,
    check_ecpr,
    check_identifier,
    check_x_ecpr,
    cpr,
    ecpr,
)
from dkhealth_conformance.report import Location, Severity


def rule_ids(issues):
    return [i.rule_id for i in issues]


@pytest.mark.parametrize(
    ("value", "born"),
    [
        ("2509479989", dt.date(1947, 9, 25)),  # Bruno Test Elmer, MedCom's usual test person
        ("2311143995", dt.date(1914, 11, 23)),
        ("0201919990", dt.date(1991, 1, 2)),
        ("0108589995", dt.date(1958, 8, 1)),
        ("2110979420", dt.date(1997, 10, 21)),
        ("0501900044", dt.date(1990, 1, 5)),
    ],
)
def test_medcom_test_persons(value, born):
    assert cpr.birth_date(value) == born
    assert cpr.kind_of(value) == "cpr"
    assert check_cpr(value) == []


@pytest.mark.parametrize(
    ("value", "year"),
    [
        ("0101004123", 2000),  # 4, YY 00-36 -> 2000s
        ("0101364123", 2036),
        ("0101374123", 1937),  # 4, YY 37-99 -> 1900s
        ("0101999123", 1999),
        ("0101369123", 2036),  # 9 like 4
        ("0101379123", 1937),
        ("0101585123", 1858),  # 5-8, YY 58-99 -> 1800s
        ("0101578123", 2057),  # 5-8, YY 00-57 -> 2000s
        ("0101995123", 1899),
        ("0101006123", 2000),
        ("0101000123", 1900),  # 0-3 always 1900s
        ("0101993123", 1999),
        ("0101573123", 1957),
    ],
)
def test_century_table(value, year):
    assert cpr.birth_date(value) == dt.date(year, 1, 1)


def test_29_february_needs_a_leap_year_of_the_right_century():
    # YY 00 with century digit 0-3 is 1900 (not a leap year); with 4-9 it is 2000 (a leap year)
    for digit in "0123":
        value = f"290200{digit}123"
        assert cpr.birth_date(value) is None
        [issue] = check_cpr(value)
        assert issue.rule_id == "dk.cpr.invalid-date"
        assert "1900" in issue.message and "leap year" in issue.message
    for digit in "456789":
        assert cpr.birth_date(f"290200{digit}123") == dt.date(2000, 2, 29)
    assert cpr.birth_date("2902961234") == dt.date(1996, 2, 29)
    assert rule_ids(check_cpr("2902971234")) == ["dk.cpr.invalid-date"]


def test_invalid_date_message_names_the_date_and_century():
    [issue] = check_cpr("3102801234", Location("/Emessage/ClinicalEmail/Patient/CivilRegistrationNumber", 12))
    assert issue.rule_id == "dk.cpr.invalid-date"
    assert issue.severity is Severity.ERROR
    assert issue.message == "CPR 3102801234: 31 February is not a date (born 1980 by the century digit 1)"
    assert issue.location.line == 12
    assert "century" in issue.source


@pytest.mark.parametrize("value", ["0013801234", "3213801234", "0100801234", "0113801234", "3104801234"])
def test_impossible_dates(value):
    assert rule_ids(check_cpr(value)) == ["dk.cpr.invalid-date"]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "empty"),
        ("250947-9989", "hyphen"),
        ("250947998", "9 digits"),
        ("25094799890", "11 digits"),
        ("25094799a9", "'a'"),
        (" 2509479989", "white space"),
        ("0703921VJ4", "urn:oid:1.2.208.176.1.6.1.1"),
        ("1206550VK9", "urn:oid:1.2.208.176.1.6.1.3"),
        ("２５０９４７９９８９", "other than digits"),  # full-width digits are not ASCII digits
    ],
)
def test_format(value, fragment):
    [issue] = check_cpr(value)
    assert issue.rule_id == "dk.cpr.format"
    assert fragment in issue.message


def test_modulus11_is_opt_in_information():
    # Bruno Test Elmer's number does not pass modulus 11; it is valid all the same
    assert check_cpr("2509479989") == []
    [issue] = check_cpr("2509479989", modulus11=True)
    assert issue.rule_id == "dk.cpr.modulus11"
    assert issue.severity is Severity.INFORMATION
    assert cpr.passes_modulus11("0101650006")
    assert check_cpr("0101650006", modulus11=True) == []
    assert not cpr.passes_modulus11("2509479989")
    assert not cpr.passes_modulus11("25094799")


def test_kind_of():
    assert cpr.kind_of("2509479989") == "cpr"
    assert cpr.kind_of("3102801234") == "cpr"  # form only
    assert cpr.kind_of("0703921VJ4") == "x-ecpr"
    assert cpr.kind_of("0703921VJ5") == "x-ecpr"
    assert cpr.kind_of("1206550VK9") == "d-ecpr"
    assert cpr.kind_of("0703922VJ4") is None
    assert cpr.kind_of("0703921vj4") is None
    assert cpr.kind_of("250947-9989") is None
    assert cpr.kind_of("") is None


def test_medcom_replacement_numbers():
    assert check_x_ecpr("0703921VJ4") == []
    assert check_x_ecpr("0703921VJ5") == []
    assert check_d_ecpr("1206550VK9") == []
    assert check_ecpr("0703921VJ4") == check_ecpr("1206550VK9") == []
    assert ecpr.date_part("0703921VJ4") == (7, 3, 92)
    assert check_identifier("urn:oid:1.2.208.176.1.6.1.3.177", "1206550VK9") == []


def test_replacement_number_kind_must_match_the_system():
    [issue] = check_x_ecpr("1206550VK9")
    assert issue.rule_id == "dk.ecpr.format"
    assert "D-eCPR" in issue.message
    [issue] = check_identifier("urn:oid:1.2.208.176.1.6.1.3.187", "0703921VJ4")
    assert issue.rule_id == "dk.ecpr.format"
    assert rule_ids(check_identifier("urn:oid:1.2.208.176.1.6.1.1", "2509479989")) == ["dk.ecpr.format"]


@pytest.mark.parametrize("value", ["0703921vj4", "0703922VJ4", "0703921VJ", "0703921V44", "070392-1VJ4", ""])
def test_replacement_number_format(value):
    assert rule_ids(check_ecpr(value)) == ["dk.ecpr.format"]


def test_replacement_number_dates():
    assert rule_ids(check_ecpr("3102921VJ4")) == ["dk.ecpr.invalid-date"]
    assert rule_ids(check_ecpr("0013921VJ4")) == ["dk.ecpr.invalid-date"]
    assert rule_ids(check_ecpr("0003921VJ4")) == ["dk.ecpr.invalid-date"]
    # 29 February: accepted when YY is divisible by 4 (00 included: 2000 was a leap year) ...
    assert check_ecpr("2902921VJ4") == []
    assert check_ecpr("2902000AB1") == []
    # ... never otherwise, whatever the century
    [issue] = check_ecpr("2902931VJ4")
    assert issue.rule_id == "dk.ecpr.invalid-date"
    assert "93" in issue.message


def test_cpr_system_dispatch():
    assert check_identifier("urn:oid:1.2.208.176.1.2", "2509479989") == []
    assert rule_ids(check_identifier("urn:oid:1.2.208.176.1.2", "3102801234")) == ["dk.cpr.invalid-date"]
    assert check_identifier("urn:example:other", "not checked") == []
    assert check_identifier(None, "x") == []
