"""Conformance test suites: the suite schema, sender suites against payloads, receiver suites
through each adapter kind (a Python callable, a command, a local HTTP endpoint)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from dkhealth_conformance import data
from dkhealth_conformance.suites import (
    FAIL,
    PASS,
    SuiteError,
    bundled_suites,
    find_suite,
    load_suite,
    payload_map,
    run_sender,
)

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
