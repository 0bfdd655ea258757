"""CVR numbers: the Danish business register (Det Centrale Virksomhedsregister) number.

Exactly 8 digits (DK Core invariant ``CVR-length``: ``^[0-9]{8}$``) whose weighted sum with
weights 2, 7, 6, 5, 4, 3, 2, 1 is divisible by 11 (``CVR-modulus-11``); identifier system
``http://cvr.dk``.
"""

from __future__ import annotations

from ._problem import DIGITS, Problem, describe_chars, is_digits, shown

__all__ = ["CVR_LENGTH", "CVR_SYSTEM", "MODULUS11_WEIGHTS", "is_valid", "modulus11_sum", "problems"]

CVR_SYSTEM = "http://cvr.dk"
CVR_LENGTH = 8
MODULUS11_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


def modulus11_sum(value: str) -> int:
    """The weighted digit sum of an 8-digit CVR number."""
    return sum(w * int(d) for w, d in zip(MODULUS11_WEIGHTS, value, strict=True))


def problems(value: str) -> list[Problem]:
    """What is wrong with ``value`` as a CVR number: codes ``format`` and ``modulus11``.

    >>> problems("33257872")
    []
    >>> [p.code for p in problems("33257873")]
    ['modulus11']
    """
    if len(value) != CVR_LENGTH or not is_digits(value):
        if value == "":
            message = "the CVR number is empty; a CVR number is 8 digits"
        elif value != value.strip():
            message = f"CVR {shown(value)} has white space before or after the digits"
        elif not is_digits(value):
            message = f"CVR {shown(value)} has characters other than digits: {describe_chars(value, DIGITS)}"
        else:
            message = f"CVR {shown(value)} has {len(value)} digits, not {CVR_LENGTH}"
        return [Problem("format", message)]
    total = modulus11_sum(value)
    if total % 11:
        return [
            Problem(
                "modulus11",
                f"CVR {value} fails the modulus-11 check: weighted sum {total} leaves remainder "
                f"{total % 11} when divided by 11",
            )
        ]
    return []


def is_valid(value: str) -> bool:
    """True when ``value`` is 8 digits passing the modulus-11 check."""
    return not problems(value)
