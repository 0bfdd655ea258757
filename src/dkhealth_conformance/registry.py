"""Standards and the packs that provide them.

A *pack* covers one family of standards (MedCom OIOXML letters, MedCom FHIR messages, ...). It
lists its :class:`Standard` versions, recognises payloads (``detect``) and validates them
(``validate``). Packs are found through the entry-point group ``dkhealth_conformance.standards``;
each entry point names a :class:`Pack` instance or a zero-argument callable returning one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .payload import Payload
    from .report import Issue
    from .rules import RuleSet

ENTRY_POINT_GROUP = "dkhealth_conformance.standards"


@dataclass(frozen=True)
class Standard:
    """An identified, versioned standard, e.g. ``medcom.oioxml.XDIS91`` version ``XD9134L``."""

    id: str
    version: str
    family: str
    title: str = field(compare=False)
    status: str = field(default="active", compare=False)  # active | retired | draft
    formats: tuple[str, ...] = field(default=(), compare=False)
    data: Any = field(default=None, compare=False, repr=False)  # the pack's own model object

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


@dataclass
class Options:
    """Options that reach a pack's validator. ``extra`` carries pack-specific settings."""

    schema_dir: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Pack(Protocol):
    """What a standard pack provides."""

    name: str
    version: str
    family: str
    rules: RuleSet

    def standards(self) -> list[Standard]: ...

    def detect(self, payload: Payload) -> Standard | None: ...

    def validate(self, payload: Payload, standard: Standard, options: Options) -> list[Issue]: ...


class UnknownStandard(LookupError):
    """``--standard`` names nothing an installed pack provides."""


class Registry:
    """The packs in use, and lookup of standards by id and version."""

    def __init__(self, packs: Iterable[Pack] = ()) -> None:
        self._packs: list[Pack] = []
        self._detection_order: list[Pack] = []
        for pack in packs:
            self.register(pack)

    def register(self, pack: Pack) -> None:
        if any(p.name == pack.name for p in self._packs):
            return
        self._packs.append(pack)
        self._detection_order = sorted(self._packs, key=lambda p: -getattr(p, "priority", 0))

    @property
    def packs(self) -> list[Pack]:
        return list(self._packs)

    def rulesets(self) -> list[RuleSet]:
        return [p.rules for p in self._packs]

    def standards(self) -> list[Standard]:
        found = [s for p in self._packs for s in p.standards()]
        return sorted(found, key=lambda s: (s.family, s.id, s.version))

    def pack_of(self, standard: Standard) -> Pack:
        for pack in self._packs:
            if standard in pack.standards():
                return pack
        raise UnknownStandard(standard.ref)

    def find(self, ref: str) -> list[Standard]:
        """Standards matching ``ID`` or ``ID@VERSION`` (all versions of ``ID`` for the former)."""
        std_id, _, version = ref.partition("@")
        matches = [s for s in self.standards() if s.id == std_id and (not version or s.version == version)]
        if not matches:
            raise UnknownStandard(ref)
        return matches

    def detect(self, payload: Payload) -> Standard | None:
        """The first standard recognised, asking packs by descending ``priority`` (default 0)."""
        found = self.recognise(payload)
        return found[1] if found else None

    def recognise(self, payload: Payload) -> tuple[Pack, Standard] | None:
        """Like :meth:`detect`, with the pack that recognised the payload."""
        for pack in self._detection_order:
            found = pack.detect(payload)
            if found is not None:
                return pack, found
        return None


def _load_entry_points() -> list[Pack]:
    packs: list[Pack] = []
    for entry in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        obj = entry.load()
        pack = obj() if callable(obj) and not isinstance(obj, Pack) else obj
        packs.append(pack)
    return packs


@functools.lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry of every installed pack (loaded once per process)."""
    return Registry(_load_entry_points())
