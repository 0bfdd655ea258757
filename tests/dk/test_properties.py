"""Property tests: every generated valid identifier passes, every near miss fails with its rule id."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from dkhealth_conformance.dk import (
    DK_RULES,
    check_authorisation,
    check_cpr,
    check_cvr,
    check_d_ecpr,
    check_ecpr,
    check_gln,
    check_lpr3,
    check_sor,
    check_x_ecpr,
    check_ydernummer,
    cpr,
    sor,
)
from dkhealth_conformance.rules import catalogue
from dkhealth_conformance.strategies import (
    authorisation_ids,
    cpr_numbers,
    cpr_numbers_with_invalid_date,
    cvr_numbers,
    cvr_numbers_with_bad_modulus11,
    d_ecpr_numbers,
    ecpr_numbers_with_invalid_date,
    glns,
    glns_with_bad_check_digit,
    lpr3_identifiers,
    sor_codes,
    x_ecpr_numbers,
    ydernumre,
)

FAST = settings(max_examples=200, deadline=None)


def rule_ids(issues):
    return [i.rule_id for i in issues]


@FAST
@given(cpr_numbers(with_birth_date=True))
def test_valid_cpr_numbers_pass_and_give_their_birth_date(pair):
    value, born = pair
    assert check_cpr(value) == []
    assert cpr.birth_date(value) == born
    assert cpr.kind_of(value) == "cpr"


@FAST
@given(cpr_numbers(modulus11=True))
def test_modulus11_cpr_numbers_pass_the_opt_in_check(value):
    assert cpr.passes_modulus11(value)
    assert check_cpr(value, modulus11=True) == []


@FAST
@given(cpr_numbers_with_invalid_date())
def test_cpr_numbers_with_invalid_date_fail_on_the_date(value):
    assert rule_ids(check_cpr(value)) == ["dk.cpr.invalid-date"]
    assert cpr.birth_date(value) is None


@FAST
@given(x_ecpr_numbers())
def test_x_ecpr(value):
    assert check_x_ecpr(value) == []
    assert cpr.kind_of(value) == "x-ecpr"
    assert rule_ids(check_d_ecpr(value)) == ["dk.ecpr.format"]
    assert rule_ids(check_cpr(value)) == ["dk.cpr.format"]


@FAST
@given(d_ecpr_numbers())
def test_d_ecpr(value):
    assert check_d_ecpr(value) == []
    assert cpr.kind_of(value) == "d-ecpr"
    assert rule_ids(check_x_ecpr(value)) == ["dk.ecpr.format"]


@FAST
@given(ecpr_numbers_with_invalid_date())
def test_ecpr_with_invalid_date(value):
    assert rule_ids(check_ecpr(value)) == ["dk.ecpr.invalid-date"]


@FAST
@given(glns() | glns(prefix="57"))
def test_valid_glns(value):
    assert check_gln(value) == []


@FAST
@given(glns_with_bad_check_digit())
def test_glns_with_bad_check_digit(value):
    assert rule_ids(check_gln(value)) == ["dk.gln.check-digit"]


@FAST
@given(sor_codes())
def test_sor_codes(value):
    assert check_sor(value) == []
    assert check_sor(value, max_digits=sor.SOR_MAX_DIGITS) == []


@FAST
@given(sor_codes(min_digits=1, max_digits=sor.SOR_MIN_DIGITS - 1))
def test_short_sor_codes(value):
    assert rule_ids(check_sor(value)) == ["dk.sor.format"]


@FAST
@given(cvr_numbers())
def test_valid_cvr(value):
    assert check_cvr(value) == []


@FAST
@given(cvr_numbers_with_bad_modulus11())
def test_cvr_with_bad_modulus11(value):
    assert rule_ids(check_cvr(value)) == ["dk.cvr.modulus11"]


@FAST
@given(authorisation_ids())
def test_authorisation_ids(value):
    assert check_authorisation(value) == []


@FAST
@given(authorisation_ids(), st.integers(0, 4), st.sampled_from("aeiouAEIOU"))
def test_authorisation_ids_with_a_vowel(value, position, vowel):
    broken = value[:position] + vowel + value[position + 1 :]
    assert rule_ids(check_authorisation(broken)) == ["dk.authorisation.format"]


@FAST
@given(ydernumre())
def test_ydernumre(value):
    assert check_ydernummer(value) == []


@FAST
@given(lpr3_identifiers())
def test_lpr3_identifiers(value):
    assert check_lpr3(value) == []


@FAST
@given(st.text(max_size=20))
def test_checkers_are_total(value):
    # any text gives a list of catalogued issues, never an exception
    for check in (check_cpr, check_ecpr, check_gln, check_sor, check_cvr, check_authorisation,
                  check_ydernummer, check_lpr3):
        for issue in check(value):
            assert issue.rule_id in DK_RULES


def test_leap_days_and_every_century_digit_are_generated():
    seen_digits: set[str] = set()
    leap_days: set[dt.date] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(cpr_numbers(with_birth_date=True))
    def collect(pair):
        value, born = pair
        seen_digits.add(value[6])
        if (born.month, born.day) == (2, 29):
            leap_days.add(born)

    collect()
    assert seen_digits == set("0123456789")
    assert leap_days


def test_every_dk_rule_is_in_the_catalogue():
    known = catalogue()
    for rule in DK_RULES:
        assert known[rule.id] is rule
        assert rule.id.startswith("dk.")
        assert rule.title and rule.source and rule.rationale and rule.example
