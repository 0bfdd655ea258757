"""The MedCom FHIR conformance suites: bundled suites, sender cases on reference and broken payloads,
and the receiver suites (CareCommunication, HospitalNotification, Acknowledgement) against a small
receiver written here, conforming and with one flaw at a time, through each adapter kind."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from dkhealth_conformance import data, validate
from dkhealth_conformance.cli import main
from dkhealth_conformance.fhir.packages import CACHE_ENV, cache_dir
from dkhealth_conformance.suites import (
    CallableAdapter,
    CommandAdapter,
    HttpAdapter,
    SuiteError,
    find_suite,
    load_suite,
    payload_map,
    run_receiver,
    run_sender,
)
from dkhealth_conformance.suites.medcom_fhir import fhir_values
from dkhealth_conformance.suites.model import schema_errors

from .conftest import loopback_receiver

pytest_plugins = ["pytester"]
FHIR_CACHE = cache_dir()  # read before pytester moves the home folder

FAMILY = data.testsuites_dir() / "medcom-fhir"
SENDERS = ("medcom-fhir/carecommunication-sender", "medcom-fhir/hospitalnotification-sender")
RECEIVER = "medcom-fhir/carecommunication-receiver"
EXAMPLES = data.examples_dir() / "medcom-fhir"

# A small receiver as MedCom's reliable messaging wants one (reference §3.7), for CareCommunication,
# HospitalNotification and Acknowledgement: it classifies each message with the receiver state
# (packs/medcom_fhir/state.py: Bundle.id and MessageHeader.id against what it has seen), validates
# a new message and acknowledges it ok or fatal-error, answers a duplicate or a resend with the
# acknowledgement the first copy got, rejects a reused Bundle.id, records the messages handed to it
# as its own (file names ending in -outgoing.json) and takes acknowledgements of them without ever
# answering one. DKHEALTH_TOY_MODE gives it one flaw. It is a file so that the callable adapter
# (path.py:function), the command adapter and the HTTP endpoint run the same code.
RECEIVER_SOURCE = '''
import json, os, sys, uuid
from pathlib import Path

from dkhealth_conformance import validate
from dkhealth_conformance.data import examples_dir
from dkhealth_conformance.packs.medcom_fhir.state import MessageState
from dkhealth_conformance.strategies.medcom_fhir import acknowledgement_of

FOLDER = Path(os.environ.get("DKHEALTH_TOY_STATE") or Path(__file__).parent)
ANSWERS = FOLDER / "answers.json"
REFUSED = ("medcom.state.ack-unknown-message", "medcom.state.ack-of-ack", "medcom.state.ack-conflict")


def _template(header_id, code):
    """The bundled example acknowledgement, re-addressed: for a message too broken to quote."""
    text = (examples_dir() / "medcom-fhir" / f"acknowledgement-{code}.json").read_text(encoding="utf-8")
    example = json.loads(text)
    for n, old in enumerate((example["id"], example["entry"][0]["resource"]["id"])):
        text = text.replace(old, str(uuid.uuid5(uuid.NAMESPACE_URL, f"{header_id}/{code}/{n}")))
    return json.loads(text.replace(example["entry"][0]["resource"]["response"]["identifier"], header_id))


def _ack(bundle, code):
    header = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MessageHeader")
    try:
        ack = acknowledgement_of(bundle, code)
    except (KeyError, StopIteration, TypeError):
        ack = None
    if ack is None or not validate(json.dumps(ack).encode()).valid:
        ack = _template(header["id"], code)
    if os.environ.get("DKHEALTH_TOY_MODE") == "wrong-identifier":
        ack["entry"][0]["resource"]["response"]["identifier"] = "WRONG-0000"
    return json.dumps(ack, ensure_ascii=False)


def _history(bundle, header_id):
    return [p["target"][0]["reference"].rsplit("/", 1)[-1] for p in
            (e["resource"] for e in bundle["entry"]) if p["resourceType"] == "Provenance"]


def receive(data, name=""):
    mode = os.environ.get("DKHEALTH_TOY_MODE", "")
    bundle = json.loads(data)
    header = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MessageHeader")
    answers = json.loads(ANSWERS.read_text()) if ANSWERS.exists() else {}
    with MessageState(FOLDER / "state.db") as state:
        if name.endswith("-outgoing.json"):
            state.observe(bundle, name)
            return {"accepted": True, "processed": True}
        if header.get("eventCoding", {}).get("code") == "acknowledgement-message":
            if not validate(data).valid and mode != "accept-invalid":
                return {"accepted": False, "processed": False}
            seen = state.observe(bundle, name)
            if seen.status == "duplicate" and mode != "reprocess":
                return {"accepted": True, "processed": False}
            refused = [i.rule_id for i in seen.issues if i.rule_id in REFUSED]
            if mode == "ack-unknown-ok":
                refused = [r for r in refused if r != "medcom.state.ack-unknown-message"]
            if mode == "accept-conflict":
                refused = [r for r in refused if r != "medcom.state.ack-conflict"]
            return {"accepted": not refused, "processed": not refused}
        known = answers.get(header["id"])
        if mode == "history-as-seen" and known is None and header["id"] in answers.get("_named", []):
            return {"accepted": True, "processed": False}
        seen = state.observe(bundle, name)
        if seen.status == "bundle-id-reused" and mode != "ignore-bundle-id":
            return {"accepted": False, "processed": False, "answer": _ack(bundle, "fatal-error")}
        duplicate = seen.status in ("duplicate", "retransmission") or (
            mode == "ignore-bundle-id" and seen.status == "bundle-id-reused")
        if mode == "content-key" and known is not None and known["sha"] != hash(data):
            duplicate = False
        if mode == "trust-resend" and seen.status == "retransmission":
            return {"accepted": True, "processed": False, "answer": _ack(bundle, "ok")}
        if duplicate and known is not None and mode != "reprocess":
            return {"accepted": known["accepted"], "processed": False, "answer": known["answer"]}
        if mode == "one-reply-per-original":
            followed = [e["what"]["reference"] for p in (x["resource"] for x in bundle["entry"])
                        if p["resourceType"] == "Provenance" and p["target"][0]["reference"].endswith(header["id"])
                        for e in p.get("entity", []) if e["role"] == "revision"]
            earlier = next((a for a in answers.values() if isinstance(a, dict) and followed
                            and a.get("follows") == followed), None)
            if earlier is not None:
                return {"accepted": True, "processed": False, "answer": earlier["answer"]}
        else:
            followed = None
        valid = validate(data).valid or mode == "accept-invalid"
        answer = _ack(bundle, "ok" if valid else "fatal-error")
        answers[header["id"]] = {"accepted": valid, "answer": answer, "sha": hash(data), "follows": followed}
        answers["_named"] = answers.get("_named", []) + _history(bundle, header["id"])
        ANSWERS.write_text(json.dumps(answers))
        return {"accepted": valid, "processed": True, "answer": answer}


if __name__ == "__main__":
    file = Path(sys.argv[1])
    result = receive(file.read_bytes(), file.name)
    sys.stdout.write(result.get("answer") or "")
    sys.exit(0 if result["accepted"] else 1)
'''


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "receiver.py"
    path.write_text(RECEIVER_SOURCE, encoding="utf-8")
    monkeypatch.setenv("DKHEALTH_TOY_STATE", str(tmp_path))
    monkeypatch.delenv("DKHEALTH_TOY_MODE", raising=False)
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


# ------------------------------------------- reliable messaging, reply order, HospitalNotification, Acknowledgement

FHIR_RECEIVERS = ("medcom-fhir/carecommunication-receiver", "medcom-fhir/hospitalnotification-receiver",
                  "medcom-fhir/acknowledgement-receiver")


@pytest.fixture
def toy_url(toy: Path) -> Iterator[str]:
    """The toy receiver behind http.server on 127.0.0.1; the message's name arrives as X-Dkhealth-Name."""
    function = CallableAdapter(f"{toy}:receive").function

    def receive(data: bytes, name: str) -> tuple[bool, bytes]:
        result = function(data, name=name)
        return result["accepted"], (result.get("answer") or "").encode("utf-8")

    with loopback_receiver(receive, "/inbox") as url:
        yield url


