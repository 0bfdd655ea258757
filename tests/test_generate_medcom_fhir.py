"""``dkconform generate`` for the MedCom FHIR standards: JSON messages and a manifest, the same bytes
per seed, near misses that report the rule id their manifest names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dkhealth_conformance import validate
from dkhealth_conformance.cli import main
from dkhealth_conformance.generate import GenerationError, generate, generator_standards
from dkhealth_conformance.strategies.medcom_fhir import MEDCOM_OPERATORS

STANDARDS = ("medcom.carecommunication", "medcom.hospitalnotification", "medcom.acknowledgement")


def _run(out: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "dkhealth_conformance", "generate", *args, "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("invalid", [False, True], ids=["valid", "invalid"])
def test_the_same_seed_gives_the_same_bytes_in_two_processes(tmp_path: Path, invalid: bool) -> None:
    args = ["medcom.carecommunication", "--count", "5", "--seed", "1", *(["--invalid"] if invalid else [])]
    _run(tmp_path / "a", *args)
    _run(tmp_path / "b", *args)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first == second
    assert sorted(first) == ["manifest.json", *(f"medcom.carecommunication-5.0.4-000{n}.json" for n in range(1, 6))]
    manifest = json.loads(first["manifest.json"])
    assert manifest["standard"] == "medcom.carecommunication" and manifest["invalid"] is invalid
    assert len({e["sha256"] for e in manifest["files"]}) == 5


def test_another_seed_gives_other_messages() -> None:
    one = [m.document for m in generate("medcom.hospitalnotification", 3, seed=1)]
    two = [m.document for m in generate("medcom.hospitalnotification", 3, seed=2)]
    assert one != two


@pytest.mark.parametrize("standard", STANDARDS)
def test_valid_messages_validate_clean(standard: str) -> None:
    for message in generate(standard, 4, seed=3):
        report = validate(message.document, name=message.name)
        assert report.valid and report.standard == standard, (message.name, report.rule_ids())
        assert json.loads(message.document)["resourceType"] == "Bundle"


@pytest.mark.parametrize("standard", STANDARDS)
def test_invalid_manifests_name_rule_ids_that_validation_reports(tmp_path: Path, standard: str) -> None:
    result = CliRunner().invoke(main, ["generate", standard, "--count", "8", "--seed", "5", "--invalid",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["files"]) == 8
    for entry in manifest["files"]:
        assert entry["valid"] is False and entry["operator"] in MEDCOM_OPERATORS
        assert entry["rule_id"] == MEDCOM_OPERATORS[entry["operator"]][0]
        found = validate(tmp_path / entry["name"]).rule_ids()
        assert entry["rule_id"] in found, (entry, found)


def test_operators_of_the_standard_only() -> None:
    messages = generate("medcom.acknowledgement", 2, seed=0, invalid=True, operators=["ack-identifier"])
    assert {m.rule_id for m in messages} == {"medcom.acknowledgement.response-identifier"}
    with pytest.raises(GenerationError, match="unknown mutation operator"):
        generate("medcom.acknowledgement", 1, seed=0, invalid=True, operators=["hn-class"])


def test_the_fhir_standards_are_a_generator_family() -> None:
    assert {s.id for s in generator_standards("medcom-fhir")} == set(STANDARDS)
    assert not {s.id for s in generator_standards()} & set(STANDARDS)
    assert {s.id for s in generator_standards(None)} >= set(STANDARDS)
