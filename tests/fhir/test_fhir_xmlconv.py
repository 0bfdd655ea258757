from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from dkhealth_conformance.fhir.packages import Definitions
from dkhealth_conformance.fhir.xmlconv import XmlConversionError, XmlToJson, xml_to_json


def _canonical(o: Any) -> Any:
    """Narrative compared as canonical XML (serialisations of the same XHTML differ)."""
    if isinstance(o, dict):
        return {k: etree.tostring(etree.fromstring(v), method="c14n") if k == "div" else _canonical(v)
                for k, v in o.items()}
    if isinstance(o, list):
        return [_canonical(v) for v in o]
    return o


def test_official_examples_round_trip(core_definitions: Definitions, examples_tgz: Path, to_xml: Any) -> None:
    """Every third official R4 example (below 1 MB), written as XML, converts back to its JSON."""
    converter = XmlToJson(core_definitions)
    checked, failures = 0, []
    with tarfile.open(examples_tgz) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.size < 1_000_000
                   and m.name.count("/") == 1 and m.name.endswith(".json")
                   and not m.name.endswith(("package.json", ".index.json"))]
        for member in members[::3]:
            fh = tar.extractfile(member)
            assert fh is not None
            resource = json.loads(fh.read())
            back = converter.convert(to_xml(resource))
            checked += 1
            if _canonical(back) != _canonical(resource):
                failures.append(member.name)
    assert checked > 1700
    assert failures == []


PATIENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<Patient xmlns="http://hl7.org/fhir">
  <id value="p1"/>
  <text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>Hej</p></div></text>
  <extension url="http://example.org/ext"><valueBoolean value="true"/></extension>
  <identifier><system value="urn:oid:1.2.208.176.1.2"/><value value="0101701234"/></identifier>
  <active value="true"/>
  <name>
    <given value="Anna"/>
    <given id="g2"><extension url="http://example.org/x"><valueString value="s"/></extension></given>
    <given value="Clara"/>
  </name>
  <birthDate value="1970-01-01"><extension url="http://example.org/t"><valueTime value="10:00:00"/>
    </extension></birthDate>
  <multipleBirthInteger value="2"/>
  <contained><Organization><id value="o1"/><name value="Klinik"/></Organization></contained>
  <!-- a comment -->
</Patient>"""


def test_patient(core_definitions: Definitions) -> None:
    converter = XmlToJson(core_definitions)
    got = converter.convert(PATIENT)
    assert got == {
        "resourceType": "Patient",
        "id": "p1",
        "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Hej</p></div>'},
        "extension": [{"url": "http://example.org/ext", "valueBoolean": True}],
        "identifier": [{"system": "urn:oid:1.2.208.176.1.2", "value": "0101701234"}],
        "active": True,
        "name": [{"given": ["Anna", None, "Clara"],
                  "_given": [None, {"id": "g2", "extension": [{"url": "http://example.org/x",
                                                                "valueString": "s"}]}, None]}],
        "birthDate": "1970-01-01",
        "_birthDate": {"extension": [{"url": "http://example.org/t", "valueTime": "10:00:00"}]},
        "multipleBirthInteger": 2,
        "contained": [{"resourceType": "Organization", "id": "o1", "name": "Klinik"}],
    }
    assert converter.lines["Patient.name[0].given[1]"] == 10
    assert converter.lines["Patient.contained[0]"] == 16


def test_numbers_keep_their_json_form(core_definitions: Definitions) -> None:
    xml = (b'<Observation xmlns="http://hl7.org/fhir"><status value="final"/><code><text value="x"/></code>'
           b'<valueQuantity><value value="12"/></valueQuantity></Observation>')
    assert xml_to_json(xml, core_definitions)["valueQuantity"] == {"value": 12}
    xml = xml.replace(b'"12"', b'"12.50"')
    assert xml_to_json(xml, core_definitions)["valueQuantity"] == {"value": 12.5}
    from decimal import Decimal

    exact = XmlToJson(core_definitions, decimal=Decimal).convert(xml)
    assert str(exact["valueQuantity"]["value"]) == "12.50"


@pytest.mark.parametrize(("xml", "message"), [
    (b'<Patient xmlns="http://hl7.org/fhir"><nmae><family value="x"/></nmae></Patient>',
     "Patient.nmae: unknown element nmae (line 1)"),
    (b'<Patient xmlns="http://hl7.org/fhir"><active/></Patient>', "<active> has neither a value nor content"),
    (b'<Patient><id value="x"/></Patient>', "<Patient> is not in the FHIR namespace"),
    (b'<Nonsense xmlns="http://hl7.org/fhir"/>', "unknown resource type Nonsense"),
    (b'<Patient xmlns="http://hl7.org/fhir"><active value="true"/><active value="false"/></Patient>',
     "active appears more than once"),
    (b'<Patient xmlns="http://hl7.org/fhir"><contained/></Patient>', "must hold exactly one resource"),
    (b'<Patient xmlns="http://hl7.org/fhir">', "not well-formed XML"),
])
def test_errors(core_definitions: Definitions, xml: bytes, message: str) -> None:
    with pytest.raises(XmlConversionError) as info:
        xml_to_json(xml, core_definitions)
    assert message in str(info.value)


def test_lenient_conversion_records_problems(core_definitions: Definitions) -> None:
    xml = b"""<Patient xmlns="http://hl7.org/fhir">
  <nmae><family value="x"/></nmae>
  <gender value="female"/>
  <gender value="male"/>
  <active/>
  <x:foo xmlns:x="urn:other"/>
  <contained/>
  <name><family value="Hansen"/></name>