def _case(result: Any, case_id: str) -> Any:
    return next(c for c in result.cases if c.case.id == case_id)


def _sent(result: Any, case_id: str, step: int) -> dict[str, Any]:
    return _case(result, case_id).evidence["steps"][step - 1]["sent"]


@pytest.mark.parametrize("name", FHIR_RECEIVERS)
@pytest.mark.parametrize("kind", ["callable", "http"])
def test_every_fhir_receiver_case_passes_against_a_conforming_receiver(request: pytest.FixtureRequest, toy: Path,
                                                                      name: str, kind: str) -> None:
    adapter = (CallableAdapter(f"{toy}:receive") if kind == "callable"
               else HttpAdapter(request.getfixturevalue("toy_url"), timeout=60))
    suite = find_suite(name)
    result = run_receiver(suite, adapter, seed=f"good-{kind}")
    assert result.passed, [(c.case.id, c.reasons) for c in result.cases if c.outcome != "pass"]
    assert [c.case.id for c in result.cases] == [c.id for c in suite.cases]


def test_new_cases_pass_through_a_command(toy: Path) -> None:
    adapter = CommandAdapter(f"{sys.executable} {toy} {{file}}", timeout=120)
    picks = {"medcom-fhir/carecommunication-receiver": ["R-09-invalid-resend", "R-13-reply-before-original"],
             "medcom-fhir/hospitalnotification-receiver": ["R-11-bundle-id-reused"],
             "medcom-fhir/acknowledgement-receiver": ["R-01-ok", "R-05-unknown-message"]}
    for name, cases in picks.items():
        result = run_receiver(find_suite(name), adapter, seed="cmd", cases=cases)
        assert result.passed, (name, [(c.case.id, c.reasons) for c in result.cases])


