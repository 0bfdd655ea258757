"""The model-driven strategies: valid documents are valid, mutants break exactly one thing."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from dkhealth_conformance.data import profiles_dir
from dkhealth_conformance.strategies import oioxml as public
from dkhealth_conformance.xmlmodel import strategies as S
from dkhealth_conformance.xmlmodel.loader import load_all
from dkhealth_conformance.xmlmodel.model import Schema
from dkhealth_conformance.xmlmodel.xsd import compiled

EXAMPLES = int(os.environ.get("DKHEALTH_STRATEGY_EXAMPLES", 30))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MODELS = load_all(profiles_dir() / "oioxml")
CASES = [(schema.key, letter) for schema in MODELS.values() for letter in schema.letters]
_DECLARATION = re.compile(rb'^<\?xml version="1\.0" encoding="([^"]+)"\?>')


def _model(key: str) -> Schema:
    return next(s for s in MODELS.values() if s.key == key)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _leaves(element: etree._Element, path: str = "") -> list[tuple[str, str]]:
    here = f"{path}/{_local(element)}"
    out = [(here, element.text or "")]
    for index, child in enumerate(element):
        out.extend(_leaves(child, f"{here}[{index}]"))
    return out


def _differences(a: etree._Element, b: etree._Element, path: str = "") -> list[str]:
    """Where two trees differ: the path of every element whose own text or list of child names
    differs (not descending below it)."""
    here = f"{path}/{_local(a)}"
    if [_local(c) for c in a] != [_local(c) for c in b] or len(a) != len(b):
        return [here]
    found = [] if (a.text or "") == (b.text or "") else [here + "#text"]
    for index, (x, y) in enumerate(zip(a, b, strict=True)):
        found.extend(_differences(x, y, f"{here}[{index}]"))
    return found


@pytest.mark.parametrize(("key", "letter"), CASES)
def test_documents_are_valid_and_carry_the_letter_codes(key: str, letter: str) -> None:
    schema = _model(key)
    model = schema.letters[letter]
    xsd = compiled(schema)

    @SETTINGS
    @given(S.documents(schema, letter))
    def check(document: bytes) -> None:
        declared = _DECLARATION.match(document)
        assert declared, document[:80]
        encoding = declared.group(1).decode("ascii")
        assert encoding in S.ENCODINGS
        document.decode("utf-8" if encoding == "UTF-8" else "cp1252")  # the bytes are in that encoding
        root = etree.fromstring(document)
        assert xsd.validate(etree.ElementTree(root)), xsd.error_log
        assert etree.QName(root).namespace == schema.namespace
        letters = [child for child in root if _local(child) == letter]
        assert letters
        identifiers = []
        sent = root.find("{*}Envelope/{*}Sent")
        sent_at = (sent.findtext("{*}Date"), sent.findtext("{*}Time"))
        for element in letters:
            header = element.find("{*}Letter")
            assert header.findtext("{*}VersionCode") == model.version_code
            if header.find("{*}TypeCode") is not None:
                assert header.findtext("{*}TypeCode") == model.type_code
            if header.find("{*}StatisticalCode") is not None:
                assert header.findtext("{*}StatisticalCode") == model.type_code
            if header.find("{*}StatusCode") is not None and model.status_codes:
                assert header.findtext("{*}StatusCode") in model.status_codes
            authorisation = header.find("{*}Authorisation")
            if authorisation is not None:
                time = authorisation.findtext("{*}Time") or authorisation.findtext("{*}TimeWithSec")
                authorised = (authorisation.findtext("{*}Date"), time[:5])
                assert authorised <= (sent_at[0], sent_at[1][:5])
            identifiers.append(header.findtext("{*}Identifier"))
        assert len(set(identifiers)) == len(identifiers)

    check()


@pytest.mark.parametrize(("key", "letter"), CASES)
def test_mutants_differ_from_their_valid_document_in_one_place(key: str, letter: str) -> None:
    schema = _model(key)
    xsd = compiled(schema)

    @SETTINGS
    @given(S.mutation_cases(schema, letter))
    def check(case: S.MutationCase) -> None:
        assert case.mutant.rule_id == S.OPERATORS[case.operator].rule_id
        original = etree.fromstring(case.original)
        mutant = etree.fromstring(case.mutant.document)
        assert xsd.validate(etree.ElementTree(original)), xsd.error_log
        if case.structural:
            assert not xsd.validate(etree.ElementTree(mutant)), case.mutant.description
        differences = _differences(original, mutant)
        assert differences, case.mutant.description
        # every change sits in one element (a Date/Time pair counts as one: its parent)
        parents = {d.rsplit("/", 1)[0] if d.endswith("#text") else d for d in differences}
        if len(parents) > 1:
            parents = {p.rsplit("/", 1)[0] for p in parents}
        assert len(parents) == 1, (case.operator, differences)

    check()


def test_every_operator_has_a_rule_id_and_the_structural_ones_are_marked() -> None:
    assert set(S.STRUCTURAL_OPERATORS) == {"missing-element", "unexpected-element", "order", "enumeration",
                                           "length", "pattern", "impossible-date"}
    for operator in S.OPERATORS.values():
        assert re.fullmatch(r"(oioxml|dk)\.[a-z0-9.-]+", operator.rule_id)


@pytest.mark.parametrize(("pattern", "value", "matches"), [
    ("(([0-1][0-9])|(2[0-3])):[0-5][0-9]", "23:59", True),
    ("(([0-1][0-9])|(2[0-3])):[0-5][0-9]", "24:00", False),
    ("\\d{3}", "123", True),
    ("a$b", "a$b", True),
    ("^x", "^x", True),
    ("[^a]", "b", True),
    (".", "\n", False),
    ("\\p{Lu}\\d", "Ø1", True),
])
def test_xsd_patterns_translate_to_python(pattern: str, value: str, matches: bool) -> None:
    assert bool(re.fullmatch(S.python_regex(pattern), value)) is matches


def test_unsupported_pattern_constructs_are_refused() -> None:
    with pytest.raises(ValueError):
        S.python_regex("[a-z-[aeiou]]")


@SETTINGS
@given(st.data())
def test_public_strategies_filter_by_type_and_version(data: st.DataObject) -> None:
    schema = next(iter(MODELS.values()))
    letter = next(iter(schema.letters.values()))
    document = data.draw(public.letters(letter.type_code, letter.version_code))
    root = etree.fromstring(document)
    assert etree.QName(root).namespace == schema.namespace
    assert root.find(f"{{*}}{letter.element}/{{*}}Letter/{{*}}VersionCode").text == letter.version_code
    mutant = data.draw(public.invalid_letters(letter.type_code, letter.version_code))
    assert isinstance(mutant, S.Mutant) and mutant.rule_id in {op.rule_id for op in S.OPERATORS.values()}


def test_public_strategies_refuse_unknown_letters() -> None:
    with pytest.raises(ValueError, match="no OIOXML letter"):
        public.letters("XNOPE99")
