"""Conformance test suites: the suite schema, sender suites against payloads, receiver suites
through each adapter kind (a Python callable, a command, a local HTTP endpoint)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from dkhealth_conformance import data, validate
from dkhealth_conformance.cli import main
from dkhealth_conformance.suites import (
    FAIL,
    PASS,
    AdapterUsageError,
    CallableAdapter,
    CommandAdapter,
    HttpAdapter,
    SuiteError,
    bundled_suites,
    find_suite,
    load_suite,
    payload_map,
    run_receiver,
    run_sender,
)

from .conftest import loopback_receiver

pytest_plugins = ["pytester"]

REFERENCE = data.testsuites_dir() / "oioxml" / "reference"
SENDER_SUITES = ("xdis91-sender", "xref01-sender", "xrpt01-sender", "receipts-sender")


# ------------------------------------------------------------------------------- suite format


def test_every_bundled_suite_loads() -> None:
    suites = bundled_suites()
    assert {s.name for s in suites} >= {f"oioxml/{n}" for n in (*SENDER_SUITES, "xdis91-receiver")}
    assert len({s.id for s in suites}) == len(suites)
    for suite in suites:
        assert suite.cases and len(suite.digest) == 64
        for case in suite.cases:
            assert case.id and case.title and case.clause and case.kind
            assert bool(case.steps) == (suite.role == "receiver")


def _write(tmp_path: Path, data: Any) -> Path:
    file = tmp_path / "suite.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return file


def _minimal_sender() -> dict[str, Any]:
    return {"id": "t.sender", "title": "T", "standard": "medcom.oioxml.XDIS91", "role": "sender", "source": "test",
            "cases": [{"id": "S-1", "title": "t", "clause": "c", "kind": "k", "expect": {"valid": True}}]}


@pytest.mark.parametrize("breakage, message", [
    (lambda d: d.pop("role"), "'role' is a required property"),
    (lambda d: d.update(role="observer"), "'observer' is not one of"),
    (lambda d: d["cases"][0].pop("clause"), "'clause' is a required property"),
    (lambda d: d["cases"][0].update(expect={}), "should be non-empty"),
    (lambda d: d["cases"][0]["expect"].update(assert_=1), "Additional properties"),
    (lambda d: d["cases"][0]["expect"].update({"assert": [{"path": "Emessage"}]}), "does not match '^/'"),
    (lambda d: d["cases"].append(dict(d["cases"][0])), "is used twice"),
    (lambda d: d["cases"][0].update(given="given/nothing.xml"), "not found beside the suite"),
    (lambda d: d["cases"][0]["expect"].update({"assert": [{"path": "/E", "matches": "("}]}), "not a regular expr"),
    (lambda d: d.update(role="receiver"), "'steps' is a required property"),
])
def test_schema_rejects_a_broken_suite(tmp_path: Path, breakage: Callable[[dict[str, Any]], Any],
                                       message: str) -> None:
    data = _minimal_sender()
    load_suite(_write(tmp_path, data))  # the unbroken suite loads
    breakage(data)
    with pytest.raises(SuiteError, match="not a valid suite") as caught:
        load_suite(_write(tmp_path, data))
    assert message in str(caught.value)


def test_receiver_steps_name_known_builders_and_answers(tmp_path: Path) -> None:
    data = {"id": "t.receiver", "title": "T", "standard": "medcom.oioxml.XDIS91", "role": "receiver",
            "source": "test", "cases": [{"id": "R-1", "title": "t", "clause": "c", "kind": "k", "steps": [
                {"send": {"telegram": {}}, "expect": {"accepted": True, "answer": "postcard"}},
                {"send": {"again": 2}, "expect": {"accepted": True}}]}]}
    with pytest.raises(SuiteError) as caught:
        load_suite(_write(tmp_path, data))
    text = str(caught.value)
    assert "unknown builder 'telegram'" in text and "unknown answer kind 'postcard'" in text
    assert "again must name an earlier step" in text


def test_unreadable_yaml_is_a_suite_error(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(SuiteError, match="cannot read the suite"):
        load_suite(file)


def test_find_suite_by_name_id_and_path() -> None:
    by_name = find_suite("oioxml/xdis91-sender")
    assert find_suite("medcom.oioxml.xdis91.sender").path == by_name.path
    assert find_suite(str(by_name.path)).id == by_name.id
    with pytest.raises(SuiteError, match="no suite"):
        find_suite("oioxml/nothing")


# ------------------------------------------------------------------------------------- sender


@pytest.mark.parametrize("name", SENDER_SUITES)
def test_sender_suite_passes_with_the_reference_payloads(name: str) -> None:
    suite = find_suite(f"oioxml/{name}")
    result = run_sender(suite, payload_map(REFERENCE / name, suite))
    assert result.passed, [(c.case.id, c.reasons) for c in result.cases]
    assert {c.case.id for c in result.cases} == {c.id for c in suite.cases}


def _payloads(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(REFERENCE / name, folder)
    return folder


def _reasons(result: Any, case_id: str) -> str:
    case = next(c for c in result.cases if c.case.id == case_id)
    assert case.outcome == FAIL, (case_id, case.outcome, case.reasons)
    return "\n".join(case.reasons)


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")


def test_sender_suite_fails_with_the_reasons(tmp_path: Path) -> None:
    folder = _payloads(tmp_path, "xdis91-sender")
    _edit(folder / "S-01-new-letter.xml", "<StatusCode>nytbrev", "<StatusCode>rettetbrev")
    _edit(folder / "S-02-corrected-letter.xml", "<PersonSurnameName>Elmer</PersonSurnameName>", "")
    shutil.copy(folder / "S-03-cpr-patient.xml", folder / "S-04-alternative-identifier.xml")
    _edit(folder / "S-03-cpr-patient.xml", "2509479989", "3102479989")
    (folder / "S-05-reference.xml").unlink()
    suite = find_suite("oioxml/xdis91-sender")
    result = run_sender(suite, payload_map(folder, suite))
    assert result.outcome == "error" and result.counts == {PASS: 0, FAIL: 4, "error": 1}
    assert "/Emessage/ClinicalEmail/Letter/StatusCode is 'rettetbrev', expected 'nytbrev'" in \
        _reasons(result, "S-01-new-letter")
    assert "oioxml.structure.missing-element" in _reasons(result, "S-02-corrected-letter")
    s03 = _reasons(result, "S-03-cpr-patient")
    assert "not valid: dk.cpr.invalid-date" in s03 and "rule dk.cpr.invalid-date reported" in s03
    assert "AlternativeIdentifier is missing" in _reasons(result, "S-04-alternative-identifier")
    missing = next(c for c in result.cases if c.case.id == "S-05-reference")
    assert missing.outcome == "error" and "no payload for case S-05-reference" in missing.reasons[0]


def test_sender_receipt_must_answer_the_given_letter(tmp_path: Path) -> None:
    folder = _payloads(tmp_path, "receipts-sender")
    _edit(folder / "S-01-positive-receipt.xml", "GIVENENV0001", "OTHERENV0001")
    _edit(folder / "S-02-negative-receipt.xml", "<RefuseCode>syntaksfejl</RefuseCode>", "")
    suite = find_suite("oioxml/receipts-sender")
    result = run_sender(suite, payload_map(folder, suite))
    positive = _reasons(result, "S-01-positive-receipt")
    assert "oioxml.receipt.unknown-envelope" in positive
    assert "the receipt answers envelope 'OTHERENV0001', the message sent was 'GIVENENV0001'" in positive
    negative = _reasons(result, "S-02-negative-receipt")
    assert "rule oioxml.receipt.refuse-missing reported" in negative
    assert "//RefuseCode is missing" in negative


def test_sender_payloads_by_mapping_file(tmp_path: Path) -> None:
    suite = find_suite("oioxml/xref01-sender")
    shutil.copy(REFERENCE / "xref01-sender" / "S-01-new-referral.xml", tmp_path / "referral.xml")
    mapping = tmp_path / "payloads.yaml"
    mapping.write_text("S-01-new-referral: referral.xml\n", encoding="utf-8")
    assert run_sender(suite, payload_map(mapping, suite)).passed
    mapping.write_text("S-99: referral.xml\n", encoding="utf-8")
    with pytest.raises(SuiteError, match="no case"):
        payload_map(mapping, suite)


# ----------------------------------------------------------------------------------- receiver

# A small receiver written for these tests: it checks a letter with validate(), remembers the
# envelopes it has processed (in a JSON file), and answers with a positive receipt when one is
# requested or a negative receipt when it refuses. DKHEALTH_TOY_MODE makes it misbehave.
TOY_RECEIVER = '''
import json, os, sys
from pathlib import Path
from lxml import etree
from dkhealth_conformance import validate

NS = "http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/"
STATE = Path(os.environ["DKHEALTH_TOY_STATE"])


def text(node, *path):
    for name in path:
        node = next((c for c in node if etree.QName(c).localname == name), None)
        if node is None:
            return ""
    return (node.text or "").strip()


def receipt(root, positive, envelope):
    letters = [c for c in root if etree.QName(c).localname != "Envelope"]
    kind, version, code = ("PositiveReceipt", "XC0330Q", "XCTL03") if positive else ("NegativeReceipt", "XC0230Q",
                                                                                      "XCTL02")
    refuse = "" if positive else "<RefuseCode>syntaksfejl</RefuseCode><RefuseText>Brevet er ugyldigt</RefuseText>"
    listed = "".join(f"<OriginalLetter><OriginalLetterIdentifier>{text(x, 'Letter', 'Identifier')}"
                     f"</OriginalLetterIdentifier><OriginalVersionCode>{text(x, 'Letter', 'VersionCode')}"
                     f"</OriginalVersionCode></OriginalLetter>" for x in letters)
    sender, receiver = text(letters[0], "Sender", "EANIdentifier"), text(letters[0], "Receiver", "EANIdentifier")
    return (f'<?xml version="1.0" encoding="UTF-8"?><Emessage xmlns="{NS}"><Envelope><Sent><Date>2024-05-01</Date>'
            f"<Time>12:10</Time></Sent><Identifier>TOYR{envelope[-10:]}</Identifier>"
            f"<AcknowledgementCode>minuspositivkvitt</AcknowledgementCode></Envelope><{kind}><Letter>"
            f"<Identifier>TOYRL0001</Identifier><VersionCode>{version}</VersionCode>"
            f"<StatisticalCode>{code}</StatisticalCode></Letter><Sender><EANIdentifier>{receiver}</EANIdentifier>"
            f"</Sender><Receiver><EANIdentifier>{sender}</EANIdentifier></Receiver><OriginalEmessage>"
            f"<OriginalEnvelopeIdentifier>{envelope}</OriginalEnvelopeIdentifier><OriginalSender><EANIdentifier>"
            f"{sender}</EANIdentifier></OriginalSender><OriginalReceiver><EANIdentifier>{receiver}</EANIdentifier>"
            f"</OriginalReceiver>{refuse}{listed}</OriginalEmessage></{kind}></Emessage>").encode("utf-8")


def receive(data):
    mode = os.environ.get("DKHEALTH_TOY_MODE", "good")
    root = etree.fromstring(data)
    envelope = text(root, "Envelope", "Identifier")
    letters = [text(x, "Letter", "Identifier") for x in root if etree.QName(x).localname != "Envelope"]
    seen = json.loads(STATE.read_text()) if STATE.exists() else {"envelopes": {}, "letters": {}}
    processed = True
    if envelope in seen["envelopes"] and seen["envelopes"][envelope] != letters and mode != "ignore-envelope":
        valid, processed = False, False  # an envelope identifier is never reused
    elif envelope in seen["envelopes"] and mode != "reprocess":
        valid, processed = all(seen["letters"].get(x, False) for x in seen["envelopes"][envelope]), False
    elif letters and all(x in seen["letters"] for x in letters) and mode != "reprocess":
        valid, processed = all(seen["letters"][x] for x in letters) or mode == "trust-resend", False
    else:
        valid = validate(data).valid or mode == "accept-invalid"
    if processed:
        seen["envelopes"][envelope] = letters
        seen["letters"].update({x: valid for x in letters})
    elif envelope not in seen["envelopes"]:
        seen["envelopes"][envelope] = letters
    STATE.write_text(json.dumps(seen))
    wanted = text(root, "Envelope", "AcknowledgementCode") == "pluspositivkvitt" or not valid
    answer = receipt(root, valid, "WRONGENV01" if mode == "wrong-envelope" else envelope) if wanted else None
    if mode == "no-receipt":
        answer = None
    return {"accepted": valid, "answer": answer, "processed": processed}


if __name__ == "__main__":
    result = receive(Path(sys.argv[1]).read_bytes())
    sys.stdout.buffer.write(result["answer"] or b"")
    sys.exit(0 if result["accepted"] else 1)
'''

RECEIVER_SUITE = "oioxml/xdis91-receiver"


@pytest.fixture()
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    file = tmp_path / "toy_receiver.py"
    file.write_text(TOY_RECEIVER, encoding="utf-8")
    monkeypatch.setenv("DKHEALTH_TOY_STATE", str(tmp_path / "state.json"))
    monkeypatch.setenv("DKHEALTH_TOY_MODE", "good")
    return file


@pytest.fixture()
def toy_server(toy: Path) -> Iterator[str]:
    """The toy receiver behind http.server on 127.0.0.1 (port chosen by the system)."""
    module = CallableAdapter(f"{toy}:receive").function

    def receive(data: bytes, name: str) -> tuple[bool, bytes]:
        result = module(data)
        return result["accepted"], result["answer"] or b""

    with loopback_receiver(receive, "/receive") as url:
        yield url


def _adapter(kind: str, toy: Path, url: str | None) -> Any:
    if kind == "callable":
        return CallableAdapter(f"{toy}:receive")
    if kind == "command":
        return CommandAdapter(f"{sys.executable} {toy} {{file}}", timeout=60)
    assert url is not None
    return HttpAdapter(url, timeout=30)


ADAPTERS = ("callable", "command", "http")


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest, toy: Path) -> Any:
    url = request.getfixturevalue("toy_server") if request.param == "http" else None
    return _adapter(request.param, toy, url)


def test_receiver_suite_passes_when_the_receiver_behaves(adapter: Any) -> None:
    suite = find_suite(RECEIVER_SUITE)
    result = run_receiver(suite, adapter, seed="good")
    assert result.passed, [(c.case.id, c.reasons) for c in result.cases]
    assert len(result.cases) == len(suite.cases)
    duplicate = next(c for c in result.cases if c.case.id == "R-03-duplicate")
    sent = [s["sent"]["sha256"] for s in duplicate.evidence["steps"]]
    assert sent[0] == sent[1]
    if adapter.kind != "callable":  # only a Python receiver can say whether it processed a message
        assert duplicate.evidence["steps"][1]["processed"].startswith("not reported")


@pytest.mark.parametrize("mode, case_id, reason", [
    ("accept-invalid", "R-04-invalid-letter", "the receiver accepted the message"),
    ("no-receipt", "R-01-new-letter", "the receiver returned no answer"),
    ("wrong-envelope", "R-06-two-letters", "the receipt answers envelope 'WRONGENV01'"),
    ("ignore-envelope", "R-12-envelope-reused", "step 2 (letter): expected medcom.oioxml.XCTL02, got "
                                                "medcom.oioxml.XCTL03@XC0330Q"),
    ("trust-resend", "R-11-invalid-resend", "step 2 (resend): the answer differs from step 1's: step 1 rejected, "
                                            "medcom.oioxml.XCTL02@XC0230Q; this step accepted, "
                                            "medcom.oioxml.XCTL03@XC0330Q"),
])
@pytest.mark.parametrize("kind", ADAPTERS)
def test_receiver_suite_fails_when_the_receiver_misbehaves(request: pytest.FixtureRequest, toy: Path,
                                                           monkeypatch: pytest.MonkeyPatch, kind: str, mode: str,
                                                           case_id: str, reason: str) -> None:
    monkeypatch.setenv("DKHEALTH_TOY_MODE", mode)
    url = request.getfixturevalue("toy_server") if kind == "http" else None
    suite = find_suite(RECEIVER_SUITE)
    result = run_receiver(suite, _adapter(kind, toy, url), seed=mode, cases=[case_id])
    assert result.outcome == FAIL
    assert reason in _reasons(result, case_id)


@pytest.mark.parametrize("mode, failing", [
    ("ignore-envelope", {"R-12-envelope-reused"}),
    ("trust-resend", {"R-11-invalid-resend"}),
    ("reprocess", {"R-03-duplicate", "R-13-same-ids-changed-content"}),
])
def test_a_flawed_receiver_fails_exactly_the_cases_that_target_the_flaw(toy: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        mode: str, failing: set[str]) -> None:
    monkeypatch.setenv("DKHEALTH_TOY_MODE", mode)
    result = run_receiver(find_suite(RECEIVER_SUITE), CallableAdapter(f"{toy}:receive"), seed=mode)
    assert {c.case.id for c in result.cases if c.outcome != PASS} == failing


def test_resend_and_reused_envelope_messages(toy: Path) -> None:
    result = run_receiver(find_suite(RECEIVER_SUITE), CallableAdapter(f"{toy}:receive"), seed="ids",
                          cases=["R-10-resend", "R-12-envelope-reused", "R-13-same-ids-changed-content"])
    assert result.passed, [(c.case.id, c.reasons) for c in result.cases]
    steps = {c.case.id: [s["sent"] for s in c.evidence["steps"]] for c in result.cases}
    first, resent = steps["R-10-resend"]
    assert resent["envelope"] != first["envelope"] and resent["letters"] == first["letters"]
    assert resent["resend"] == 1
    first, reused = steps["R-12-envelope-reused"]
    assert reused["envelope"] == first["envelope"] and reused["letters"] != first["letters"]
    first, changed = steps["R-13-same-ids-changed-content"]
    assert (changed["envelope"], changed["letters"][0]["identifier"]) == (first["envelope"],
                                                                        first["letters"][0]["identifier"])
    assert changed["sha256"] != first["sha256"]


def test_duplicate_processed_again_fails_through_a_callable(toy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DKHEALTH_TOY_MODE", "reprocess")
    result = run_receiver(find_suite(RECEIVER_SUITE), CallableAdapter(f"{toy}:receive"), cases=["R-03-duplicate"])
    assert "step 2 (again): the receiver processed the message again" in _reasons(result, "R-03-duplicate")


def test_receiver_messages_are_deterministic_per_seed(toy: Path) -> None:
    suite = find_suite(RECEIVER_SUITE)
    sent: list[bytes] = []
    adapter = CallableAdapter(lambda data: sent.append(data) or {"accepted": True})
    run_receiver(suite, adapter, seed="s1", cases=["R-06-two-letters"])
    run_receiver(suite, adapter, seed="s1", cases=["R-06-two-letters"])
    run_receiver(suite, adapter, seed="s2", cases=["R-06-two-letters"])
    assert sent[0] == sent[1] != sent[2]
    report = validate(sent[0])
    assert report.valid and report.standard_ref == "medcom.oioxml.XDIS91@XD9134L"


def test_unreachable_receiver_is_an_error() -> None:
    result = run_receiver(find_suite(RECEIVER_SUITE), HttpAdapter("http://127.0.0.1:9/none", timeout=5),
                          cases=["R-01-new-letter"])
    assert result.outcome == "error" and "cannot reach the receiver" in result.cases[0].reasons[0]


@pytest.mark.parametrize("url", ["http://192.0.2.1/receive", "http://example.org/receive", "ftp://127.0.0.1/x"])
def test_http_adapter_refuses_non_loopback_hosts(url: str) -> None:
    with pytest.raises(AdapterUsageError):
        HttpAdapter(url)


def test_http_adapter_accepts_loopback_hosts() -> None:
    assert HttpAdapter("http://[::1]:8080/x").target == "http://[::1]:8080/x"
    assert HttpAdapter("http://127.0.0.1:8080/x").kind == "http"


# ------------------------------------------------------------------------------------------ CLI


def test_cli_list_and_show(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["suite", "list"])
    assert listed.exit_code == 0 and re.search(r"oioxml/xdis91-receiver\s+receiver\s+13", listed.output)
    shown = runner.invoke(main, ["suite", "show", "oioxml/receipts-sender", "--given", str(tmp_path / "given")])
    assert shown.exit_code == 0, shown.output
    assert "S-02-negative-receipt  [negative-receipt]" in shown.output
    assert sorted(p.name for p in (tmp_path / "given").iterdir()) == [
        "S-01-positive-receipt.given.xml", "S-02-negative-receipt.given.xml"]
    assert runner.invoke(main, ["suite", "show", "oioxml/none"]).exit_code == 2


def test_cli_sender_run_writes_results(tmp_path: Path) -> None:
    folder = _payloads(tmp_path, "receipts-sender")
    output = tmp_path / "out" / "results.json"
    args = ["suite", "run", "oioxml/receipts-sender", "--role", "sender", "--payloads", str(folder), "-o", str(output)]
    good = CliRunner().invoke(main, args)
    assert good.exit_code == 0, good.output
    assert "PASS  S-01-positive-receipt" in good.output
    results = json.loads(output.read_text(encoding="utf-8"))
    suite = find_suite("oioxml/receipts-sender")
    assert results["format"] == "dkhealth-suite-results/1"
    assert results["suite"]["sha256"] == suite.digest == hashlib.sha256(suite.path.read_bytes()).hexdigest()
    assert results["summary"] == {"outcome": "pass", "cases": 2, "pass": 2, "fail": 0, "error": 0}
    assert results["tool"]["version"] and results["run"]["started"] <= results["run"]["finished"]
    roles = {(p["case"], p["role"]) for p in results["payloads"]}
    assert ("S-01-positive-receipt", "payload") in roles and ("S-01-positive-receipt", "given") in roles
    assert all(len(p["sha256"]) == 64 for p in results["payloads"])

    _edit(folder / "S-01-positive-receipt.xml", "<OriginalLetterIdentifier>GIVENLET0001",
          "<OriginalLetterIdentifier>GIVENLET0009")
    bad = CliRunner().invoke(main, args)
    assert bad.exit_code == 1
    assert "FAIL  S-01-positive-receipt" in bad.output and "oioxml.receipt.unknown-letter" in bad.output
    failed = json.loads(output.read_text(encoding="utf-8"))["cases"][0]
    assert failed["outcome"] == "fail" and any("GIVENLET0001" in r for r in failed["reasons"])


def test_cli_receiver_run_through_a_command(toy: Path, tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    result = CliRunner().invoke(main, ["suite", "run", "oioxml/xdis91-receiver", "--role", "receiver",
                                       "--receiver-cmd", f"{sys.executable} {toy} {{file}}", "--seed", "cli",
                                       "--case", "R-01-new-letter", "--case", "R-04-invalid-letter",
                                       "-o", str(output)])
    assert result.exit_code == 0, result.output
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["run"]["adapter"]["kind"] == "command" and data["run"]["seed"] == "cli"
    step = data["cases"][1]["evidence"]["steps"][0]
    assert step["received"]["accepted"] is False and step["answer"]["standard"] == "medcom.oioxml.XCTL02@XC0230Q"
    assert {p["role"] for p in data["payloads"]} == {"sent", "answer"}


@pytest.mark.parametrize("args, message", [
    (["--role", "sender", "--payloads", "."], "is a receiver suite"),
    (["--receiver-url", "http://192.0.2.1/x"], "not a loopback address"),
    ([], "name exactly one receiver"),
    (["--receiver", "no_such_module_here:f"], "cannot import the receiver module"),
    (["--receiver", "x:f", "--receiver-cmd", "y"], "name exactly one receiver"),
])
def test_cli_receiver_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["suite", "run", "oioxml/xdis91-receiver", *args])
    assert result.exit_code == 2 and message in result.output


# ------------------------------------------------------------------------------- pytest plugin


def test_pytest_items_for_a_sender_suite(pytester: pytest.Pytester, tmp_path: Path) -> None:
    folder = _payloads(tmp_path, "xdis91-sender")
    _edit(folder / "S-01-new-letter.xml", "<StatusCode>nytbrev", "<StatusCode>rettetbrev")
    result = pytester.runpytest_subprocess("--dkhealth", "--dkhealth-suite", "oioxml/xdis91-sender",
                                           "--dkhealth-payloads", str(folder), "-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*suite*oioxml/xdis91-sender*S-01-new-letter*failed*",
                                 "*StatusCode is 'rettetbrev', expected 'nytbrev'*"])


def test_pytest_items_for_a_receiver_suite(pytester: pytest.Pytester, toy: Path) -> None:
    result = pytester.runpytest_subprocess("--dkhealth", "--dkhealth-suite", "oioxml/xdis91-receiver",
                                           "--dkhealth-receiver", f"{toy}:receive", "-p", "no:cacheprovider",
                                           "-k", "R-01 or R-03 or R-04")
    result.assert_outcomes(passed=3)


def test_pytest_suite_needs_its_inputs(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--dkhealth", "--dkhealth-suite", "oioxml/xdis91-receiver",
                                           "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*receiver suite oioxml/xdis91-receiver needs --dkhealth-receiver*"])