def test_the_messages_of_the_new_cases(toy: Path) -> None:
    result = run_receiver(find_suite(FHIR_RECEIVERS[0]), CallableAdapter(f"{toy}:receive"), seed="facts")
    first, resent = _sent(result, "R-08-resend", 1), _sent(result, "R-08-resend", 2)
    assert resent["header"] == first["header"] and resent["bundle"] != first["bundle"] and resent["resend"] == 1
    original, reused = _sent(result, "R-10-bundle-id-reused", 1), _sent(result, "R-10-bundle-id-reused", 2)
    assert reused["bundle"] == original["bundle"] and reused["header"] != original["header"]
    same = _sent(result, "R-11-same-ids-changed-content", 2)
    before = _sent(result, "R-11-same-ids-changed-content", 1)
    assert (same["bundle"], same["header"]) == (before["bundle"], before["header"])
    assert same["sha256"] != before["sha256"]
    parallel = [_sent(result, "R-12-parallel-replies", n) for n in (1, 2, 3)]
    assert parallel[1]["follows"] == parallel[2]["follows"] == {"step": 1, "header": parallel[0]["header"]}
    assert len({p["header"] for p in parallel}) == 3
    early, late = _sent(result, "R-13-reply-before-original", 1), _sent(result, "R-13-reply-before-original", 2)
    assert early["follows"] == {"step": 2, "header": late["header"]}
    chain = [_sent(result, "R-14-replies-out-of-order", n) for n in (1, 2, 3)]
    assert chain[1]["follows"]["header"] == chain[2]["header"] and chain[2]["follows"]["header"] == chain[0]["header"]
    invalid = _case(result, "R-09-invalid-resend").evidence["steps"]
    assert [s["answer"]["code"] for s in invalid] == ["fatal-error"] * 3


def test_follow_ups_carry_the_history_of_the_message_they_follow(toy: Path) -> None:
    sent: list[bytes] = []
    adapter = CallableAdapter(lambda data: sent.append(data) or {"accepted": True})
    run_receiver(find_suite(FHIR_RECEIVERS[1]), adapter, seed="stay", cases=["R-03-stay-with-leave"])
    bundles = [json.loads(x) for x in sent]
    for n in range(1, 4):
        provenances = [e["resource"] for e in bundles[n]["entry"] if e["resource"]["resourceType"] == "Provenance"]
        earlier = [e["resource"] for e in bundles[n - 1]["entry"] if e["resource"]["resourceType"] == "Provenance"]
        assert [p["id"] for p in earlier] == [p["id"] for p in provenances if p in earlier]
        assert len(provenances) == len(earlier) + 1
        header, own = bundles[n - 1]["entry"][0]["resource"]["id"], bundles[n]["entry"][0]["resource"]["id"]
        assert fhir_values(bundles[n], f"/Bundle.entry.resource.ofType(Provenance).where(target.reference="
                                       f"'MessageHeader/{own}').entity.where(role='revision').what.reference"
                           ) == [f"MessageHeader/{header}"]
        assert validate(sent[n]).valid


