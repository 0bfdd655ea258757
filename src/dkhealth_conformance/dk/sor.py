"""SOR codes: identifiers of the Sundhedsvæsenets Organisationsregister (SOR).

Digits only and at least 11 of them (DK Core invariant ``min-digits-sor``: ``^([0-9]){11,}$``);
identifier system ``urn:oid:1.2.208.176.1.1``. DK Core sets no upper bound; MedCom OIOXML letters
carry SOR codes of up to 18 digits (``Identifier`` with ``IdentifierCode`` ``sorkode``), so a pack
for them passes ``max_digits=SOR_MAX_DIGITS``.
"""

from __future__ import annotations

from ._problem import DIGITS, Problem, describe_chars, is_digits, shown

__all__ = ["SOR_MAX_DIGITS", "SOR_MIN_DIGITS", "SOR_SYSTEM", "is_valid", "problems"]

SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
#: DK Core ``min-digits-sor``.
SOR_MIN_DIGITS = 11
#: The longest SOR code a MedCom OIOXML letter carries.
SOR_MAX_DIGITS = 18


def problems(value: str, *, max_digits: int | None = None) -> list[Problem]:
    """What is wrong with ``value`` as a SOR code (code ``format``); ``max_digits`` adds an upper bound.

    >>> problems("265161000016000")
    []
    >>> problems("1234567890")[0].message
    "SOR code '1234567890' has 10 digits; a SOR code has at least 11"
    """
    if value == "":
        message = f"the SOR code is empty; a SOR code has at least {SOR_MIN_DIGITS} digits"
    elif value != value.strip():
        message = f"SOR code {shown(value)} has white space before or after the digits"
    elif not is_digits(value):
        message = f"SOR code {shown(value)} has characters other than digits: {describe_chars(value, DIGITS)}"
    elif len(value) < SOR_MIN_DIGITS:
        message = f"SOR code {shown(value)} has {len(value)} digits; a SOR code has at least {SOR_MIN_DIGITS}"
    elif max_digits is not None and len(value) > max_digits:
        message = f"SOR code {shown(value)} has {len(value)} digits; at most {max_digits} are allowed here"
    else:
        return []
    return [Problem("format", message)]


def is_valid(value: str, *, max_digits: int | None = None) -> bool:
    """True when ``value`` is a SOR code of at least 11 digits (and at most ``max_digits``)."""
    return is_digits(value) and SOR_MIN_DIGITS <= len(value) <= (max_digits or len(value))
