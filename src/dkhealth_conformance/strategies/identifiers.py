"""Hypothesis strategies for Danish identifiers: valid values and near misses.

Every strategy is built from integers, dates and choices (never by filtering text), so that a
failing example shrinks to a small, readable value: an early date, zeros in the serial, the first
letter of the alphabet. The invalid strategies each break exactly one thing, the thing the rule
id in their docstring reports.
"""

from __future__ import annotations

import calendar
import datetime as dt
import string

from hypothesis import strategies as st

from ..dk import authorisation, cpr, cvr, gln, sor, ydernummer
from ..dk._dates import century_year

__all__ = [
    "authorisation_ids",
    "cpr_birth_dates",
    "cpr_numbers",
    "cpr_numbers_with_invalid_date",
    "cvr_numbers",
    "cvr_numbers_with_bad_modulus11",
    "d_ecpr_numbers",
    "ecpr_numbers_with_invalid_date",
    "glns",
    "glns_with_bad_check_digit",
    "lpr3_identifiers",
    "sor_codes",
    "x_ecpr_numbers",
    "ydernumre",
]

#: The birth-year ranges each 7th digit of a CPR number stands for (the CPR office's table).
CENTURY_RANGES: dict[int, tuple[tuple[int, int], ...]] = {
    **{d: ((1900, 1999),) for d in (0, 1, 2, 3)},
    **{d: ((2000, 2036), (1937, 1999)) for d in (4, 9)},
    **{d: ((2000, 2057), (1858, 1899)) for d in (5, 6, 7, 8)},
}


def _leap_days(lo: int, hi: int) -> st.SearchStrategy[dt.date]:
    years = [y for y in range(lo, hi + 1) if calendar.isleap(y)]
    return st.sampled_from(years).map(lambda y: dt.date(y, 2, 29))


@st.composite
def cpr_birth_dates(
    draw: st.DrawFn, century_digits: tuple[int, ...] = tuple(range(10))
) -> tuple[dt.date, int]:
    """A birth date and a 7th digit that together make a valid CPR date part.

    Every century digit is drawn, each with the whole year range it covers; leap days are drawn
    on purpose about one time in eight.
    """
    digit = draw(st.sampled_from(century_digits))
    lo, hi = draw(st.sampled_from(CENTURY_RANGES[digit]))
    if draw(st.integers(0, 7)) == 7:
        day = draw(_leap_days(lo, hi))
    else:
        day = draw(st.dates(dt.date(lo, 1, 1), dt.date(hi, 12, 31)))
    return day, digit


@st.composite
def _cpr_with_date(
    draw: st.DrawFn, modulus11: bool, century_digits: tuple[int, ...]
) -> tuple[str, dt.date]:
    day, digit = draw(cpr_birth_dates(century_digits))
    serial = draw(st.integers(0, 999))
    head = f"{day:%d%m}{day.year % 100:02d}{digit}"
    if not modulus11:
        return f"{head}{serial:03d}", day
    # choose the last digit so the weighted sum is divisible by 11; a serial that would need
    # a check digit of 10 is moved on to the next one (at most two steps)
    for step in range(11):
        first9 = f"{head}{(serial + step) % 100:02d}"[:9]
        partial = sum(w * int(c) for w, c in zip(cpr.MODULUS11_WEIGHTS, first9, strict=False))
        check = (-partial) % 11
        if check < 10:
            return f"{first9}{check}", day
    raise AssertionError("unreachable: some serial has a check digit below 10")


def cpr_numbers(
    *,
    modulus11: bool = False,
    with_birth_date: bool = False,
    century_digits: tuple[int, ...] = tuple(range(10)),
) -> st.SearchStrategy[str] | st.SearchStrategy[tuple[str, dt.date]]:
    """Valid CPR numbers (every century digit, leap days included).

    ``modulus11=True`` gives only numbers that also pass the modulus-11 check;
    ``with_birth_date=True`` gives ``(number, birth_date)`` pairs; ``century_digits`` limits the
    7th digit.
    """
    pairs = _cpr_with_date(modulus11, tuple(century_digits))
    return pairs if with_birth_date else pairs.map(lambda pair: pair[0])


@st.composite
def cpr_numbers_with_invalid_date(draw: st.DrawFn) -> str:
    """10-digit CPR numbers whose date part is not a date (``dk.cpr.invalid-date``).

    Day 00, a day past the end of its month (29 February of a non-leap year such as 1900 among
    them), month 00 or a month past 12.
    """
    digit = draw(st.integers(0, 9))
    lo, hi = draw(st.sampled_from(CENTURY_RANGES[digit]))
    year = draw(st.integers(lo, hi))
    month = draw(st.integers(1, 12))
    last = calendar.monthrange(year, month)[1]
    kind = draw(st.sampled_from(["past-end", "day-zero", "month-zero", "month-too-big"]))
    if kind == "past-end":
        day = draw(st.integers(last + 1, 99))
    elif kind == "day-zero":
        day = 0
    elif kind == "month-zero":
        day, month = draw(st.integers(1, 31)), 0
    else:
        day, month = draw(st.integers(1, 31)), draw(st.integers(13, 99))
    assert century_year(year % 100, digit) == year
    return f"{day:02d}{month:02d}{year % 100:02d}{digit}{draw(st.integers(0, 999)):03d}"


