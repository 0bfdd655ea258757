"""Replacement CPR numbers (erstatnings-CPR): X-eCPR and D-eCPR.

Persons without a CPR number (or whose number is not known) are identified by a replacement
number of the same length: the birth date as DDMMYY, one digit, two capital letters and a digit.

* **X-eCPR**, issued nationally by the SDS eCPR service: 7th character ``1`` or ``7``; identifier
  system ``urn:oid:1.2.208.176.1.6.1.1`` (DK Core ``x-ecpr``).
* **D-eCPR**, made locally (regions, hospitals): 7th character ``0``, ``5`` or ``6``; identifier
  system ``urn:oid:1.2.208.176.1.6.1.3`` or one of the regional sub-systems ``.177`` (Sjælland),
  ``.179`` (Nordjylland), ``.181`` (Midtjylland), ``.183`` (Syddanmark), ``.187`` (Hovedstaden)
  (DK Core ``d-ecpr``).

The date part. DK Core's regular expressions check the day-month part only and accept 29 February
in any year. This module accepts 29 February only when YY is divisible by 4. Reason: the standard
does not say that the 7th character of a replacement number is a century digit, so no century is
derived; but a year whose last two digits are not divisible by 4 is not a leap year in any
century, so 29 February of such a year is not a birth date whatever the century (YY = 00 is
accepted, 2000 being a leap year). Everything DK Core rejects is rejected too.
"""

from __future__ import annotations

import re
from typing import Literal

from ._dates import day_month_problem
from ._problem import Problem, shown

__all__ = [
    "D_ECPR_REGIONAL_SYSTEMS",
    "D_ECPR_SYSTEM",
    "D_ECPR_SYSTEMS",
    "ECPR_LENGTH",
    "X_ECPR_SYSTEM",
    "EcprKind",
    "date_part",
    "is_valid",
    "kind_of",
    "problems",
]

X_ECPR_SYSTEM = "urn:oid:1.2.208.176.1.6.1.1"
D_ECPR_SYSTEM = "urn:oid:1.2.208.176.1.6.1.3"
#: The regional D-eCPR identifier systems and the region each belongs to.
D_ECPR_REGIONAL_SYSTEMS: dict[str, str] = {
    D_ECPR_SYSTEM + ".177": "Region Sjælland",
    D_ECPR_SYSTEM + ".179": "Region Nordjylland",
    D_ECPR_SYSTEM + ".181": "Region Midtjylland",
    D_ECPR_SYSTEM + ".183": "Region Syddanmark",
    D_ECPR_SYSTEM + ".187": "Region Hovedstaden",
}
#: Every identifier system a D-eCPR may be given under.
D_ECPR_SYSTEMS: frozenset[str] = frozenset({D_ECPR_SYSTEM, *D_ECPR_REGIONAL_SYSTEMS})
ECPR_LENGTH = 10

EcprKind = Literal["x-ecpr", "d-ecpr"]

#: The 7th character of each kind.
KIND_DIGITS: dict[EcprKind, str] = {"x-ecpr": "17", "d-ecpr": "056"}

_SHAPE = re.compile(r"[0-9]{6}([0-9])[A-Z]{2}[0-9]")
_NAMES: dict[EcprKind, str] = {"x-ecpr": "X-eCPR", "d-ecpr": "D-eCPR"}


def kind_of(value: str) -> EcprKind | None:
    """``"x-ecpr"`` or ``"d-ecpr"`` when ``value`` has that form (date part not judged), else None.

    >>> kind_of("0703921VJ4"), kind_of("1206550VK9"), kind_of("1206552VK9")
    ('x-ecpr', 'd-ecpr', None)
    """
    match = _SHAPE.fullmatch(value)
    if match is None:
        return None
    digit = match.group(1)
    if digit in KIND_DIGITS["x-ecpr"]:
        return "x-ecpr"
    if digit in KIND_DIGITS["d-ecpr"]:
        return "d-ecpr"
    return None


def date_part(value: str) -> tuple[int, int, int] | None:
    """``(day, month, yy)`` of a replacement number of valid form and date, else None.

    The century is not derived (see the module notes), so this is not a full birth date.

    >>> date_part("0703921VJ4")
    (7, 3, 92)
    """
    if kind_of(value) is None or _date_problem(value) is not None:
        return None
    return int(value[0:2]), int(value[2:4]), int(value[4:6])


def problems(value: str, kind: EcprKind | None = None) -> list[Problem]:
    """What is wrong with ``value`` as a replacement number (empty when it is a valid one).

    ``kind`` asks for one kind (e.g. because the identifier system is the X-eCPR one); None accepts
    either. Codes: ``format`` and ``invalid-date``.
    """
    name = _NAMES[kind] if kind else "eCPR"
    found_kind = kind_of(value)
    if found_kind is None:
        return [Problem("format", _format_message(value, name, kind))]
    if kind is not None and found_kind != kind:
        return [
            Problem(
                "format",
                f"{name} {shown(value)} has {value[6]!r} as its 7th character, which marks "
                f"{_article(_NAMES[found_kind])} {_NAMES[found_kind]}; {_article(name)} {name} has "
                f"{_either(KIND_DIGITS[kind])} there",
            )
        ]
    why = _date_problem(value)
    if why is not None:
        return [Problem("invalid-date", f"{_NAMES[found_kind]} {value}: {why}")]
    return []


def is_valid(value: str, kind: EcprKind | None = None) -> bool:
    """True when ``value`` is a valid replacement number (of ``kind``, when given)."""
    return not problems(value, kind)


def _date_problem(value: str) -> str | None:
    dd, mm, yy = int(value[0:2]), int(value[2:4]), int(value[4:6])
    why = day_month_problem(dd, mm, None)
    if why is None and dd == 29 and mm == 2 and yy % 4 != 0:
        why = f"29 February is not a date in a year ending in {yy:02d}, which is never a leap year"
    return why


def _either(chars: str) -> str:
    return ", ".join(chars[:-1]) + " or " + chars[-1]


def _article(name: str) -> str:
    return "an" if name[0] in "XE" else "a"


def _format_message(value: str, name: str, kind: EcprKind | None) -> str:
    digits = _either(KIND_DIGITS[kind] if kind else "01567")
    expected = f"6 digits (DDMMYY), then {digits}, two capital letters A-Z and a digit"
    if value == "":
        return f"the {name} is empty; expected {expected}"
    if value != value.strip():
        return f"{name} {shown(value)} has white space before or after it"
    if len(value) != ECPR_LENGTH:
        return f"{name} {shown(value)} has {len(value)} characters, not {ECPR_LENGTH}; expected {expected}"
    if value.isdigit() and value.isascii():
        return (
            f"{name} {shown(value)} is 10 digits, the form of a CPR number (identifier system "
            "urn:oid:1.2.208.176.1.2), not of a replacement number"
        )
    if re.fullmatch(r"[0-9]{7}[a-zA-Z]{2}[0-9]", value):
        if not value[7:9].isupper():
            return f"{name} {shown(value)} has lower-case letters; positions 8-9 are capital letters A-Z"
        return f"{name} {shown(value)} has {value[6]!r} as its 7th character; expected {digits}"
    return f"{name} {shown(value)} does not have the form {expected}"
