"""CPR numbers (personnummer), the civil registration number of the Danish Central Person Register.

A CPR number is 10 digits: the birth date as DDMMYY, then a 4-digit serial whose first digit
(the 7th digit of the number) together with YY gives the century (:func:`century_year`). The date
must be a real calendar date in that century, so 29 February needs a leap year (2000 was one, 1900
was not). DK Core's regular expression (invariant ``cpr``) checks only the day-month part and
lets 29 February through in any year; the CPR office's rules are stricter and are what this
module checks.

The modulus-11 check (weights 4,3,2,7,6,5,4,3,2,1) is *not* a validity rule: the CPR office has
issued numbers without it since 1 October 2007 and asks every system to accept them. It is offered
as an opt-in check (:func:`passes_modulus11`, ``problems(value, modulus11=True)``).

Replacement numbers (X-eCPR, D-eCPR) are in :mod:`dkhealth_conformance.dk.ecpr`;
:func:`kind_of` tells the three apart.
"""

from __future__ import annotations

import datetime as _dt
from typing import Literal

from . import ecpr as _ecpr
from ._dates import century_year, day_month_problem
from ._problem import DIGITS, Problem, describe_chars, is_digits, shown

__all__ = [
    "CPR_LENGTH",
    "CPR_SYSTEM",
    "MODULUS11_WEIGHTS",
    "IdentifierKind",
    "birth_date",
    "century_year",
    "is_valid",
    "kind_of",
    "modulus11_sum",
    "passes_modulus11",
    "problems",
]

#: FHIR identifier system (and CDA/OID root ``1.2.208.176.1.2``) of CPR numbers.
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
CPR_LENGTH = 10
#: Weights of the (optional) modulus-11 check, digit 1 to digit 10.
MODULUS11_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)

IdentifierKind = Literal["cpr", "x-ecpr", "d-ecpr"]


def kind_of(value: str) -> IdentifierKind | None:
    """Which kind of person identifier ``value`` is shaped like, judged by its form only.

    ``"cpr"`` for 10 digits, ``"x-ecpr"`` for DDMMYY + 1 or 7 + two capital letters + a digit,
    ``"d-ecpr"`` for DDMMYY + 0, 5 or 6 + two capital letters + a digit, None otherwise. The date
    part is not judged here (a CPR number with an impossible date is still ``"cpr"``), so that a
    checker can say what is wrong with it.

    >>> kind_of("2509479989"), kind_of("0703921VJ4"), kind_of("1206550VK9"), kind_of("25094799")
    ('cpr', 'x-ecpr', 'd-ecpr', None)
    """
    if len(value) == CPR_LENGTH and is_digits(value):
        return "cpr"
    return _ecpr.kind_of(value)


def birth_date(value: str) -> _dt.date | None:
    """The birth date a CPR number encodes, or None when ``value`` is not a valid CPR number.

    >>> birth_date("2509479989")
    datetime.date(1947, 9, 25)
    >>> birth_date("2902001234") is None   # century digit 1: 1900, not a leap year
    True
    >>> birth_date("2902004234")           # century digit 4: 2000, a leap year
    datetime.date(2000, 2, 29)
    """
    if len(value) != CPR_LENGTH or not is_digits(value):
        return None
    year = century_year(int(value[4:6]), int(value[6]))
    try:
        return _dt.date(year, int(value[2:4]), int(value[0:2]))
    except ValueError:
        return None


def modulus11_sum(value: str) -> int:
    """The weighted digit sum of the modulus-11 check (a 10-digit value is expected)."""
    return sum(w * int(d) for w, d in zip(MODULUS11_WEIGHTS, value, strict=True))


def passes_modulus11(value: str) -> bool:
    """True when ``value`` is 10 digits whose weighted sum is divisible by 11.

    Not a validity rule (numbers without it are issued since 2007); an opt-in check only.

    >>> passes_modulus11("0101650006"), passes_modulus11("2509479989")
    (True, False)
    """
    return len(value) == CPR_LENGTH and is_digits(value) and modulus11_sum(value) % 11 == 0


def problems(value: str, *, modulus11: bool = False) -> list[Problem]:
    """What is wrong with ``value`` as a CPR number (empty when it is a valid one).

    Codes: ``format`` (not 10 digits), ``invalid-date`` (the date part is not a real date in the
    century the 7th digit gives) and, only when ``modulus11`` is true, ``modulus11``.
    """
    fmt = _format_problem(value)
    if fmt is not None:
        return [Problem("format", fmt)]
    found: list[Problem] = []
    dd, mm, yy, digit = int(value[0:2]), int(value[2:4]), int(value[4:6]), int(value[6])
    year = century_year(yy, digit)
    why = day_month_problem(dd, mm, year)
    if why is not None:
        if "leap year" in why:
            why += f" (year {yy:02d} with century digit {digit} is {year})"
        elif "month" not in why:
            why += f" (born {year} by the century digit {digit})"
        found.append(Problem("invalid-date", f"CPR {value}: {why}"))
    if modulus11 and not passes_modulus11(value):
        remainder = modulus11_sum(value) % 11
        found.append(
            Problem(
                "modulus11",
                f"CPR {value} does not pass the modulus-11 check (weighted sum "
                f"{modulus11_sum(value)}, remainder {remainder}); numbers issued since "
                "1 October 2007 need not pass it",
            )
        )
    return found


def is_valid(value: str, *, modulus11: bool = False) -> bool:
    """True when ``value`` is a valid CPR number (and passes modulus 11, when asked)."""
    return not problems(value, modulus11=modulus11)


def _format_problem(value: str) -> str | None:
    if len(value) == CPR_LENGTH and is_digits(value):
        return None
    if value == "":
        return "the CPR number is empty"
    if value != value.strip():
        return f"CPR {shown(value)} has white space before or after the digits"
    if len(value) == 11 and value[6] == "-" and is_digits(value[:6] + value[7:]):
        return (
            f"CPR {shown(value)} is written with a hyphen; a message carries the 10 digits without it "
            f"({value[:6]}{value[7:]})"
        )
    kind = _ecpr.kind_of(value)
    if kind is not None:
        return (
            f"CPR {shown(value)} is not 10 digits: it has the form of a{'n' if kind == 'x-ecpr' else ''} "
            f"{kind.upper().replace('ECPR', 'eCPR')} replacement number, whose identifier system is "
            f"{_ecpr.X_ECPR_SYSTEM if kind == 'x-ecpr' else _ecpr.D_ECPR_SYSTEM}"
        )
    if not is_digits(value):
        return f"CPR {shown(value)} has characters other than digits: {describe_chars(value, DIGITS)}"
    return f"CPR {shown(value)} has {len(value)} digits, not {CPR_LENGTH}"