</Patient>"""
    converter = XmlToJson(core_definitions, strict=False)
    got = converter.convert(xml)
    # the unknown element stays, for the validator to report it
    assert got == {"resourceType": "Patient", "nmae": {}, "gender": "female", "name": [{"family": "Hansen"}]}
    assert converter.lines["Patient.nmae"] == 2
    assert [(p.kind, p.path, p.line) for p in converter.problems] == [
        ("repeated", "Patient.gender", 4),
        ("empty", "Patient.active", 5),
        ("namespace", "Patient.foo", 6),
        ("resource-count", "Patient.contained[0]", 7),
    ]


def test_entities_are_not_expanded(core_definitions: Definitions) -> None:
    xml = (b'<?xml version="1.0"?><!DOCTYPE Patient [<!ENTITY x "EXPANDED">]>'
           b'<Patient xmlns="http://hl7.org/fhir"><id value="&x;"/></Patient>')
    with pytest.raises(XmlConversionError, match="DTD"):
        xml_to_json(xml, core_definitions)


def test_xml_definition_file(tmp_path: Path, core_folder: Path) -> None:
    sd = b"""<StructureDefinition xmlns="http://hl7.org/fhir">
  <id value="dk-patient"/>
  <url value="http://example.org/fhir/StructureDefinition/dk-patient"/>
  <version value="1.0.0"/>
  <name value="DkPatient"/>
  <status value="draft"/>
  <kind value="resource"/>
  <abstract value="false"/>
  <type value="Patient"/>
  <baseDefinition value="http://hl7.org/fhir/StructureDefinition/Patient"/>
  <derivation value="constraint"/>
  <differential>
    <element id="Patient.gender"><path value="Patient.gender"/><min value="1"/></element>
    <element id="Patient.birthDate"><path value="Patient.birthDate"/><min value="1"/></element>
  </differential>
</StructureDefinition>"""
    (tmp_path / "dk-patient.xml").write_bytes(sd)
    defs = Definitions(cache=core_folder.parent)
    [entry] = defs.add_file(tmp_path / "dk-patient.xml")  # loads the core package for XML
    assert entry.url == "http://example.org/fhir/StructureDefinition/dk-patient"
    resolved = defs.resolve("http://example.org/fhir/StructureDefinition/dk-patient|1.0.0")
    assert [e["id"] for e in resolved["differential"]["element"]] == ["Patient.gender", "Patient.birthDate"]
    snap = defs.snapshot("http://example.org/fhir/StructureDefinition/dk-patient")
    assert next(e for e in snap["snapshot"]["element"] if e["id"] == "Patient.gender")["min"] == 1
