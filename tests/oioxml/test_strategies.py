"""The model-driven strategies: valid documents are valid, mutants break exactly one thing."""

from __future__ import annotations

import base64
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
    carriers = {s.namespace for s in MODELS.values()
                if any((x.type_code, x.version_code) == (letter.type_code, letter.version_code)
                       for x in s.letters.values())}
    assert etree.QName(root).namespace in carriers
    assert root.find(f"{{*}}{letter.element}/{{*}}Letter/{{*}}VersionCode").text == letter.version_code
    mutant = data.draw(public.invalid_letters(letter.type_code, letter.version_code))
    assert isinstance(mutant, S.Mutant) and mutant.rule_id in {op.rule_id for op in S.OPERATORS.values()}


def test_public_strategies_refuse_unknown_letters() -> None:
    with pytest.raises(ValueError, match="no OIOXML letter"):
        public.letters("XNOPE99")


def test_attachments_are_deterministic_files_of_the_size_asked() -> None:
    pdf = S.attachment_bytes("pdf", 150_000, 7)
    assert len(pdf) == 150_000 and pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
    assert pdf == S.attachment_bytes("pdf", 150_000, 7) != S.attachment_bytes("pdf", 150_000, 8)
    assert S.attachment_bytes("png", 40, 1).startswith(b"\x89PNG")
    assert S.attachment_bytes("txt", 300, 1).decode("cp1252").isprintable()
    assert [len(S.attachment_bytes(ext, 3, 0)) for ext in ("pdf", "png", "txt", None)] == [3, 3, 3, 3]


@SETTINGS
@given(S.attachments())
def test_attachments_are_mostly_small(data: bytes) -> None:
    assert 1 <= len(data) <= S.LARGE_ATTACHMENT[1]
    assert len(data) <= S.SMALL_ATTACHMENT or len(data) >= S.LARGE_ATTACHMENT[0]


@SETTINGS
@given(public.letters("XBIN01"))
def test_binary_objects_are_base64_of_their_original_size(document: bytes) -> None:
    root = etree.fromstring(document)
    objects = root.findall("{*}BinaryLetter/{*}BinaryObject")
    assert objects
    for binary in objects:
        encoded = binary.findtext("{*}Object_Base64Encoded")
        data = base64.b64decode("".join(encoded.split()), validate=True)
        assert binary.findtext("{*}OriginalObjectSize") == str(len(data))


@SETTINGS
@given(public.letters(count=(2, 3)))
def test_the_letters_of_one_emessage_share_sender_and_receiver(document: bytes) -> None:
    root = etree.fromstring(document)
    for party in ("Sender", "Receiver"):
        glns = {node.text for node in root.iterfind(f"{{*}}*/{{*}}{party}/{{*}}EANIdentifier")}
        assert len(glns) <= 1, (party, glns)


@SETTINGS
@given(st.data())
def test_receipts_name_every_letter_once(data: st.DataObject) -> None:
    schema = _model("2005-08-07")
    receipt = data.draw(S.documents(schema, data.draw(st.sampled_from(["PositiveReceipt", "NegativeReceipt"]))))
    names = [n.text for n in etree.fromstring(receipt).iterfind(".//{*}OriginalLetterIdentifier")]
    assert len(names) == len(set(names))


def test_repetition_counts_reach_the_declared_maximum_by_copies() -> None:
    """Counts beyond ``DRAWN_REPEATS`` copy the drawn repetitions (deep copies: a mutation of one
    leaves the others alone)."""
    node = S.Node("Result", None, children=[S.Node("Value", None, text="1")])
    copy = S._copy(node)
    copy.children[0].text = "2"  # type: ignore[union-attr]
    assert node.children[0].text == "1"  # type: ignore[union-attr]
    counts: set[int] = set()

    @settings(max_examples=300, database=None)
    @given(st.data())
    def collect(data: st.DataObject) -> None:
        counts.add(S._count(data.draw, 1, 11, 99))

    collect()
    assert {1, 2, 11, 99} <= counts and counts <= set(range(1, 12)) | {99}


def test_receipts_refuse_letters_their_namespace_cannot_name() -> None:
    """A 2004-06-01 receipt lists the VersionCodes it knows; a 2005-08-07 one takes any of 7 characters."""
    newest = next(iter(_model("2012-03-28").letters.values())).version_code
    assert S.answers(_model("2005-08-07"), "PositiveReceipt", [newest])
    older = [s for s in MODELS.values() if s.key == "2004-06-01"]
    if older:
        assert not S.answers(older[0], "PositiveReceipt", [newest])
    with pytest.raises(ValueError, match="not a receipt"):
        S.receipts(_model("2005-08-07"), "ClinicalEmail", b"<Emessage/>")


def test_generation_draws_every_namespace_of_a_standard_version() -> None:
    from dkhealth_conformance.generate import generate

    messages = generate("medcom.oioxml.XRPT01@XR0130K", 24, 3)
    namespaces = {etree.QName(etree.fromstring(m.document)).namespace for m in messages}
    carriers = {s.namespace for s in MODELS.values()
                if any((x.type_code, x.version_code) == ("XRPT01", "XR0130K") for x in s.letters.values())}
    assert namespaces == carriers and len(carriers) >= 2