def _ecpr(digits: str) -> st.SearchStrategy[str]:
    letters = st.sampled_from(string.ascii_uppercase)

    @st.composite
    def build(draw: st.DrawFn) -> str:
        # the date is drawn like a CPR date, so 29 February only falls in leap years
        day, _ = draw(cpr_birth_dates())
        return (
            f"{day:%d%m}{day.year % 100:02d}{draw(st.sampled_from(digits))}"
            f"{draw(letters)}{draw(letters)}{draw(st.integers(0, 9))}"
        )

    return build()


def x_ecpr_numbers() -> st.SearchStrategy[str]:
    """Valid X-eCPR numbers: DDMMYY, 1 or 7, two capital letters, a digit."""
    return _ecpr("17")


def d_ecpr_numbers() -> st.SearchStrategy[str]:
    """Valid D-eCPR numbers: DDMMYY, 0, 5 or 6, two capital letters, a digit."""
    return _ecpr("056")


@st.composite
def ecpr_numbers_with_invalid_date(draw: st.DrawFn) -> str:
    """X-/D-eCPR numbers of the right form whose date part is not a date (``dk.ecpr.invalid-date``)."""
    month = draw(st.integers(1, 12))
    yy = draw(st.integers(0, 99))
    longest = {2: 29 if yy % 4 == 0 else 28}.get(month, calendar.monthrange(2001, month)[1])
    day = draw(st.integers(longest + 1, 99) | st.just(0))
    return (
        f"{day:02d}{month:02d}{yy:02d}{draw(st.sampled_from('01567'))}"
        f"{draw(st.sampled_from(string.ascii_uppercase))}{draw(st.sampled_from(string.ascii_uppercase))}"
        f"{draw(st.integers(0, 9))}"
    )


@st.composite
def glns(draw: st.DrawFn, prefix: str = "") -> str:
    """Valid GLNs: 12 digits (starting with ``prefix``, e.g. ``"57"`` for GS1 Denmark) and the
    GS1 check digit."""
    width = gln.GLN_LENGTH - 1 - len(prefix)
    body = f"{prefix}{draw(st.integers(0, 10**width - 1)):0{width}d}"
    return body + str(gln.check_digit(body))


@st.composite
def glns_with_bad_check_digit(draw: st.DrawFn, prefix: str = "") -> str:
    """13-digit GLNs whose check digit is wrong (``dk.gln.check-digit``)."""
    valid = draw(glns(prefix))
    wrong = (int(valid[-1]) + draw(st.integers(1, 9))) % 10
    return valid[:-1] + str(wrong)


@st.composite
def sor_codes(
    draw: st.DrawFn, min_digits: int = sor.SOR_MIN_DIGITS, max_digits: int = sor.SOR_MAX_DIGITS
) -> str:
    """SOR codes: digits only, no leading zero, ``min_digits`` to ``max_digits`` long."""
    length = draw(st.integers(min_digits, max_digits))
    return str(draw(st.integers(10 ** (length - 1), 10**length - 1)))


def _cvr_check(first7: str) -> int:
    return (-sum(w * int(c) for w, c in zip(cvr.MODULUS11_WEIGHTS, first7, strict=False))) % 11


@st.composite
def cvr_numbers(draw: st.DrawFn) -> str:
    """Valid CVR numbers: 8 digits passing modulus 11 (a first 7 digits needing a check digit of
    10 is moved on to the next number)."""
    start = draw(st.integers(1_000_000, 9_999_999))
    for step in range(11):
        first7 = str(1_000_000 + (start - 1_000_000 + step) % 9_000_000)
        check = _cvr_check(first7)
        if check < 10:
            return first7 + str(check)
    raise AssertionError("unreachable: some number has a check digit below 10")


@st.composite
def cvr_numbers_with_bad_modulus11(draw: st.DrawFn) -> str:
    """8-digit CVR numbers that fail modulus 11 (``dk.cvr.modulus11``): a valid one with its last
    digit (weight 1) changed, which changes the sum by 1 to 9 modulo 11."""
    valid = draw(cvr_numbers())
    return valid[:-1] + str((int(valid[-1]) + draw(st.integers(1, 9))) % 10)


def authorisation_ids() -> st.SearchStrategy[str]:
    """Valid authorisation ids: 5 digits or consonants (either case)."""
    chars = st.sampled_from(authorisation.AUTHORISATION_ALPHABET)
    return st.lists(chars, min_size=5, max_size=5).map("".join)


def ydernumre() -> st.SearchStrategy[str]:
    """Ydernumre: 6 digits, leading zeros kept."""
    return st.integers(0, 10**ydernummer.YDERNUMMER_LENGTH - 1).map(lambda n: f"{n:06d}")


def lpr3_identifiers() -> st.SearchStrategy[str]:
    """LPR3 episode-of-care identifiers: ``urn:uuid:`` + a lower-case version-5 UUID."""
    return st.uuids(version=5).map(lambda u: f"urn:uuid:{u}")
