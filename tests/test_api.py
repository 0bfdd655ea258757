"""The library API: ``validate``, ``detect`` and the :class:`Report` model."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import dkhealth_conformance
from dkhealth_conformance import Issue, Location, Report, Severity, detect, validate
from dkhealth_conformance.registry import Registry, UnknownStandard

from .conftest import INVALID_NOTE, NOTE_NS, VALID_NOTE, WARNING_NOTE, rule_ids


def test_public_names() -> None:
    for name in ("validate", "detect", "Report", "Issue", "Severity", "Location", "Rule", "RuleSet",
                 "Standard", "Pack", "Options", "Registry", "catalogue", "__version__"):
        assert hasattr(dkhealth_conformance, name), name
    assert validate.__doc__ and detect.__doc__ and Report.__doc__


@pytest.mark.parametrize("kind", ["path", "str-path", "bytes", "bytearray", "str"])
def test_validate_accepts_every_source_kind(kind: str, tmp_path: Path, demo_registry: Registry) -> None:
    path = tmp_path / "invalid.xml"
    path.write_text(INVALID_NOTE, encoding="utf-8")
    source = {
        "path": path, "str-path": str(path), "bytes": INVALID_NOTE.encode(),
        "bytearray": bytearray(INVALID_NOTE.encode()), "str": INVALID_NOTE,
    }[kind]
    report = validate(source, registry=demo_registry)
    assert rule_ids(report) == ["demo.note.missing-to"]
    assert (report.standard, report.version, report.standard_ref) == ("demo.note", "1.0", "demo.note@1.0")
    assert report.digest == hashlib.sha256(INVALID_NOTE.encode()).hexdigest()
    assert report.size == len(INVALID_NOTE.encode())
    assert report.format == "xml"
    assert report.name == (str(path) if "path" in kind else report.name)
    assert not report.valid and report.verdict == "not-conformant"


def test_validate_accepts_a_parsed_dict(demo_registry: Registry) -> None:
    report = validate({"resourceType": "Patient", "name": [{"family": "Sørensen"}]}, registry=demo_registry)
    assert report.format == "fhir-json"
    assert rule_ids(report) == ["payload.unrecognised"]
    assert "FHIR JSON resource of type 'Patient'" in report.issues[0].message
    assert validate([1, 2], registry=demo_registry).format == "json"


def test_report_of_a_valid_payload(demo_registry: Registry) -> None:
    report = validate(VALID_NOTE, name="note.xml", registry=demo_registry)
    assert report.valid and report.issues == [] and report.verdict == "conformant"
    assert report.name == "note.xml"
    assert {"read", "detect", "validate", "total"} <= set(report.timings)
    assert all(v >= 0 for v in report.timings.values())
    assert report.tool_version == dkhealth_conformance.__version__


def test_warnings_and_thresholds(demo_registry: Registry) -> None:
    report = validate(WARNING_NOTE, registry=demo_registry)
    assert rule_ids(report) == ["demo.note.empty-body"]
    assert report.valid and report.passes(Severity.ERROR) and not report.passes(Severity.WARNING)
    assert report.counts() == {"fatal": 0, "error": 0, "warning": 1, "information": 0}


def test_forcing_a_standard(demo_registry: Registry) -> None:
    report = validate("<Note/>", "demo.note@2.0", registry=demo_registry)
    assert report.standard_ref == "demo.note@2.0"
    assert rule_ids(report) == ["demo.note.missing-to"]
    report = validate(VALID_NOTE, "demo.nope", registry=demo_registry)
    assert rule_ids(report) == ["standard.unknown"] and report.fatal
    report = validate('{"a": 1}', "demo.note", registry=demo_registry)
    assert rule_ids(report) == ["standard.not-applicable"]


def test_to_dict_operation_outcome_and_sarif(demo_registry: Registry) -> None:
    report = validate(INVALID_NOTE, registry=demo_registry)
    data = report.to_dict()
    assert data["schema"] == "dkhealth-report/1"
    assert data["issues"][0]["rule"] == "demo.note.missing-to"
    assert data["valid"] is False and data["verdict"] == "not-conformant"
    outcome = report.to_operation_outcome()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "demo.note.missing-to"
    sarif = report.to_sarif()
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"][0]["ruleId"] == "demo.note.missing-to"


def test_issues_are_in_a_deterministic_order() -> None:
    issues = [
        Issue("b.rule", Severity.WARNING, "m", Location("/A/B", 5, 2)),
        Issue("a.rule", Severity.ERROR, "m", Location("/A", None)),
        Issue("c.rule", Severity.ERROR, "m", Location("/A/C", 5, 1)),
        Issue("a.rule", Severity.FATAL, "m", Location("/A/B", 5, 2)),
        Issue("d.rule", Severity.ERROR, "m", Location("/A", 1)),
    ]
    report = Report("x", "0" * 64, 1, "xml", issues=list(reversed(issues)))
    assert [(i.rule_id, i.severity.value) for i in report.issues] == [
        ("d.rule", "error"), ("c.rule", "error"), ("a.rule", "fatal"), ("b.rule", "warning"),
        ("a.rule", "error"),
    ]
    assert Report("x", "", 0, "xml", issues=issues).issues == report.issues
    report.add([Issue("e.rule", Severity.INFORMATION, "m", Location("/A", 2))])
    assert [i.rule_id for i in report.issues][:2] == ["d.rule", "e.rule"]


def test_severity_order() -> None:
    ranked = [s.value for s in sorted(Severity, key=lambda s: s.rank)]
    assert ranked == ["fatal", "error", "warning", "information"]
    assert Severity.FATAL.at_least(Severity.ERROR) and not Severity.WARNING.at_least(Severity.ERROR)


def test_location_text() -> None:
    assert str(Location()) == "(document)"
    assert str(Location("/Emessage/Envelope", 3, 4, container="VANSEnvelope/Message/Data")) == \
        "VANSEnvelope/Message/Data > /Emessage/Envelope"
    assert Location("/A", 1, 2).to_dict() == {"path": "/A", "line": 1, "column": 2}


def test_detect(tmp_path: Path, demo_registry: Registry) -> None:
    standard = detect(VALID_NOTE, registry=demo_registry)
    assert standard is not None and standard.ref == "demo.note@1.0"
    path = tmp_path / "n.xml"
    path.write_text(VALID_NOTE)
    assert detect(path, registry=demo_registry) == standard
    assert detect("<Other/>", registry=demo_registry) is None
    assert detect(b"", registry=demo_registry) is None
    assert detect(b"\x00\x01", registry=demo_registry) is None


def test_detect_through_the_default_registry(demo_installed) -> None:
    assert detect(f'<Note xmlns="{NOTE_NS}"/>').ref == "demo.note@1.0"


def test_registry_lookup(demo_registry: Registry) -> None:
    assert [s.ref for s in demo_registry.find("demo.note")] == ["demo.note@1.0", "demo.note@2.0"]
    assert [s.ref for s in demo_registry.find("demo.note@2.0")] == ["demo.note@2.0"]
    with pytest.raises(UnknownStandard):
        demo_registry.find("demo.note@3")
    names = [p.name for p in demo_registry.packs]
    demo_registry.register(demo_registry.packs[0])  # registering a pack twice is a no-op
    assert [p.name for p in demo_registry.packs] == names
    assert all(isinstance(p, dkhealth_conformance.Pack) for p in demo_registry.packs)


def test_data_folders_from_the_source_tree() -> None:
    from dkhealth_conformance import data

    from .conftest import REPO

    assert data.examples_dir() == REPO / "examples"
    assert data.profiles_dir() == REPO / "profiles"
    assert data.testsuites_dir() == REPO / "testsuites"
    with pytest.raises(ValueError, match="unknown data folder"):
        data.data_dir("secrets")