def test_acknowledgement_steps(toy: Path) -> None:
    names: list[str] = []

    def receiver(data: bytes, name: str) -> dict[str, Any]:
        names.append(name)
        return {"accepted": True}

    result = run_receiver(find_suite(FHIR_RECEIVERS[2]), CallableAdapter(receiver), seed="ack",
                          cases=["R-01-ok", "R-05-unknown-message", "R-08-invalid"])
    assert names == ["R-01-ok-step1-outgoing.json", "R-01-ok-step2.json", "R-05-unknown-message-step1.json",
                     "R-08-invalid-step1-outgoing.json", "R-08-invalid-step2.json"]
    ok = _sent(result, "R-01-ok", 2)
    assert ok["acknowledges"] == _sent(result, "R-01-ok", 1)["header"] and ok["code"] == "ok"
    assert _sent(result, "R-08-invalid", 2)["rule"] == "medcom.acknowledgement.response-code"
    assert "the receiver accepted the message; expected it to reject it" in _reasons(result, "R-05-unknown-message")


FLAWS = [
    (FHIR_RECEIVERS[0], "trust-resend", {"R-09-invalid-resend"},
     "step 2 (resend): the answer differs from step 1's: step 1 rejected, medcom.acknowledgement@2.0.3 fatal-error; "
     "this step accepted, medcom.acknowledgement@2.0.3 ok"),
    (FHIR_RECEIVERS[0], "ignore-bundle-id", {"R-10-bundle-id-reused"},
     "step 2 (carecommunication): response.code is 'ok', expected transient-error or fatal-error"),
    (FHIR_RECEIVERS[0], "content-key", {"R-11-same-ids-changed-content"},
     "step 2 (carecommunication): the receiver processed the message again"),
    (FHIR_RECEIVERS[0], "one-reply-per-original", {"R-12-parallel-replies"},
     "step 3 (carecommunication): the receiver did not process the message"),
    (FHIR_RECEIVERS[0], "history-as-seen", {"R-13-reply-before-original", "R-14-replies-out-of-order"},
     "expected a positive Acknowledgement (ok), the receiver returned no answer"),
    (FHIR_RECEIVERS[1], "trust-resend", {"R-13-invalid-resend"}, "step 2 (resend): the receiver accepted the message"),
    (FHIR_RECEIVERS[1], "ignore-bundle-id", {"R-11-bundle-id-reused"},
     "step 2 (hospitalnotification): response.code is 'ok', expected transient-error or fatal-error"),
    (FHIR_RECEIVERS[1], "history-as-seen", {"R-08-out-of-order"},
     "step 2 (hospitalnotification): the receiver did not process the message"),
    (FHIR_RECEIVERS[1], "reprocess", {"R-09-duplicate"}, "step 2 (again): the receiver processed the message again"),
    (FHIR_RECEIVERS[2], "ack-unknown-ok", {"R-05-unknown-message"},
     "step 1 (acknowledgement): the receiver accepted the message"),
    (FHIR_RECEIVERS[2], "accept-conflict", {"R-07-conflicting"},
     "step 3 (acknowledgement): the receiver accepted the message"),
    (FHIR_RECEIVERS[2], "reprocess", {"R-06-duplicate"}, "step 3 (again): the receiver processed the message again"),
    (FHIR_RECEIVERS[2], "accept-invalid", {"R-08-invalid"}, "step 2 (acknowledgement): the receiver accepted the "
                                                           "message"),
]


@pytest.mark.parametrize("name, mode, failing, reason", FLAWS, ids=[f"{f[0].split('/')[1]}-{f[1]}" for f in FLAWS])
def test_a_flawed_receiver_fails_exactly_the_case_that_targets_the_flaw(toy: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       name: str, mode: str, failing: set[str],
                                                                       reason: str) -> None:
    monkeypatch.setenv("DKHEALTH_TOY_MODE", mode)
    result = run_receiver(find_suite(name), CallableAdapter(f"{toy}:receive"), seed=mode)
    assert {c.case.id for c in result.cases if c.outcome != "pass"} == failing
    for case_id in failing:
        assert reason in _reasons(result, case_id), _reasons(result, case_id)


# flaws an HTTP endpoint shows too (the others show only in what a callable reports as processed)
HTTP_FLAWS = [f for f in FLAWS if "process" not in f[3]]


