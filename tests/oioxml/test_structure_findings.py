"""How structure findings of the generated schema read: a required element left out is reported on
its parent, by name; an element where it does not belong is reported on itself."""

from __future__ import annotations

from dkhealth_conformance import validate
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
