"""How structure findings of the generated schema read: a required element left out is reported on
its parent, by name; an element where it does not belong is reported on itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from dkhealth_conformance import Options, validate
from dkhealth_conformance.data import examples_dir

LETTER = (examples_dir() / "medcom-oioxml" / "xdis91-XD9134L-clinicalemail.xml").read_bytes()


def found(data: bytes) -> list[tuple[str, str, int | None, str]]:
    return [(i.rule_id, i.location.path, i.location.line, i.message) for i in validate(data).issues]


def test_a_required_element_left_out_is_named_on_its_parent() -> None:
    data = LETTER.replace(b"<PersonSurnameName>Elmer</PersonSurnameName>", b"")
    assert found(data) == [("oioxml.structure.missing-element", "/Emessage/ClinicalEmail/Patient", 9,
                            "PersonSurnameName is required here, before PersonGivenName, but missing")]


def test_an_element_out_of_place_is_reported_on_itself() -> None:
    data = LETTER.replace(b"<PersonSurnameName>Elmer</PersonSurnameName><PersonGivenName>Bruno Test</PersonGivenName>",
                          b"<PersonSurnameName>Elmer</PersonSurnameName><Nickname>B</Nickname>"
                          b"<PersonGivenName>Bruno Test</PersonGivenName>")
    [(rule, path, line, message)] = found(data)
    assert (rule, path, line) == ("oioxml.structure.unexpected-element", "/Emessage/ClinicalEmail/Patient/Nickname", 9)
    assert message.startswith("This element is not expected.")


def test_a_letter_in_a_foreign_namespace_says_so() -> None:
    data = LETTER.replace(b"<ClinicalEmail>", b'<ClinicalEmail xmlns="urn:other">')
    [(rule, path, _line, message)] = found(data)
    assert (rule, path) == ("oioxml.structure.unexpected-element", "/Emessage/ClinicalEmail")
    assert message.endswith("(ClinicalEmail is in 'urn:other', not in the Emessage's namespace)")


def test_a_missing_element_is_kept_beside_a_business_rule_on_the_same_parent() -> None:
    receipt = (examples_dir() / "medcom-oioxml" / "invalid-xctl01-refuse-missing.xml").read_bytes()
    start = receipt.index(b"<OriginalEnvelopeIdentifier>")
    end = receipt.index(b"</OriginalEnvelopeIdentifier>") + len(b"</OriginalEnvelopeIdentifier>")
    rules = {(rule, path) for rule, path, _, _ in found(receipt[:start] + receipt[end:])}
    assert rules == {("oioxml.receipt.refuse-missing", "/Emessage/NegativeVansReceipt/OriginalEmessage"),
                     ("oioxml.structure.missing-element", "/Emessage/NegativeVansReceipt/OriginalEmessage")}


def test_the_official_schema_layer_does_not_claim_an_element_is_required() -> None:
    official = Path(__file__).resolve().parents[3] / "shared" / "oracle" / "medcom-oioxml-xsd"
    if not official.is_dir():
        pytest.skip("the official schemas are not beside the repository")
    data = LETTER.replace(b"<StatusCode>nytbrev</StatusCode>", b"<StatusCode>nytbrev</StatusCode><Foo/>")
    issues = [i for i in validate(data, options=Options(schema_dir=str(official))).issues
              if i.rule_id == "oioxml.official-schema"]
    assert [i.location.path for i in issues] == ["/Emessage/ClinicalEmail/Letter/Foo"]
    assert "required" not in issues[0].message


def test_a_prefix_bound_to_two_namespaces_still_gives_a_path_of_local_names() -> None:
    ns = LETTER.split(b'xmlns="', 1)[1].split(b'"', 1)[0]
    data = LETTER.replace(b'<Emessage xmlns="', b'<Emessage xmlns:p="' + ns + b'" xmlns="', 1)
    data = data.replace(b"<Patient>", b'<q:Patient xmlns:q="' + ns + b'" xmlns:p="urn:other">')
    data = data.replace(b"</Patient>", b"</q:Patient>")
    data = data.replace(b"<CivilRegistrationNumber>2509479989</CivilRegistrationNumber>",
                        b"<p:CivilRegistrationNumber>2509479989</p:CivilRegistrationNumber>")
    [(rule, path, _line, message)] = found(data)
    assert (rule, path) == ("oioxml.structure.unexpected-element",
                            "/Emessage/ClinicalEmail/Patient/CivilRegistrationNumber")
    assert message.endswith("(CivilRegistrationNumber is in 'urn:other', not in the Emessage's namespace)")
