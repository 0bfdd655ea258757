"""Payload sniffing, declared encodings, undecodable bytes and mojibake."""

from __future__ import annotations

import codecs
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dkhealth_conformance import payload as pl
from dkhealth_conformance import validate
from dkhealth_conformance.payload import Limits, load

from .conftest import NOTE_NS, rule_ids

SNIFFED = [
    (b'{"resourceType": "Patient", "id": "p1"}', pl.FHIR_JSON),
    (b'\xef\xbb\xbf{"resourceType": "Bundle", "type": "message"}', pl.FHIR_JSON),
    (b'<Patient xmlns="http://hl7.org/fhir"><id value="p1"/></Patient>', pl.FHIR_XML),
    (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
     b'<Emessage xmlns="http://rep.oio.dk/medcom.dk/xml/schemas/2007/02/01/"><Envelope/></Emessage>',
     pl.OIOXML),
    (b'<ClinicalDocument xmlns="urn:hl7-org:v3"><realmCode code="DK"/></ClinicalDocument>', pl.CDA),
    (b"MSH|^~\\&|LAB|SOR123|EPJ|SOR456|20240101120000||ORU^R01|1|P|2.5\rPID|1||0101011234^^^CPR\r", pl.HL7V2),
    (b"UNA:+.? 'UNB+UNOC:3+5790000000000:14+5790000000001:14+240101:1200+1'UNZ+1+1'", pl.EDIFACT),
    (b"UNB+UNOC:3+5790000000000:14+5790000000001:14+240101:1200+1'UNZ+1+1'", pl.EDIFACT),
    (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>',
     pl.SOAP),
    (b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body/></env:Envelope>',
     pl.SOAP),
    (b'<VANSEnvelope xmlns="urn:oio:medcom:vans-envelope:1.0.4"><Meta/></VANSEnvelope>', pl.VANS),
    (b'<Note xmlns="urn:demo:note"/>', pl.XML),
    (b'[1, 2, 3]', pl.JSON),
    (b'{"not": "fhir"}', pl.JSON),
    (b"Dear colleague,\nthis is a letter.\n", pl.TEXT),
]


@pytest.mark.parametrize(("data", "expected"), SNIFFED, ids=[e for _, e in SNIFFED])
def test_sniffing(data: bytes, expected: str) -> None:
    payload = load(data)
    assert payload.format == expected
    assert payload.issues == []
    assert validate(data).format == expected


def test_sniffing_records_xml_root_and_namespace() -> None:
    payload = load(b'<VANSEnvelope xmlns="urn:oio:medcom:vans-envelope:1.0.4"/>')
    assert (payload.root, payload.namespace) == ("VANSEnvelope", pl.VANS_NS)
    assert "root element <VANSEnvelope>" in payload.describe()
    assert pl.VANS_NS in payload.describe()


@pytest.mark.parametrize("encoding", ["windows-1252", "ISO-8859-1", "iso-8859-1", "UTF-8"])
def test_declared_encoding_is_honoured(encoding: str) -> None:
    decl = f'<?xml version="1.0" encoding="{encoding}"?>\n'
    text = f'{decl}<Note xmlns="{NOTE_NS}"><To>Søren Ærø Ågård</To></Note>'
    data = text.encode(encoding)
    payload = load(data)
    assert payload.issues == []
    assert payload.encoding == codecs.lookup(encoding).name
    assert payload.xml.getroot()[0].text == "Søren Ærø Ågård"
    assert "Søren Ærø Ågård" in payload.text
    assert payload.data == data  # the original bytes are kept unchanged


def test_windows_1252_specific_characters() -> None:
    data = '<?xml version="1.0" encoding="windows-1252"?><Note>Pris 10 € – “tak”</Note>'.encode("cp1252")
    payload = load(data)
    assert payload.issues == []
    assert payload.xml.getroot().text == "Pris 10 € – “tak”"


def test_utf8_bom_and_utf16_are_decoded() -> None:
    note = f'<Note xmlns="{NOTE_NS}"><To>Åse</To></Note>'
    assert load(codecs.BOM_UTF8 + note.encode()).xml.getroot()[0].text == "Åse"
    utf16 = f'<?xml version="1.0" encoding="UTF-16"?>{note}'.encode("utf-16")
    payload = load(utf16)
    assert payload.issues == []
    assert payload.xml.getroot()[0].text == "Åse"


def test_latin1_bytes_declared_as_utf8_are_undecodable() -> None:
    data = '<?xml version="1.0" encoding="UTF-8"?>\n<Note>\n<To>Søren</To></Note>'.encode("latin-1")
    report = validate(data)
    assert rule_ids(report) == ["payload.undecodable"]
    issue = report.issues[0]
    assert issue.severity.value == "fatal"
    assert issue.location.line == 3
    assert "0xf8" in issue.message and "UTF-8" in issue.message
    assert report.verdict == "unreadable"


def test_undeclared_xml_defaults_to_utf8() -> None:
    report = validate("<Note>Søren</Note>".encode("latin-1"))
    assert rule_ids(report) == ["payload.undecodable"]


def test_unknown_declared_encoding() -> None:
    report = validate(b'<?xml version="1.0" encoding="x-klingon"?><Note/>')
    assert rule_ids(report) == ["payload.undecodable"]
    assert "x-klingon" in report.issues[0].message


