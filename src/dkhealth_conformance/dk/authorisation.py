"""Danish authorisation ids (autorisations-ID) of health professionals, from Autorisationsregistret.

Exactly 5 characters, each a digit or a consonant letter a-z / A-Z without the vowels a, e, i, o
and u (y is allowed, æ, ø and å are not): DK Core's ``AuthorizationIdentifier``,
``^([b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z0-9]){5}$``, identifier system ``https://autregweb.sst.dk``.
"""

from __future__ import annotations

import re
import string

from ._problem import Problem, describe_chars, shown

__all__ = ["AUTHORISATION_ALPHABET", "AUTHORISATION_LENGTH", "AUTHORISATION_SYSTEM", "is_valid", "problems"]

AUTHORISATION_SYSTEM = "https://autregweb.sst.dk"
AUTHORISATION_LENGTH = 5
#: The characters an authorisation id is made of.
AUTHORISATION_ALPHABET = "".join(
    ch for ch in string.digits + string.ascii_uppercase + string.ascii_lowercase if ch not in "AEIOUaeiou"
)
_PATTERN = re.compile(r"[b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z0-9]{5}")


def problems(value: str) -> list[Problem]:
    """What is wrong with ``value`` as an authorisation id (code ``format``).

    >>> problems("0C5Y1")
    []
    >>> problems("0A5Y1")[0].message
    "authorisation id '0A5Y1' has characters that are not digits or consonants: 'A' (vowels are never used)"
    """
    if _PATTERN.fullmatch(value):
        return []
    if value == "":
        message = "the authorisation id is empty; it is 5 digits or consonants"
    elif value != value.strip():
        message = f"authorisation id {shown(value)} has white space before or after it"
    elif any(ch not in AUTHORISATION_ALPHABET for ch in value):
        bad = describe_chars(value, AUTHORISATION_ALPHABET)
        vowels = any(ch in "AEIOUaeiou" for ch in value)
        message = (
            f"authorisation id {shown(value)} has characters that are not digits or consonants: {bad}"
            + (" (vowels are never used)" if vowels else "")
        )
    else:
        message = f"authorisation id {shown(value)} has {len(value)} characters, not {AUTHORISATION_LENGTH}"
    return [Problem("format", message)]


def is_valid(value: str) -> bool:
    """True when ``value`` is 5 digits or consonants."""
    return not problems(value)
