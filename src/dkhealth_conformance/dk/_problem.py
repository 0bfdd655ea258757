"""The result type shared by the identifier modules: a :class:`Problem` found in one value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an identifier value.

    ``code`` is the last part of the rule id that reports it (``format``, ``invalid-date``,
    ``check-digit``, ...); :mod:`dkhealth_conformance.dk.rules` turns it into an
    :class:`~dkhealth_conformance.report.Issue` of the matching rule. ``message`` is a complete
    sentence that names the value and says exactly what is wrong.
    """

    code: str
    message: str


def describe_chars(value: str, allowed: str) -> str:
    """The distinct characters of ``value`` that are not in ``allowed``, quoted, in order of first use."""
    seen: list[str] = []
    for ch in value:
        if ch not in allowed and ch not in seen:
            seen.append(ch)
    return ", ".join(repr(ch) for ch in seen)


DIGITS = "0123456789"


def is_digits(value: str) -> bool:
    """True when ``value`` is non-empty and made of ASCII digits only (``str.isdigit`` accepts more)."""
    return value.isascii() and value.isdigit()


def shown(value: str, limit: int = 40) -> str:
    """``value`` quoted for a message, cut short when it is long."""
    if len(value) > limit:
        value = value[:limit] + "…"
    return repr(value)