def test_mojibake_is_a_warning(demo_registry) -> None:
    text = f'<?xml version="1.0"?>\n<Note xmlns="{NOTE_NS}">\n<To>SÃ¸ren</To><Body>x</Body></Note>'
    report = validate(text.encode("utf-8"), registry=demo_registry)
    assert rule_ids(report) == ["payload.mojibake"]
    issue = report.issues[0]
    assert issue.severity.value == "warning"
    assert issue.location.line == 3
    assert report.valid  # a warning alone does not fail the default threshold
    assert report.standard == "demo.note"


def test_correct_danish_letters_are_not_mojibake() -> None:
    payload = load('<Note>Søren Ærø Ågård, Østergade 1</Note>'.encode())
    assert payload.issues == []


def test_limits_are_configurable() -> None:
    data = b'{"resourceType": "Patient"}'
    assert rule_ids(validate(data, limits=Limits(max_bytes=len(data)))) != ["payload.too-large"]
    too_small = Limits(max_bytes=len(data) - 1)
    assert [i.rule_id for i in load(data, limits=too_small).issues] == ["payload.too-large"]
    nested = b'{"a": {"b": {"c": 1}}}'
    assert load(nested, limits=Limits(max_json_depth=3)).issues == []
    assert [i.rule_id for i in load(nested, limits=Limits(max_json_depth=2)).issues] == ["json.too-deep"]


def test_brackets_inside_json_strings_do_not_count_as_depth() -> None:
    data = ('{"text": "' + "[" * 500 + '"}').encode()
    payload = load(data)
    assert payload.issues == []
    assert payload.format == pl.JSON


@pytest.mark.parametrize(("text", "depth"), [
    ('{"a": [1, {"b": "[[["}]}', 3),
    ('{"a": "\\"[", "b": [[]]}', 3),  # an escaped quote does not end the string
    ('["\\\\", [[]]]', 3),  # an escaped backslash before the closing quote does end it
    ('{"a": "' + "x" * 100_000 + '\\u005b"}', 1),
    ("[]" * 300, 1),
    ("[" * 120 + "]" * 120, 120),
])
def test_json_depth_counts_brackets_outside_strings(text: str, depth: int) -> None:
    assert pl._json_depth(text, 100) == depth
    assert pl._json_depth(text.encode("utf-8"), 100) == depth


def _nesting(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_nesting, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_nesting, value), default=0)
    return 0


_JSON_TEXT = st.text(alphabet=st.sampled_from(['"', "\\", "[", "]", "{", "}", "a", "æ", "\n", "\u2028", "\U0001f600"]))
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_TEXT, inner, max_size=4),
    max_leaves=30)


@settings(max_examples=500, deadline=None)
@given(_JSON_VALUES, st.booleans())
def test_json_depth_is_the_nesting_of_any_document(value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert pl._json_depth(text, 100) == _nesting(value)
    assert pl._json_depth(text.encode("utf-8"), 100) == _nesting(value)  # the bytes as received


def test_a_malformed_document_s_position_is_in_the_location_not_repeated_in_the_message() -> None:
    issue = load(b"<a>\n  <b></a>").issues[0]
    assert (issue.rule_id, issue.location.line, issue.location.column) == ("xml.malformed", 2, 10)
    assert issue.message == "Opening and ending tag mismatch: b line 2 and a"


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "UTF-8"])
def test_c1_control_characters_are_a_warning_naming_the_windows_1252_character(encoding: str) -> None:
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n<Note>\nkl. 12 \u0096 14, § 3</Note>'
    issues = load(text.encode(encoding)).issues
    assert [(i.rule_id, i.severity.value, i.location.line) for i in issues] == [("payload.c1-control", "warning", 3)]
    read_as = "iso8859-1" if encoding == "ISO-8859-1" else "utf-8"
    assert issues[0].message == ("U+0096 is an invisible control character; in windows-1252 its byte is '–': the text "
                                 f"is probably windows-1252 read as {read_as}")


def test_c1_characters_of_utf_8_read_as_latin_1_say_so_and_mojibake_is_reported_once() -> None:
    declared = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    dash = load(declared + "<Note>kl. 12 – 14</Note>".encode()).issues
    assert [i.rule_id for i in dash] == ["payload.c1-control"]
    assert dash[0].message.endswith("the text is probably UTF-8 read as iso8859-1")
    # Å in UTF-8 read as ISO-8859-1 is "Ã" + U+0085: the mojibake warning covers it
    assert [i.rule_id for i in load(declared + "<Note>Århus</Note>".encode()).issues] == ["payload.mojibake"]
    undefined = load(declared + b"<Note>\x81</Note>").issues
    assert [i.rule_id for i in undefined] == ["payload.c1-control"] and "undefined" in undefined[0].message
    for data in ('<?xml version="1.0" encoding="UTF-16"?><Note>12 \u0096 14</Note>'.encode("utf-16"),
                 b'<?xml version="1.0" encoding="ISO-8859-15"?><Note>12 \x96 14</Note>'):
        assert [i.rule_id for i in load(data).issues] == ["payload.c1-control"]


def test_windows_1252_and_latin_1_text_without_c1_characters_is_quiet() -> None:
    for encoding in ("windows-1252", "ISO-8859-1", "UTF-8"):
        text = f'<?xml version="1.0" encoding="{encoding}"?><Note>Århus – § 3 ½</Note>'
        data = text.encode(encoding, errors="ignore")  # ISO-8859-1 has no dash: it is left out there
        assert load(data).issues == [], encoding
