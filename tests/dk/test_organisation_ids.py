"""GLN, SOR, CVR, authorisation id, ydernummer and LPR3 identifiers: known answers."""

from __future__ import annotations

import pytest

from dkhealth_conformance.dk import (
    check_authorisation,
    check_cvr,
    check_gln,
    check_identifier,
    check_lpr3,
    check_sor,
    check_ydernummer,
    gln,
    sor,
)
from dkhealth_conformance.report import Severity


def rule_ids(issues):
    return [i.rule_id for i in issues]


@pytest.mark.parametrize("value", ["5790000209354", "5790001348120", "5790001382445", "5790000121526"])
def test_medcom_example_glns(value):
    assert check_gln(value) == []
    assert gln.check_digit(value[:12]) == int(value[12])


def test_gln_check_digit():
    assert gln.check_digit("579000020935") == 4
    assert gln.check_digit("000000000000") == 0
    [issue] = check_gln("5790000209355")
    assert issue.rule_id == "dk.gln.check-digit"
    assert "is 4" in issue.message
    # two neighbouring digits swapped
    assert rule_ids(check_gln("5790000290354")) == ["dk.gln.check-digit"]
    with pytest.raises(ValueError):
        gln.check_digit("57900002093")


@pytest.mark.parametrize("value", ["579000020935", "57900002093544", "5790000 09354", "579000020935X", ""])
def test_gln_format(value):
    assert rule_ids(check_gln(value)) == ["dk.gln.format"]


def test_gln_systems():
    assert check_identifier("https://www.gs1.org/gln", "5790000209354") == []
    assert rule_ids(check_identifier("http://www.gs1.org/gln", "5790000209355")) == ["dk.gln.check-digit"]


def test_sor():
    assert check_sor("265161000016000") == []
    assert check_sor("12345678901") == []
    assert check_sor("1" * 25) == []  # DK Core has no upper bound
    assert rule_ids(check_sor("1" * 19, max_digits=sor.SOR_MAX_DIGITS)) == ["dk.sor.format"]
    assert check_sor("1" * 18, max_digits=sor.SOR_MAX_DIGITS) == []
    assert rule_ids(check_sor("1234567890")) == ["dk.sor.format"]
    assert rule_ids(check_sor("26516100001600A")) == ["dk.sor.format"]
    assert rule_ids(check_sor("")) == ["dk.sor.format"]
    assert rule_ids(check_identifier("urn:oid:1.2.208.176.1.1", "061654")) == ["dk.sor.format"]


def test_cvr():
    assert check_cvr("33257872") == []
    [issue] = check_cvr("33257873")
    assert issue.rule_id == "dk.cvr.modulus11"
    assert "132" not in issue.message and "133" in issue.message
    for value in ["3325787", "332578720", "DK332578", "DK33257872", ""]:
        assert rule_ids(check_cvr(value)) == ["dk.cvr.format"], value
    assert check_identifier("http://cvr.dk", "33257872") == []


@pytest.mark.parametrize("value", ["0C5Y1", "BCDFG", "bcdfg", "12345", "xyzXY"])
def test_authorisation_valid(value):
    assert check_authorisation(value) == []


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("0A5Y1", "vowels"), ("0e5y1", "vowels"), ("0C5Y", "4 characters"), ("0C5Y12", "6 characters"),
     ("0C5Ø1", "'Ø'"), ("0C-Y1", "'-'"), ("", "empty")],
)
def test_authorisation_invalid(value, fragment):
    [issue] = check_authorisation(value)
    assert issue.rule_id == "dk.authorisation.format"
    assert fragment in issue.message


def test_ydernummer():
    assert check_ydernummer("061654") == []
    [issue] = check_ydernummer("61654")
    assert (issue.rule_id, issue.severity) == ("dk.ydernummer.length", Severity.INFORMATION)
    assert "061654" in issue.message
    for value in ["06-1654", "Y06165", "0616540", "", " 061654"]:
        [issue] = check_ydernummer(value)
        assert (issue.rule_id, issue.severity) == ("dk.ydernummer.format", Severity.WARNING), value
    assert check_identifier("urn:oid:1.2.208.176.1.4", "061654") == []


def test_lpr3():
    assert check_lpr3("urn:uuid:9c3a3a0e-79f4-5f6a-9d47-4a8a5b9d2e11") == []
    assert rule_ids(check_lpr3("urn:uuid:9c3a3a0e-79f4-4f6a-9d47-4a8a5b9d2e11")) == ["dk.lpr3.uuid-version"]
    for value in [
        "9c3a3a0e-79f4-5f6a-9d47-4a8a5b9d2e11",
        "urn:uuid:9C3A3A0E-79F4-5F6A-9D47-4A8A5B9D2E11",
        "urn:uuid:9c3a3a0e79f45f6a9d474a8a5b9d2e11",
        "",
    ]:
        assert rule_ids(check_lpr3(value)) == ["dk.lpr3.format"], value
    lpr3_system = "https://www.esundhed.dk/Registre/Landspatientregisteret"
    assert check_identifier(lpr3_system, "urn:uuid:9c3a3a0e-79f4-5f6a-9d47-4a8a5b9d2e11") == []
