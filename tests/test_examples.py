"""Every bundled example, checked as a user would (`dkconform check --format json`).

A file with a sidecar ``<file>.expected`` must trigger every rule id listed there; a file without
one must be conformant with no warnings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dkhealth_conformance.cli import main
from dkhealth_conformance.data import examples_dir
from dkhealth_conformance.registry import default_registry

#: standards of the MedCom FHIR pack; until one is registered, examples/medcom-fhir is skipped
MEDCOM_FHIR = ("medcom.carecommunication", "medcom.hospitalnotification", "medcom.acknowledgement")
EXAMPLES = sorted(p for p in examples_dir().rglob("*") if p.suffix in (".xml", ".json") and p.is_file())


def expected_rules(path: Path) -> list[str]:
    sidecar = path.with_name(path.name + ".expected")
    if not sidecar.exists():
        return []
    lines = sidecar.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_examples_exist() -> None:
    names = {p.parent.name for p in EXAMPLES}
    assert {"medcom-oioxml", "vans", "hostile"} <= names
    assert any(not expected_rules(p) for p in EXAMPLES)
    assert any(expected_rules(p) for p in EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example(path: Path) -> None:
    registered = [s.id for s in default_registry().standards()]
    if path.parent.name == "medcom-fhir" and not any(i.startswith(MEDCOM_FHIR) for i in registered):
        pytest.skip("examples/medcom-fhir waits for the MedCom FHIR pack; runs once it registers its standards")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    result = CliRunner().invoke(main, ["check", "--format", "json", str(path)])
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before, "the input must never be modified"
    report = json.loads(result.output)["reports"][0]
    found = {issue["rule"] for issue in report["issues"]}
    expected = expected_rules(path)
    if not expected:
        assert found <= {"vans.payload"}, report["issues"]
        assert result.exit_code == 0
        assert report["standard"] is not None
        return
    missing = set(expected) - found
    assert not missing, f"{path.name}: expected {sorted(missing)} among {sorted(found)}"
    serious = [i for i in report["issues"] if i["severity"] in ("fatal", "error")]
    assert result.exit_code == (1 if serious else 0)
    for issue in report["issues"]:
        if issue["rule"] in expected and issue["rule"].startswith(("oioxml.", "dk.", "vans.")):
            assert issue["location"]["path"], issue
            assert issue["location"]["line"], issue


def test_windows_1252_example_is_really_windows_1252() -> None:
    path = examples_dir() / "medcom-oioxml" / "xdis91-XD9134L-clinicalemail-windows-1252.xml"
    data = path.read_bytes()
    assert b'encoding="windows-1252"' in data
    assert "Åbyhøj".encode("cp1252") in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_warning_example_fails_with_fail_on_warning() -> None:
    path = examples_dir() / "medcom-oioxml" / "warning-xdis91-mojibake.xml"
    assert CliRunner().invoke(main, ["check", "-q", str(path)]).exit_code == 0
    assert CliRunner().invoke(main, ["check", "-q", "--fail-on", "warning", str(path)]).exit_code == 1


OIOXML = examples_dir() / "medcom-oioxml"
#: the letter types of the OIOXML pack, as named in example files (``xdis91-…``, ``invalid-xdis91-…``)
LETTER_TYPES = ("xdis91", "xdis01", "xdis02", "xdis03", "xdis16", "xdis17", "xdis18", "xdis20", "xref01", "xref06",
                "xrpt01", "xreq01", "xctl01", "xctl02", "xctl03", "xbin01")


def _report(path: Path) -> dict:
    result = CliRunner().invoke(main, ["check", "--format", "json", str(path)])
    return json.loads(result.output)["reports"][0]


@pytest.mark.parametrize("path", sorted(OIOXML.glob("x*.xml")), ids=lambda p: p.name)
def test_a_valid_letter_is_detected_as_the_type_and_version_its_name_gives(path: Path) -> None:
    type_code, version_code = path.name.split("-")[:2]
    report = _report(path)
    assert (report["standard"], report["version"]) == (f"medcom.oioxml.{type_code.upper()}", version_code)


@pytest.mark.parametrize("path", sorted(OIOXML.glob("invalid-x*.xml")), ids=lambda p: p.name)
def test_an_invalid_letter_is_detected_as_the_type_its_name_gives(path: Path) -> None:
    assert _report(path)["standard"] == f"medcom.oioxml.{path.name.split('-')[1].upper()}"


def test_every_letter_type_has_valid_and_invalid_examples_in_both_encodings() -> None:
    for kind in ("", "invalid-"):
        examples = [p for p in OIOXML.glob(f"{kind}x*.xml") if bool(kind) == bool(expected_rules(p))]
        assert {p.name.removeprefix(kind).split("-")[0] for p in examples} == set(LETTER_TYPES), kind
        declared = {p.read_bytes().split(b"?>", 1)[0].split(b'encoding="', 1)[1].split(b'"')[0].lower()
                    for p in examples}
        assert {b"utf-8", b"windows-1252"} <= declared, kind
