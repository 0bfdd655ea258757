"""The FHIR R4 base pack as a user runs it: `dkconform check` on FHIR JSON and XML."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from dkhealth_conformance import Options, detect, validate
from dkhealth_conformance.cli import main

PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Bruno Test Elmer</div>'},
    "name": [{"family": "Elmer", "given": ["Bruno"]}],
    "gender": "male",
    "birthDate": "1947-09-25",
}
PATIENT_XML = """<Patient xmlns="http://hl7.org/fhir">
  <id value="p1"/>
  <text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">Bruno Test Elmer</div></text>
  <name><family value="Elmer"/><given value="Bruno"/></name>
  <gender value="{gender}"/>
  <birthDate value="1947-09-25"/>
</Patient>
"""


def run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["check", "--format", "json", *args])
    return result.exit_code, json.loads(result.output)["reports"][0]


def test_valid_json_patient(tmp_path: Path, core_folder: Path) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(PATIENT), encoding="utf-8")
    code, report = run(str(path))
    assert (code, report["standard"], report["version"], report["issues"]) == (0, "hl7.fhir.r4.core", "4.0.1", [])


def test_invalid_json_patient_has_fhirpath_locations_and_lines(tmp_path: Path, core_folder: Path) -> None:
    bad = dict(PATIENT, gender="mand", birthDate="1980-02-30", foo=1)
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(bad, indent=1), encoding="utf-8")
    code, report = run(str(path))
    found = {(i["rule"], i["location"]["path"]) for i in report["issues"]}
    assert code == 1
    assert ("fhir.binding.required", "Patient.gender") in found
    assert ("fhir.primitive.date", "Patient.birthDate") in found
    assert ("fhir.structure.unknown-element", "Patient.foo") in found
    assert all(i["location"]["line"] for i in report["issues"])


def test_xml_gives_the_same_issues_as_json(tmp_path: Path, core_folder: Path) -> None:
    xml = tmp_path / "patient.xml"
    xml.write_text(PATIENT_XML.format(gender="mand"), encoding="utf-8")
    code, report = run(str(xml))
    assert code == 1
    assert report["format"] == "fhir-xml"
    found = [(i["rule"], i["location"]["path"]) for i in report["issues"]]
    assert found == [("fhir.binding.required", "Patient.gender")]
    xml.write_text(PATIENT_XML.format(gender="male"), encoding="utf-8")
    assert run(str(xml))[0] == 0


def test_profile_option_and_not_applicable_profile(tmp_path: Path, core_folder: Path) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(PATIENT), encoding="utf-8")
    code, report = run("--profile", "http://hl7.org/fhir/StructureDefinition/bp", str(path))
    assert code == 1
    assert [i["rule"] for i in report["issues"]] == ["fhir.profile.not-applicable"]
    issues = validate(json.dumps(PATIENT).encode(), options=Options(extra={"profile": ["http://example.org/x"]}))
    assert issues.rule_ids() == ["fhir.profile.unknown"]


def test_ig_option_adds_a_profile(tmp_path: Path, core_folder: Path) -> None:
    profile = {
        "resourceType": "StructureDefinition", "id": "named-patient", "url": "http://example.org/StructureDefinition/named",
        "name": "NamedPatient", "status": "active", "kind": "resource", "abstract": False, "type": "Patient",
        "fhirVersion": "4.0.1", "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
        "differential": {"element": [{"id": "Patient.telecom", "path": "Patient.telecom", "min": 1}]},
    }
    ig = tmp_path / "named.json"
    ig.write_text(json.dumps(profile), encoding="utf-8")
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(PATIENT), encoding="utf-8")
    code, report = run("--ig", str(ig), "--profile", "http://example.org/StructureDefinition/named", str(path))
    assert code == 1
    # like the reference validator, a missing element is reported on its parent, naming the element
    assert [(i["rule"], i["location"]["path"]) for i in report["issues"]] == [("fhir.cardinality.min", "Patient")]
    assert "telecom" in report["issues"][0]["message"]


def test_detect_falls_back_to_the_base_standard(core_folder: Path) -> None:
    standard = detect(json.dumps(PATIENT).encode())
    assert standard is not None and standard.ref == "hl7.fhir.r4.core@4.0.1"


def test_missing_core_package_gives_one_clear_fatal_issue(tmp_path: Path) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(PATIENT), encoding="utf-8")
    env = {"DKHEALTH_FHIR_CACHE": str(tmp_path / "empty-cache"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "dkhealth_conformance", "check", "-f", "json", str(path)],
                            capture_output=True, text=True, env=env, check=False)
    report = json.loads(result.stdout)["reports"][0]
    assert result.returncode == 1
    assert [i["rule"] for i in report["issues"]] == ["fhir.setup.core-missing"]
    assert "dkconform fhir setup" in report["issues"][0]["message"]
