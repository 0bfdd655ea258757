"""GLN (Global Location Number), in Danish healthcare the EAN *lokationsnummer*.

Exactly 13 digits; the 13th is the GS1 modulus-10 check digit over the first 12: weights 1, 3,
1, 3, ... from the left, check digit = (10 - sum mod 10) mod 10 (DK Core invariants
``gln-length`` and ``gln-modulus-10``). MedCom OIOXML letters carry it in ``EANIdentifier`` and in
``Identifier`` when ``IdentifierCode`` is ``lokationsnummer``; FHIR messages under the system
``https://www.gs1.org/gln`` (DK Core up to 3.4.0, what MedCom messages use) or
``http://www.gs1.org/gln`` (DK Core 3.5.0 and later).
"""

from __future__ import annotations

from ._problem import DIGITS, Problem, describe_chars, is_digits, shown

__all__ = ["GLN_LENGTH", "GLN_SYSTEM", "GLN_SYSTEMS", "check_digit", "is_valid", "problems"]

GLN_LENGTH = 13
#: The GLN identifier system MedCom messages use (DK Core up to 3.4.0).
GLN_SYSTEM = "https://www.gs1.org/gln"
#: Both spellings DK Core has used (``http`` from DK Core 3.5.0 on).
GLN_SYSTEMS: frozenset[str] = frozenset({GLN_SYSTEM, "http://www.gs1.org/gln"})


def check_digit(first12: str) -> int:
    """The GS1 check digit of 12 digits.

    >>> check_digit("579000020935")
    4
    """
    if len(first12) != GLN_LENGTH - 1 or not is_digits(first12):
        raise ValueError(f"a GLN check digit is computed from 12 digits, not {first12!r}")
    raw = first12.encode("ascii")  # digit d is the byte 48 + d
    total = sum(raw[0::2]) + 3 * sum(raw[1::2]) - 24 * 48
    return (10 - total % 10) % 10


def problems(value: str) -> list[Problem]:
    """What is wrong with ``value`` as a GLN: codes ``format`` and ``check-digit``.

    >>> problems("5790000209354")
    []
    >>> [p.code for p in problems("5790000209355")]
    ['check-digit']
    """
    if len(value) != GLN_LENGTH or not is_digits(value):
        if value == "":
            message = "the GLN is empty; a GLN is 13 digits"
        elif value != value.strip():
            message = f"GLN {shown(value)} has white space before or after the digits"
        elif not is_digits(value):
            message = f"GLN {shown(value)} has characters other than digits: {describe_chars(value, DIGITS)}"
        else:
            message = f"GLN {shown(value)} has {len(value)} digits, not {GLN_LENGTH}"
        return [Problem("format", message)]
    expected = check_digit(value[:12])
    if int(value[12]) != expected:
        return [
            Problem(
                "check-digit",
                f"GLN {value} has check digit {value[12]}, but the GS1 check digit of "
                f"{value[:12]} is {expected} (a mistyped digit or two swapped digits?)",
            )
        ]
    return []


def is_valid(value: str) -> bool:
    """True when ``value`` is 13 digits with a correct GS1 check digit."""
    return len(value) == GLN_LENGTH and is_digits(value) and int(value[12]) == check_digit(value[:12])
