"""The OIOXML models of namespaces 2007-02-01, 2012-03-28 and 2014-10-08, and XREQ01 in 2006-07-01.

Each model loads and compiles to an XSD; every example letter of these models validates against our
generated schema. When MedCom's official schemas are at hand (``<repo>/../shared/oracle``), the
examples validate against them too, and simple mutations of each example (an element dropped,
repeated, given a wrong, over-long or empty value) get the same verdict from both schemas.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from lxml import etree

from dkhealth_conformance.xmlmodel.loader import load_schema
from dkhealth_conformance.xmlmodel.xsd import compiled

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "profiles" / "oioxml"
EXAMPLES = REPO / "examples" / "medcom-oioxml"
OFFICIAL = REPO.parent / "shared" / "oracle" / "medcom-oioxml-xsd"

#: namespace key -> letter element -> (TypeCode, VersionCode)
LETTERS: dict[str, dict[str, tuple[str, str]]] = {
    "2006-07-01": {"LaboratoryRequest": ("XREQ01", "XQ0131K")},
    "2007-02-01": {
        "ReportOfAdmission": ("XDIS16", "XD1630C"),
        "ReportOfDischarge": ("XDIS18", "XD1830C"),
        "LaboratoryReport": ("XRPT01", "XR0130K"),
        "PrivateSpecialistReferral": ("XREF06", "XH0630R"),
    },
    "2012-03-28": {"BinaryLetter": ("XBIN01", "XB0131X")},
    "2014-10-08": {"LaboratoryReport": ("XRPT01", "XR0131K")},
}
NAMESPACES = {
    "2006-07-01": "http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2006/07/01/",
    "2007-02-01": "http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2007/02/01/",
    "2012-03-28": "http://rep.oio.dk/medcom.dk/xml/schemas/2012/03/28/",
    "2014-10-08": "http://rep.oio.dk/medcom.dk/xml/schemas/2014/10/08/",
}


#: mutations on which the model knowingly differs from the official schema (none at present)
KNOWN_GAPS: set[tuple[str, str]] = set()


def _examples() -> list[tuple[str, Path]]:
    found = []
    for key, letters in LETTERS.items():
        for type_code, version_code in letters.values():
            for variant in ("minimal", "full"):
                found.append((key, EXAMPLES / f"{type_code.lower()}-{version_code}-{variant}.xml"))
    return found


CASES = [(key, path) for key, path in _examples() if path.exists()]
IDS = [path.name for _, path in CASES]


def _ours(key: str) -> etree.XMLSchema:
    return compiled(load_schema(MODELS, key))


_OFFICIAL: dict[str, etree.XMLSchema] = {}


def _official(key: str) -> etree.XMLSchema:
    entry = OFFICIAL.joinpath(*key.split("-"), "EMessage.xsd")
    if not entry.exists():
        pytest.skip(f"MedCom's official schemas are not available ({entry.parent})")
    if key not in _OFFICIAL:
        _OFFICIAL[key] = etree.XMLSchema(etree.parse(str(entry)))
    return _OFFICIAL[key]


@pytest.mark.parametrize("key", sorted(LETTERS))
def test_model_loads_and_compiles(key: str) -> None:
    schema = load_schema(MODELS, key)
    assert schema.namespace == NAMESPACES[key]
    for element, (type_code, version_code) in LETTERS[key].items():
        letter = schema.letters[element]
        assert (letter.type_code, letter.version_code) == (type_code, version_code)
        assert letter.title
    assert isinstance(compiled(schema), etree.XMLSchema)


def test_every_letter_has_a_minimal_and_a_full_example() -> None:
    missing = [path.name for _, path in _examples() if not path.exists()]
    assert not missing


def test_a_third_of_the_examples_are_windows_1252_or_latin_1() -> None:
    declared = {}
    for _, path in CASES:
        head = path.read_bytes()[:100].decode("ascii", "replace")
        match = re.search(r'encoding="([^"]+)"', head)
        assert match, path.name
        declared[path.name] = match.group(1).lower()
    legacy = [name for name, encoding in declared.items() if encoding in ("windows-1252", "iso-8859-1")]
    assert len(legacy) * 3 >= len(declared), declared
    for _, path in CASES:
        text = path.read_bytes().decode(declared[path.name])
        assert any(ch in text for ch in "æøåÆØÅ"), path.name


@pytest.mark.parametrize(("key", "path"), CASES, ids=IDS)
def test_example_is_valid_against_our_schema(key: str, path: Path) -> None:
    doc = etree.parse(str(path))
    schema = _ours(key)
    assert schema.validate(doc), [str(error) for error in schema.error_log]
    assert doc.getroot().tag == f"{{{NAMESPACES[key]}}}Emessage"
    identifiers = doc.getroot().xpath("./*/*[local-name()='Letter']/*[local-name()='Identifier']/text()")
    assert identifiers and len(identifiers) == len(set(identifiers))


@pytest.mark.parametrize(("key", "path"), CASES, ids=IDS)
def test_example_is_valid_against_the_official_schema(key: str, path: Path) -> None:
    official = _official(key)
    doc = etree.parse(str(path))
    assert official.validate(doc), [str(error) for error in official.error_log]


def _mutations(doc: etree._ElementTree):
    """(label, document): per distinct element path, drop / repeat it, and for a text element a
    wrong value, an over-long value and an empty value. The document is mutated in place and
    restored after each step (large letters stay fast)."""
    root = doc.getroot()
    seen: set[str] = set()
    for element in [el for el in root.iter() if isinstance(el.tag, str) and el is not root]:
        shape = re.sub(r"\{[^}]*\}|\[\d+\]", "", doc.getelementpath(element))
        if shape in seen:
            continue
        seen.add(shape)
        parent = element.getparent()
        tail = element.tail
        position = parent.index(element)
        parent.remove(element)
        yield f"drop {shape}", doc
        parent.insert(position, element)
        element.tail = tail
        twin = copy.deepcopy(element)
        element.addnext(twin)
        yield f"repeat {shape}", doc
        parent.remove(twin)
        element.tail = tail
        if len(element):
            continue
        text = element.text
        for kind, value in (("wrong", "ZZ-ugyldig-værdi"), ("long", "1" * 1100), ("empty", "")):
            element.text = value
            yield f"{kind} {shape}", doc
        element.text = text


@pytest.mark.parametrize(("key", "path"), CASES, ids=IDS)
def test_mutations_get_the_same_verdict_from_both_schemas(key: str, path: Path) -> None:
    official = _official(key)
    ours = _ours(key)
    doc = etree.parse(str(path))
    disagreements = []
    rejected = 0
    for label, mutated in _mutations(doc):
        if (key, label) in KNOWN_GAPS:
            continue
        verdict = ours.validate(mutated)
        rejected += not verdict
        if verdict != official.validate(mutated):
            disagreements.append(f"{label}: ours {'accepts' if verdict else 'rejects'}")
    assert not disagreements, disagreements[:20]
    assert rejected, "no mutation was rejected: the check would prove nothing"


@pytest.mark.parametrize("key", sorted(LETTERS))
def test_required_element_and_enumeration_mutations_are_rejected(key: str) -> None:
    """Two hand-picked mutations per letter: the Letter header's TypeCode dropped, and a wrong
    VersionCode; both schemas (ours always, the official one when present) reject them."""
    schemas = [_ours(key)]
    if OFFICIAL.joinpath(*key.split("-"), "EMessage.xsd").exists():
        schemas.append(_official(key))
    for _, path in CASES:
        if _ != key:
            continue
        for mutate in ("drop-type-code", "wrong-version-code"):
            doc = etree.parse(str(path))
            letter = doc.getroot()[1][0]
            if mutate == "drop-type-code":
                letter.remove(letter.find(f"{{{NAMESPACES[key]}}}TypeCode"))
            else:
                letter.find(f"{{{NAMESPACES[key]}}}VersionCode").text = "XD9999Z"
            for schema in schemas:
                assert not schema.validate(doc), (path.name, mutate)


@pytest.mark.parametrize("key", ["2012-03-28", "2014-10-08"])
def test_local_elements_are_refused_where_the_namespace_has_none(key: str) -> None:
    schema = load_schema(MODELS, key)
    assert schema.local_elements is False
    path = next(path for k, path in CASES if k == key)
    doc = etree.parse(str(path))
    doc.getroot().append(etree.Element(f"{{{NAMESPACES[key]}}}Local_Elements"))
    assert not compiled(schema).validate(doc)


def test_laboratory_request_numerical_answer_has_at_most_17_digits() -> None:
    path = EXAMPLES / "xreq01-XQ0131K-full.xml"
    doc = etree.parse(str(path))
    numerical = next(doc.getroot().iter(f"{{{NAMESPACES['2006-07-01']}}}Numerical"))
    numerical.text = "123456789012345678"
    assert not _ours("2006-07-01").validate(doc)
