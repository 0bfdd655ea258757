"""LPR3 episode-of-care identifiers (Landspatientregisteret, version 3).

``urn:uuid:`` followed by a name-based UUID of version 5, written in lower case as FHIR's ``uuid``
type requires (MedCom Core ``LPR3Identifier``; identifier system
``https://www.esundhed.dk/Registre/Landspatientregisteret``). Episodes of care that are not LPR3
ones carry a locally defined UUID under the sender's SOR endpoint as system instead; only the
LPR3 system demands version 5.
"""

from __future__ import annotations

import re

from ._problem import Problem, shown

__all__ = ["LPR3_SYSTEM", "UUID_PREFIX", "is_valid", "problems", "uuid_version"]

LPR3_SYSTEM = "https://www.esundhed.dk/Registre/Landspatientregisteret"
UUID_PREFIX = "urn:uuid:"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def uuid_version(value: str) -> int | None:
    """The version digit of a ``urn:uuid:`` value of the right form, else None."""
    if not value.startswith(UUID_PREFIX) or not _UUID.fullmatch(value[len(UUID_PREFIX) :]):
        return None
    return int(value[len(UUID_PREFIX) + 14], 16)


def problems(value: str) -> list[Problem]:
    """What is wrong with ``value`` as an LPR3 identifier: codes ``format`` and ``uuid-version``.

    >>> problems("urn:uuid:9c3a3a0e-79f4-5f6a-9d47-4a8a5b9d2e11")
    []
    >>> [p.code for p in problems("urn:uuid:9c3a3a0e-79f4-4f6a-9d47-4a8a5b9d2e11")]
    ['uuid-version']
    """
    version = uuid_version(value)
    if version is None:
        rest = value[len(UUID_PREFIX) :] if value.startswith(UUID_PREFIX) else value
        if not value.startswith(UUID_PREFIX):
            hint = f"it does not start with {UUID_PREFIX!r}"
        elif _UUID.fullmatch(rest.lower()):
            hint = "the UUID has capital letters; FHIR's uuid type is lower case"
        else:
            hint = "what follows is not a UUID (8-4-4-4-12 hexadecimal digits)"
        return [Problem("format", f"LPR3 identifier {shown(value, 60)} is not urn:uuid: + a UUID: {hint}")]
    if version != 5:
        return [
            Problem(
                "uuid-version",
                f"LPR3 identifier {value} is a version {version} UUID; LPR3 identifiers are "
                "version 5 (name-based) UUIDs",
            )
        ]
    return []


def is_valid(value: str) -> bool:
    """True when ``value`` is ``urn:uuid:`` + a lower-case version-5 UUID."""
    return not problems(value)
