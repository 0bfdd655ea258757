"""`dkconform generate` and :func:`dkhealth_conformance.generate.generate`: counts, manifest,
determinism across processes, invalid messages that trigger their rule, usage errors."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dkhealth_conformance import validate
from dkhealth_conformance.cli import main
from dkhealth_conformance.generate import (
    MANIFEST,
    GenerationError,
    NoGenerator,
    generate,
    generator_standards,
    manifest,
    manifest_bytes,
    resolve,
)
from dkhealth_conformance.xmlmodel.strategies import OPERATORS

XDIS91 = "medcom.oioxml.XDIS91"


def _dkconform() -> str:
    beside = Path(sys.executable).parent / "dkconform"
    found = str(beside) if beside.is_file() else shutil.which("dkconform")
    assert found, "the dkconform console script is not installed"
    return found


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ------------------------------------------------------------------------------------ library


def test_an_id_without_version_means_its_current_version() -> None:
    assert resolve(XDIS91).ref == "medcom.oioxml.XDIS91@XD9134L"
    assert resolve("medcom.oioxml.XDIS91@XD9133L").ref == "medcom.oioxml.XDIS91@XD9133L"


def test_every_generator_standard_is_a_letter_of_the_oioxml_pack() -> None:
    refs = {s.ref for s in generator_standards()}
    assert "medcom.oioxml.XBIN01@XB0131X" in refs and "medcom.oioxml.XCTL03@XC0330Q" in refs
    assert not any(ref.startswith(("medcom.vans.", "medcom.oioxml.Emessage")) for ref in refs)


def test_valid_messages_are_distinct_named_and_validate_clean() -> None:
    messages = generate(XDIS91, 12, seed=11)
    assert [m.name for m in messages] == [f"medcom.oioxml.XDIS91-XD9134L-{n:04d}.xml" for n in range(1, 13)]
    assert len({m.document for m in messages}) == 12
    for message in messages:
        assert message.valid and message.rule_id is None
        report = validate(message.document)
        assert report.valid, (message.name, report.rule_ids())
        assert report.standard_ref == "medcom.oioxml.XDIS91@XD9134L"


def test_the_same_seed_gives_the_same_messages_and_another_seed_others() -> None:
    first = generate("medcom.oioxml.XREQ01", 5, seed=3)
    again = generate("medcom.oioxml.XREQ01", 5, seed=3)
    other = generate("medcom.oioxml.XREQ01", 5, seed=4)
    assert [m.document for m in first] == [m.document for m in again]
    assert [m.document for m in first] != [m.document for m in other]


def test_invalid_messages_trigger_the_rule_their_manifest_names() -> None:
    messages = generate("medcom.oioxml.XRPT01@XR0131K", 20, seed=5, invalid=True)
    for message in messages:
        assert not message.valid
        assert message.operator in OPERATORS and message.rule_id == OPERATORS[message.operator].rule_id
        assert message.description
        report = validate(message.document)
        assert message.rule_id in report.rule_ids(), (message.description, report.rule_ids())


def test_operators_limit_the_mutations() -> None:
    messages = generate(XDIS91, 6, seed=1, invalid=True, operators=["cpr-date", "gln-check-digit"])
    assert {m.operator for m in messages} <= {"cpr-date", "gln-check-digit"}
    for message in messages:
        assert message.rule_id in validate(message.document).rule_ids()


def test_usage_errors() -> None:
    with pytest.raises(NoGenerator, match=r"no generator; standards with a generator: .*XDIS91@XD9134L"):
        generate("medcom.vans.envelope", 1, seed=0)
    with pytest.raises(GenerationError, match="unknown standard"):
        generate("medcom.oioxml.NOPE", 1, seed=0)
    with pytest.raises(GenerationError, match="unknown mutation operator"):
        generate(XDIS91, 1, seed=0, invalid=True, operators=["no-such-operator"])
    with pytest.raises(GenerationError, match="--invalid"):
        generate(XDIS91, 1, seed=0, operators=["cpr-date"])


# ---------------------------------------------------------------------------------------- CLI


def test_cli_writes_the_messages_and_a_manifest(tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder"
    result = CliRunner().invoke(main, ["generate", XDIS91, "--count", "4", "--seed", "9", "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = _files(out)
    assert sorted(files) == [MANIFEST] + [f"medcom.oioxml.XDIS91-XD9134L-{n:04d}.xml" for n in range(1, 5)]
    data = json.loads(files[MANIFEST])
    assert data["tool"] == "dkhealth-conformance" and data["tool_version"]
    assert (data["standard"], data["version"], data["seed"], data["count"], data["invalid"]) == (
        XDIS91, "XD9134L", 9, 4, False)
    assert [f["name"] for f in data["files"]] == sorted(n for n in files if n != MANIFEST)
    for entry in data["files"]:
        assert entry["sha256"] == hashlib.sha256(files[entry["name"]]).hexdigest()
        assert entry["valid"] is True and "rule_id" not in entry


def test_cli_invalid_manifest_names_the_rule_each_mutant_triggers(tmp_path: Path) -> None:
    args = ["generate", "medcom.oioxml.XDIS16", "-n", "8", "--seed", "2", "--invalid", "--out", str(tmp_path),
            "--operator", "missing-element", "--operator", "authorisation-after-sent"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    assert data["invalid"] is True and data["operators"] == ["missing-element", "authorisation-after-sent"]
    for entry in data["files"]:
        assert entry["valid"] is False and entry["operator"] in data["operators"] and entry["description"]
        report = validate(tmp_path / entry["name"])
        assert entry["rule_id"] in report.rule_ids(), (entry, report.rule_ids())


def test_cli_unknown_or_generatorless_standard_exits_2(tmp_path: Path) -> None:
    for standard in ("medcom.oioxml.NOPE", "medcom.vans.envelope"):
        result = CliRunner().invoke(main, ["generate", standard, "--out", str(tmp_path / "x")])
        assert result.exit_code == 2
        assert "medcom.oioxml.XDIS91@XD9134L" in result.output  # the standards that have generators
        assert not (tmp_path / "x").exists()


def test_cli_overwrites_only_with_force(tmp_path: Path) -> None:
    args = ["generate", XDIS91, "-n", "2", "--seed", "1", "--out", str(tmp_path)]
    assert CliRunner().invoke(main, args).exit_code == 0
    (tmp_path / MANIFEST).write_text("edited", encoding="utf-8")
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2 and "--force" in refused.output
    assert (tmp_path / MANIFEST).read_text(encoding="utf-8") == "edited"
    forced = CliRunner().invoke(main, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))["count"] == 2


def test_same_seed_gives_byte_identical_output_across_processes(tmp_path: Path) -> None:
    outputs = []
    for hash_seed in ("1", "4242"):
        out = tmp_path / f"run-{hash_seed}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        command = [_dkconform(), "generate", "medcom.oioxml.XBIN01", "--count", "15", "--seed", "77", "--invalid",
                   "--out", str(out)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs.append(_files(out))
    first, second = outputs
    assert len(first) == 16
    assert first == second
    # and the library in this process (other modules loaded, under pytest) gives the same bytes
    messages = generate("medcom.oioxml.XBIN01", 15, seed=77, invalid=True)
    assert {m.name: m.document for m in messages} == {k: v for k, v in first.items() if k != MANIFEST}
    data = manifest(messages, resolve("medcom.oioxml.XBIN01"), 77, True)
    assert manifest_bytes(data) == first[MANIFEST]
