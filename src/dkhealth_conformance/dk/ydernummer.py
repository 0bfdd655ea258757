"""Ydernumre: the provider numbers of general practitioners and practising specialists.

Identifier system ``urn:oid:1.2.208.176.1.4`` (also the CDA root). The facts are thin: DK Core's
``Ydernummer`` slice sets no format, and MedCom OIOXML letters carry it as a free string
(``Identifier`` with ``IdentifierCode`` ``ydernummer``). Every ydernummer in MedCom's and DK
Core's material is 6 digits, with leading zeros kept (``061654``). So this module is lenient:

* not digits only, or more than 6 digits: code ``format`` (reported as a *warning*, since no
  standard text forbids it, but no such ydernummer is known);
* 1 to 5 digits: code ``length`` (reported as *information*): usually a 6-digit number whose
  leading zeros were lost when it passed through a numeric field.
"""

from __future__ import annotations

from ._problem import DIGITS, Problem, describe_chars, is_digits, shown

__all__ = ["YDERNUMMER_LENGTH", "YDERNUMMER_SYSTEM", "is_valid", "problems"]

YDERNUMMER_SYSTEM = "urn:oid:1.2.208.176.1.4"
#: The length every known ydernummer has.
YDERNUMMER_LENGTH = 6


def problems(value: str) -> list[Problem]:
    """What is unusual about ``value`` as a ydernummer: codes ``format`` and ``length``.

    >>> problems("061654")
    []
    >>> [p.code for p in problems("61654")], [p.code for p in problems("06-1654")]
    (['length'], ['format'])
    """
    if value == "":
        return [Problem("format", "the ydernummer is empty; a ydernummer is 6 digits")]
    if value != value.strip():
        return [Problem("format", f"ydernummer {shown(value)} has white space before or after the digits")]
    if not is_digits(value):
        return [
            Problem(
                "format",
                f"ydernummer {shown(value)} has characters other than digits: "
                f"{describe_chars(value, DIGITS)}",
            )
        ]
    if len(value) > YDERNUMMER_LENGTH:
        return [Problem("format", f"ydernummer {shown(value)} has {len(value)} digits; a ydernummer has 6")]
    if len(value) < YDERNUMMER_LENGTH:
        return [
            Problem(
                "length",
                f"ydernummer {value} has {len(value)} digits; ydernumre are written with 6 "
                f"({value.zfill(YDERNUMMER_LENGTH)}?), leading zeros included",
            )
        ]
    return []


def is_valid(value: str) -> bool:
    """True when ``value`` is exactly 6 digits."""
    return not problems(value)