@pytest.mark.parametrize("name, mode, failing, reason", HTTP_FLAWS,
                         ids=[f"{f[0].split('/')[1]}-{f[1]}" for f in HTTP_FLAWS])
def test_the_flaws_show_through_http_too(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                                         name: str, mode: str, failing: set[str], reason: str) -> None:
    url = request.getfixturevalue("toy_url")
    monkeypatch.setenv("DKHEALTH_TOY_MODE", mode)
    result = run_receiver(find_suite(name), HttpAdapter(url, timeout=60), seed=mode, cases=sorted(failing))
    assert result.outcome == "fail"
    for case_id in failing:
        assert reason in _reasons(result, case_id)


@pytest.mark.parametrize("step, message", [
    ({"send": {"resend": 2}, "expect": {"accepted": True}}, "resend must name an earlier step (1..1)"),
    ({"send": {"again": 1}, "expect": {"accepted": True, "same_answer": 3}}, "same_answer must name an earlier step"),
])
def test_step_numbers_name_earlier_steps(tmp_path: Path, step: dict[str, Any], message: str) -> None:
    data = {"id": "t.receiver", "title": "T", "standard": "medcom.carecommunication", "role": "receiver",
            "source": "test", "cases": [{"id": "R-1", "title": "t", "clause": "c", "kind": "k", "steps": [
                {"send": {"carecommunication": {}}, "expect": {"accepted": True}}, step]}]}
    file = tmp_path / "suite.yaml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(SuiteError, match="not a valid suite") as caught:
        load_suite(file)
    assert message in str(caught.value)


def test_a_follow_up_of_a_later_step_must_be_a_message_built_ahead(tmp_path: Path) -> None:
    data = {"id": "t.receiver", "title": "T", "standard": "medcom.carecommunication", "role": "receiver",
            "source": "test", "cases": [{"id": "R-1", "title": "t", "clause": "c", "kind": "k", "steps": [
                {"send": {"carecommunication": {"example": "carecommunication-reply-message", "follows": 2}},
                 "expect": {"accepted": True}},
                {"send": {"again": 1}, "expect": {"accepted": True}}]}]}
    file = tmp_path / "suite.yaml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = run_receiver(load_suite(file), CallableAdapter(lambda data: {"accepted": True}), seed="x")
    assert result.outcome == "error"
    assert "step 2 (again) cannot be named before it is sent" in result.cases[0].reasons[0]


def test_cli_lists_shows_and_runs_the_new_suites(toy: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["suite", "list"])
    assert listed.exit_code == 0
    assert re.search(r"medcom-fhir/hospitalnotification-receiver\s+receiver\s+14", listed.output)
    assert re.search(r"medcom-fhir/acknowledgement-receiver\s+receiver\s+9", listed.output)
    assert re.search(r"medcom-fhir/carecommunication-receiver\s+receiver\s+14", listed.output)
    shown = runner.invoke(main, ["suite", "show", "medcom-fhir/acknowledgement-receiver"])
    assert shown.exit_code == 0 and "R-09-acknowledgement-of-acknowledgement" in shown.output
    output = tmp_path / "results.json"
    run = runner.invoke(main, ["suite", "run", "medcom-fhir/acknowledgement-receiver", "--receiver", f"{toy}:receive",
                               "--seed", "cli", "--case", "R-07-conflicting", "-o", str(output)])
    assert run.exit_code == 0, run.output
    assert "PASS  R-07-conflicting" in run.output
    steps = json.loads(output.read_text(encoding="utf-8"))["cases"][0]["evidence"]["steps"]
    assert steps[0]["sent"]["outgoing"] is True and steps[2]["sent"]["code"] == "fatal-error"


def test_pytest_items_for_the_new_suites(pytester: pytest.Pytester, toy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(FHIR_CACHE))  # pytester gives the run a home of its own
    result = pytester.runpytest_subprocess("--dkhealth", "--dkhealth-suite", FHIR_RECEIVERS[1],
                                           "--dkhealth-suite", FHIR_RECEIVERS[2],
                                           "--dkhealth-receiver", f"{toy}:receive", "--dkhealth-seed", "items",
                                           "-p", "no:cacheprovider", "-k", "R-08 or R-05", "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*suite?medcom-fhir/acknowledgement-receiver?::R-05-unknown-message PASSED*"])
