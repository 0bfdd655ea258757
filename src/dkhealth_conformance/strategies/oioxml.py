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
:data:`dkhealth_conformance.xmlmodel.strategies.OPERATORS`); ``receipts_for`` draws the receipts
(XCTL01/02/03) that answer an Emessage, and ``emessages_with_receipts`` multi-letter Emessages
together with such a receipt.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from hypothesis import strategies as st

from ..data import profiles_dir
from ..xmlmodel import strategies as _model_strategies
from ..xmlmodel.loader import load_all
from ..xmlmodel.model import Schema
from ..xmlmodel.strategies import OPERATORS, STRUCTURAL_OPERATORS, Mutant

__all__ = [
    "OPERATORS",
    "STRUCTURAL_OPERATORS",
    "AnsweredEmessage",
    "Mutant",
    "attachments",
    "emessages_with_receipts",
    "invalid_letters",
    "letters",
    "models",
    "receipts_for",
]

#: the receipt letters: negative VANS receipt, negative receipt, positive receipt
RECEIPT_TYPES = ("XCTL01", "XCTL02", "XCTL03")
attachments = _model_strategies.attachments


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


class AnsweredEmessage(NamedTuple):
    """A generated Emessage and a receipt that answers it."""

    emessage: bytes
    receipt: bytes
    receipt_type: str  # XCTL01 (negative VANS receipt), XCTL02 (negative) or XCTL03 (positive)

    @property
    def positive(self) -> bool:
        return self.receipt_type == "XCTL03"


def _receipt_models(type_code: str | None, version_code: str | None) -> list[tuple[Schema, str, str]]:
    """(model, receipt element, type code) of the receipts with ``type_code`` and ``version_code``."""
    if type_code is not None and type_code not in RECEIPT_TYPES:
        raise ValueError(f"{type_code!r} is not a receipt; receipts are {', '.join(RECEIPT_TYPES)}")
    found = [(schema, letter.element, letter.type_code)
             for schema in models().values() for letter in schema.letters.values()
             if letter.receipt and type_code in (None, letter.type_code)
             and version_code in (None, letter.version_code)]
    if not found:
        raise ValueError(f"no OIOXML receipt with type code {type_code!r} and version code {version_code!r} "
                         "in the bundled models")
    return found


def receipts_for(emessage: bytes, type_code: str | None = None,
                 version_code: str | None = None) -> st.SearchStrategy[bytes]:
    """Receipts that answer the Emessage ``emessage`` (bytes; yours or a generated one): positive
    or negative ones (``type_code`` ``XCTL01``, ``XCTL02`` or ``XCTL03``; any when left out), of
    every namespace whose receipt can name the Emessage's letters. Each names the Emessage's
    envelope identifier, its sender and receiver GLN, and every letter by identifier and
    VersionCode; it is sent by the Emessage's receiver to its sender; a negative one gives a
    RefuseCode. Checked against a folder holding the Emessage (``dkconform check --correlate
    DIR``), it raises no ``oioxml.receipt.*`` rule."""
    versions = _version_codes(emessage)
    kinds = [(schema, element) for schema, element, _ in _receipt_models(type_code, version_code)
             if _model_strategies.answers(schema, element, versions)]
    if not kinds:
        raise ValueError(f"no bundled receipt {type_code or ''} can name letters of {', '.join(versions)}")
    return st.one_of([_model_strategies.receipts(schema, element, emessage) for schema, element in kinds])


def _version_codes(emessage: bytes) -> list[str]:
    from lxml import etree

    root = etree.fromstring(emessage, etree.XMLParser(resolve_entities=False, no_network=True))
    return sorted({(node.text or "").strip() for node in root.iterfind("{*}*/{*}Letter/{*}VersionCode")})


def emessages_with_receipts(type_code: str | None = None, version_code: str | None = None, *,
                            count: tuple[int, int] = (2, 3),
                            receipt: str | None = None) -> st.SearchStrategy[AnsweredEmessage]:
    """Emessages carrying ``count`` (min, max; several by default) letters of the type
    ``type_code`` and version ``version_code`` (any letter but a receipt when left out), each with
    a receipt (``receipt``: ``XCTL01``, ``XCTL02``, ``XCTL03`` or any) that answers it as
    :func:`receipts_for` draws it."""
    if type_code in RECEIPT_TYPES:
        raise ValueError("receipts answer letters, not receipts: choose a letter type")
    kinds = _receipt_models(receipt, None)
    documents = [
        _model_strategies.documents(schema, letter.element, letters=count)
        for schema, element in _matching(type_code, version_code)
        for letter in schema.letters.values()
        if not letter.receipt and element in (None, letter.element)
        and any(_model_strategies.answers(s, e, [letter.version_code]) for s, e, _ in kinds)]
    if not documents:
        raise ValueError(f"no bundled receipt {receipt or ''} can answer {type_code} {version_code or ''}")

    @st.composite
    def answered(draw: st.DrawFn) -> AnsweredEmessage:
        emessage = draw(st.one_of(documents))
        versions = _version_codes(emessage)
        usable = [k for k in kinds if _model_strategies.answers(k[0], k[1], versions)]
        schema, element, kind = usable[draw(st.integers(0, len(usable) - 1))]
        return AnsweredEmessage(emessage, draw(_model_strategies.receipts(schema, element, emessage)), kind)

    return answered()
