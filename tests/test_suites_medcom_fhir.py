"""The MedCom FHIR conformance suites: bundled suites, sender cases on reference and broken payloads,
and the receiver suite against a small receiver written here (correct and misbehaving)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dkhealth_conformance import data
from dkhealth_conformance.suites import (
    CallableAdapter,
    CommandAdapter,
    find_suite,
    payload_map,
    run_receiver,
    run_sender,
)
from dkhealth_conformance.suites.medcom_fhir import fhir_values
from dkhealth_conformance.suites.model import schema_errors

FAMILY = data.testsuites_dir() / "medcom-fhir"
SENDERS = ("medcom-fhir/carecommunication-sender", "medcom-fhir/hospitalnotification-sender")
RECEIVER = "medcom-fhir/carecommunication-receiver"
EXAMPLES = data.examples_dir() / "medcom-fhir"

# A small receiver as MedCom's reliable messaging wants one: validate, remember (Bundle.id,
# MessageHeader.id), acknowledge ok or fatal-error (with an OperationOutcome), resend the same
# acknowledgement for a duplicate. DKHEALTH_TOY_MODE makes it misbehave. It is a file so that the
# callable adapter (path.py:function) and the command adapter run the same code.
RECEIVER_SOURCE = '''
import json, os, sys, uuid
from pathlib import Path

from dkhealth_conformance import validate

EXAMPLES = Path(EXAMPLES_DIR)
ACKED = "e45ccb72-f1a8-4a2a-a7f7-03da4bed0148"   # the message the example acknowledgements answer
STATE = Path(__file__).with_name("seen.json")


def _ack(header_id, code):
    template = {"ok": "acknowledgement-ok.json", "fatal-error": "acknowledgement-fatal-error.json"}[code]
    text = (EXAMPLES / template).read_text(encoding="utf-8")
    bundle = json.loads(text)
    own = [bundle["id"], bundle["entry"][0]["resource"]["id"]]
    for n, old in enumerate(own):
        text = text.replace(old, str(uuid.uuid5(uuid.NAMESPACE_URL, f"{header_id}/{code}/{n}")))
    answered = "WRONG-0000" if os.environ.get("DKHEALTH_TOY_MODE") == "wrong-identifier" else header_id
    return text.replace(ACKED, answered).encode("utf-8")


def receive(data):
    mode = os.environ.get("DKHEALTH_TOY_MODE", "")
    seen = json.loads(STATE.read_text()) if STATE.exists() else {}
    bundle = json.loads(data)
    header = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MessageHeader")
    key = f"{bundle['id']}|{header['id']}"
    if key in seen and mode != "reprocess":
        return {"accepted": True, "processed": False, "answer": seen[key]}
    valid = validate(data).valid or mode == "accept-invalid"
    answer = _ack(header["id"], "ok" if valid else "fatal-error").decode("utf-8")
    if valid:
        seen[key] = answer
        STATE.write_text(json.dumps(seen))
    return {"accepted": valid, "processed": True, "answer": answer}


if __name__ == "__main__":
    result = receive(Path(sys.argv[1]).read_bytes())
    sys.stdout.write(result["answer"])
    sys.exit(0 if result["accepted"] else 1)
'''


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    path = tmp_path / "receiver.py"
    path.write_text(RECEIVER_SOURCE.replace("EXAMPLES_DIR", repr(str(EXAMPLES))), encoding="utf-8")
    return path


def _reasons(result: Any, case_id: str) -> str:
    return "\n".join(next(c for c in result.cases if c.case.id == case_id).reasons)


@pytest.mark.parametrize("path", sorted(FAMILY.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_medcom_fhir_suite_fits_the_schema_and_loads(path: Path) -> None:
    assert schema_errors(yaml.safe_load(path.read_text(encoding="utf-8"))) == []
    suite = find_suite(f"medcom-fhir/{path.stem}")
    assert suite.cases and suite.id.startswith("medcom.")


def test_the_three_suites_are_bundled() -> None:
    assert {p.stem for p in FAMILY.glob("*.yaml")} >= {"carecommunication-sender", "carecommunication-receiver",
                                                      "hospitalnotification-sender"}


@pytest.mark.parametrize("name", SENDERS)
def test_sender_suite_passes_on_the_reference_payloads(name: str) -> None:
    suite = find_suite(name)
    result = run_sender(suite, payload_map(FAMILY / "reference" / name.split("/")[1], suite))
    assert result.passed, [(c.case.id, c.reasons) for c in result.cases]
    assert len(result.cases) == len(suite.cases)


def _broken_folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "payloads"
    shutil.copytree(FAMILY / "reference" / name, folder)
    return folder


def test_a_new_message_given_as_reply_fails_with_the_reasons(tmp_path: Path) -> None:
    folder = _broken_folder(tmp_path, "carecommunication-sender")
    shutil.copy(EXAMPLES / "carecommunication-new-message.json", folder / "S-02-reply.json")
    suite = find_suite(SENDERS[0])
    result = run_sender(suite, payload_map(folder, suite))
    failed = {c.case.id for c in result.cases if c.outcome == "fail"}
    assert failed == {"S-02-reply"}
    reasons = _reasons(result, "S-02-reply")
    assert "names no preceding message, expected MessageHeader/2a79e68e-9142-4874-b3ae-1a625db1e199" in reasons
    assert "the reply's Provenance names the original MessageHeader" in reasons


def test_an_invalid_payload_fails_with_its_rule(tmp_path: Path) -> None:
    folder = _broken_folder(tmp_path, "carecommunication-sender")
    shutil.copy(EXAMPLES / "invalid-carecommunication-attachment-without-title.json", folder / "S-04-attachment.json")
    suite = find_suite(SENDERS[0])
    result = run_sender(suite, payload_map(folder, suite), cases=["S-04-attachment"])
    assert result.outcome == "fail"
    reasons = _reasons(result, "S-04-attachment")
    assert reasons.startswith("not valid: ")
    expected = (EXAMPLES / "invalid-carecommunication-attachment-without-title.json.expected").read_text().split()
    assert any(rule in reasons for rule in expected if rule.count(".") >= 1)


def test_hospitalnotification_wrong_code_table_fails(tmp_path: Path) -> None:
    folder = _broken_folder(tmp_path, "hospitalnotification-sender")
    shutil.copy(EXAMPLES / "hospitalnotification-staa.json", folder / "S-01-stin.json")
    shutil.copy(EXAMPLES / "hospitalnotification-slhj-emergency.json", folder / "S-02-slhj.json")
    suite = find_suite(SENDERS[1])
    result = run_sender(suite, payload_map(folder, suite))
    assert {c.case.id for c in result.cases if c.outcome == "fail"} == {"S-01-stin", "S-02-slhj"}
    assert "is 'EMER', expected 'IMP'" in _reasons(result, "S-01-stin")
    assert "expected MessageHeader/e45ccb72-f1a8-4a2a-a7f7-03da4bed0148 (the given message)" in _reasons(
        result, "S-02-slhj")


def test_fhir_paths() -> None:
    bundle = json.loads((EXAMPLES / "carecommunication-reply-message.json").read_text(encoding="utf-8"))
    prov = "/Bundle.entry.resource.ofType(Provenance)"
    assert fhir_values(bundle, f"{prov}.activity.coding.code") == ["new-message", "reply-message"]
    assert fhir_values(bundle, f"{prov}.last().activity.coding[0].code") == ["reply-message"]
    assert fhir_values(bundle, f"{prov}.where(activity.coding.code='reply-message').entity.where(role='revision')"
                               ".what.reference") == ["MessageHeader/2a79e68e-9142-4874-b3ae-1a625db1e199"]
    assert fhir_values(bundle, "/Patient.id") == []
    with pytest.raises(ValueError):
        fhir_values(bundle, "/Bundle.entry.where(x)")


def test_receiver_suite_passes_against_a_correct_callable_receiver(toy: Path) -> None:
    suite = find_suite(RECEIVER)
    result = run_receiver(suite, CallableAdapter(f"{toy}:receive"), seed="good")
    assert result.passed, [(c.case.id, c.reasons) for c in result.cases]
    duplicate = next(c for c in result.cases if c.case.id == "R-04-duplicate")
    assert duplicate.evidence["steps"][0]["sent"]["sha256"] == duplicate.evidence["steps"][1]["sent"]["sha256"]
    invalid = next(c for c in result.cases if c.case.id == "R-05-invalid-sender")
    assert invalid.evidence["steps"][0]["sent"]["rule"] == "medcom.message.sender-identifiers"
    assert invalid.evidence["steps"][0]["answer"]["code"] == "fatal-error"


def test_receiver_suite_passes_through_a_command(toy: Path) -> None:
    adapter = CommandAdapter(f"{sys.executable} {toy} {{file}}", timeout=60)
    result = run_receiver(find_suite(RECEIVER), adapter, seed="cmd", cases=["R-01-new-message", "R-05-invalid-sender"])
    assert result.passed, [(c.case.id, c.reasons) for c in result.cases]


@pytest.mark.parametrize("mode, case_id, reason", [
    ("accept-invalid", "R-05-invalid-sender", "the receiver accepted the message"),
    ("accept-invalid", "R-05-invalid-sender", "response.code is 'ok', expected transient-error or fatal-error"),
    ("wrong-identifier", "R-01-new-message", "the acknowledgement's response.identifier is 'WRONG-0000'"),
    ("reprocess", "R-04-duplicate", "step 2 (again): the receiver processed the message again"),
])
def test_receiver_suite_fails_against_a_misbehaving_receiver(toy: Path, monkeypatch: pytest.MonkeyPatch, mode: str,
                                                             case_id: str, reason: str) -> None:
    monkeypatch.setenv("DKHEALTH_TOY_MODE", mode)
    result = run_receiver(find_suite(RECEIVER), CallableAdapter(f"{toy}:receive"), seed=mode, cases=[case_id])
    assert result.outcome == "fail"
    assert reason in _reasons(result, case_id)


def test_receiver_messages_are_deterministic_per_seed() -> None:
    suite = find_suite(RECEIVER)
    sent: list[bytes] = []
    adapter = CallableAdapter(lambda data: sent.append(data) or {"accepted": True})
    for seed in ("s1", "s1", "s2"):
        run_receiver(suite, adapter, seed=seed, cases=["R-01-new-message", "R-06-invalid-timezone"])
    assert sent[0:2] == sent[2:4] and sent[0] != sent[4] and sent[1] != sent[5]
