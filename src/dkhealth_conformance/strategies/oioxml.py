"""Hypothesis strategies for MedCom OIOXML letters, from the bundled message models.

>>> from hypothesis import given
>>> from dkhealth_conformance.strategies.oioxml import letters, invalid_letters
>>> @given(letters("XDIS91", "XD9134L"))
... def test_receiver_accepts(document: bytes) -> None: ...
>>> @given(invalid_letters("XDIS91"))
... def test_receiver_rejects(mutant) -> None:
...     document, rule_id, description = mutant

``letters`` draws valid ``Emessage`` documents (bytes, UTF-8 or windows-1252 with an XML
declaration); ``invalid_letters`` draws near misses ``(document, rule_id, description)``, each
breaking one thing that the rule ``rule_id`` reports (see
:data:`dkhealth_conformance.xmlmodel.strategies.OPERATORS`).
"""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import strategies as st

from ..data import profiles_dir
from ..xmlmodel import strategies as _model_strategies
from ..xmlmodel.loader import load_all
from ..xmlmodel.model import Schema
from ..xmlmodel.strategies import OPERATORS, STRUCTURAL_OPERATORS, Mutant

__all__ = ["OPERATORS", "STRUCTURAL_OPERATORS", "Mutant", "invalid_letters", "letters", "models"]


def models() -> dict[str, Schema]:
    """The bundled OIOXML namespace models, by namespace URI."""
    return load_all(profiles_dir() / "oioxml")


def _matching(type_code: str | None, version_code: str | None) -> list[tuple[Schema, str | None]]:
    """(model, letter element) pairs for the letters with ``type_code`` and ``version_code``; with
    neither, every namespace with any of its letters (letter element None)."""
    found: list[tuple[Schema, str | None]] = []
    for schema in models().values():
        if type_code is None and version_code is None:
            found.append((schema, None))
            continue
        for letter in schema.letters.values():
            if type_code not in (None, letter.type_code) or version_code not in (None, letter.version_code):
                continue
            found.append((schema, letter.element))
    if not found:
        raise ValueError(f"no OIOXML letter with type code {type_code!r} and version code {version_code!r} "
                         "in the bundled models")
    return found


def letters(type_code: str | None = None, version_code: str | None = None, *,
            count: tuple[int, int] = (1, 3)) -> st.SearchStrategy[bytes]:
    """Valid Emessage documents carrying ``count`` (min, max) letters of the type ``type_code``
    (e.g. ``"XDIS91"``) and version ``version_code`` (e.g. ``"XD9134L"``); either left out means
    any."""
    return st.one_of([_model_strategies.documents(schema, element, letters=count)
                      for schema, element in _matching(type_code, version_code)])


def invalid_letters(type_code: str | None = None, version_code: str | None = None, *,
                    operators: Iterable[str] | None = None) -> st.SearchStrategy[Mutant]:
    """Near-miss invalid Emessages ``(document, rule_id, description)`` of the letters selected as
    in :func:`letters`; ``operators`` limits the mutations (names in ``OPERATORS``)."""
    chosen = None if operators is None else tuple(operators)
    return st.one_of([_model_strategies.mutants(schema, element, operators=chosen)
                      for schema, element in _matching(type_code, version_code)])
