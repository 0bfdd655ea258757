"""Acknowledgements against the receiver state: sent by the acknowledged message's primary
receiver, addressed to its sender (SOR code, GLN and endpoint), quoting its latest Provenance; and
an Acknowledgement of a CareCommunication (the messaging 4.0.2 line) checked in the
Acknowledgement's package set (the 2.1.0 line) the same way the CareCommunication set checks it.

The state tests run through the library API (``validate`` with ``Options(extra={"state": ...})``)
and the command line (``dkconform check --state DB``), with a temporary database."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dkhealth_conformance import validate
from dkhealth_conformance.cli import main
from dkhealth_conformance.data import examples_dir
from dkhealth_conformance.registry import Options

FOLDER = examples_dir() / "medcom-fhir"
STATE_RULES = ("medcom.state.ack-sender", "medcom.state.ack-receiver", "medcom.state.ack-provenance",
               "medcom.state.ack-unknown-message")
#: the STIN and its acknowledgement: the hospital (entry[2] of the acknowledgement) sent the STIN to
#: the municipality (entry[1]), which acknowledges it
STIN, ACK = "hospitalnotification-stin", "acknowledgement-ok"


def load(name: str) -> dict[str, Any]:
    return json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8"))


def data(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, indent=2, ensure_ascii=False)


def observed(db: Path, *bundles: dict[str, Any]) -> list[tuple[str, str]]:
    """(rule, path) of the state rules the last bundle triggers, after the others were observed."""
    options = Options(extra={"state": str(db)})
    report = None
    for bundle in bundles:
        report = validate(data(bundle), options=options)
    assert report is not None
    return sorted((i.rule_id, i.location.path) for i in report.issues if i.rule_id in STATE_RULES)


def ident(bundle: dict[str, Any], entry: int, system: str) -> dict[str, Any]:
    return next(i for i in bundle["entry"][entry]["resource"]["identifier"] if i["system"] == system)


SOR, GLN = "urn:oid:1.2.208.176.1.1", "https://www.gs1.org/gln"
HEADER = "Bundle.entry[0].resource"


# ------------------------------------------------------------------------------- addressing


def test_matching_acknowledgement_is_clean(tmp_path: Path) -> None:
    assert observed(tmp_path / "s.db", load(STIN), load(ACK)) == []


def _sender_gln_of_original_sender(ack: dict[str, Any]) -> None:
    ident(ack, 1, GLN)["value"] = "5790000209354"  # the hospital's GLN


def _sender_sor(ack: dict[str, Any]) -> None:
    ident(ack, 1, SOR)["value"] = "953741000016009"


def _source_endpoint(ack: dict[str, Any]) -> None:
    ack["entry"][0]["resource"]["source"]["endpoint"] = "https://sor2.sum.dsdn.dk/#id=953741000016009"


def _destination_endpoint(ack: dict[str, Any]) -> None:
    ack["entry"][0]["resource"]["destination"][0]["endpoint"] = "https://sor2.sum.dsdn.dk/#id=543210987654321"


def _receiver_gln(ack: dict[str, Any]) -> None:
    ident(ack, 2, GLN)["value"] = "5790001348120"


def _quoted_provenance_id(ack: dict[str, Any]) -> None:
    ack["entry"][3]["resource"]["id"] = "0b5d2f4e-6a41-4c3e-9d8e-2f1b7a6c5d40"


def _quoted_provenance_activity(ack: dict[str, Any]) -> None:
    ack["entry"][3]["resource"]["activity"]["coding"][0]["code"] = "revise-admit-inpatient"


@pytest.mark.parametrize("mutate,expected", [
    (_sender_gln_of_original_sender, [("medcom.state.ack-sender", "Bundle.entry[1].resource.identifier[1].value")]),
    (_sender_sor, [("medcom.state.ack-sender", "Bundle.entry[1].resource.identifier[0].value")]),
    (_source_endpoint, [("medcom.state.ack-sender", f"{HEADER}.source.endpoint")]),
    (_destination_endpoint, [("medcom.state.ack-receiver", f"{HEADER}.destination[0].endpoint")]),
    (_receiver_gln, [("medcom.state.ack-receiver", "Bundle.entry[2].resource.identifier[1].value")]),
    (_quoted_provenance_id, [("medcom.state.ack-provenance", "Bundle.entry[3].resource.id")]),
    (_quoted_provenance_activity, [("medcom.state.ack-provenance", "Bundle.entry[3].resource.activity")]),
], ids=lambda v: getattr(v, "__name__", ""))
def test_acknowledgement_against_the_acknowledged_message(tmp_path: Path, mutate: Any,
                                                          expected: list[tuple[str, str]]) -> None:
    ack = load(ACK)
    mutate(ack)
    assert observed(tmp_path / "s.db", load(STIN), ack) == expected


def test_swapped_addressing_reports_both_ends(tmp_path: Path) -> None:
    """The acknowledgement sent as if it were the original: from the hospital to the municipality."""
    ack = load(ACK)
    header = ack["entry"][0]["resource"]
    header["sender"], header["destination"][0]["receiver"] = header["destination"][0]["receiver"], header["sender"]
    header["source"]["endpoint"], header["destination"][0]["endpoint"] = \
        header["destination"][0]["endpoint"], header["source"]["endpoint"]
    found = observed(tmp_path / "s.db", load(STIN), ack)
    assert found == sorted([
        ("medcom.state.ack-receiver", "Bundle.entry[1].resource.identifier[0].value"),
        ("medcom.state.ack-receiver", "Bundle.entry[1].resource.identifier[1].value"),
        ("medcom.state.ack-receiver", f"{HEADER}.destination[0].endpoint"),
        ("medcom.state.ack-sender", "Bundle.entry[2].resource.identifier[0].value"),
        ("medcom.state.ack-sender", "Bundle.entry[2].resource.identifier[1].value"),
        ("medcom.state.ack-sender", f"{HEADER}.source.endpoint"),
    ])


def test_unknown_message_is_correlated_by_id_only(tmp_path: Path) -> None:
    ack = load(ACK)
    _sender_sor(ack)
    ack["entry"][0]["resource"]["response"]["identifier"] = "5e0c8f3a-1d2b-4c6e-8f9a-0b1c2d3e4f50"
    assert observed(tmp_path / "s.db", load(STIN), ack) == [
        ("medcom.state.ack-unknown-message", f"{HEADER}.response.identifier")]


def test_message_recorded_without_a_route_is_correlated_by_id_only(tmp_path: Path) -> None:
    """A database written before routes were recorded has the message but no route."""
    db = tmp_path / "s.db"
    assert observed(db, load(STIN)) == []
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM routes")
    ack = load(ACK)
    _sender_sor(ack)
    assert observed(db, ack) == []


def test_an_acknowledgement_arriving_first_is_unknown_then_the_message_is_new(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert observed(db, load(ACK)) == [("medcom.state.ack-unknown-message", f"{HEADER}.response.identifier")]
    assert observed(db, load(STIN)) == []


# ---------------------------------------------------------------------------- command line


def test_cli_state_correlates_acknowledgements(tmp_path: Path) -> None:
    first = load(ACK)
    text = data(first).replace(first["id"], "c3a4e5f6-0718-4293-a4b5-c6d7e8f90a1b")
    wrong = json.loads(text.replace(first["entry"][0]["resource"]["id"], "d4b5f607-1829-43a4-b5c6-d7e8f90a1b2c"))
    _destination_endpoint(wrong)  # a second acknowledgement (new ids) sent to the wrong endpoint
    (tmp_path / "wrong.json").write_text(data(wrong), encoding="utf-8")
    db = str(tmp_path / "state.db")
    files = [str(FOLDER / f"{STIN}.json"), str(FOLDER / f"{ACK}.json"), str(tmp_path / "wrong.json")]
    result = CliRunner().invoke(main, ["check", "--format", "json", "--state", db, *files])
    reports = json.loads(result.output)["reports"]
    found = [[(i["rule"], i["location"]["path"], i["location"]["line"]) for i in r["issues"]] for r in reports]
    lines = data(wrong).splitlines()
    destination = next(n for n, text in enumerate(lines) if '"destination"' in text)
    line = next(n for n, text in enumerate(lines[destination:], destination + 1) if '"endpoint"' in text)
    assert found == [[], [], [("medcom.state.ack-receiver", f"{HEADER}.destination[0].endpoint", line)]]
    assert result.exit_code == 1


def test_cli_state_acknowledgement_of_a_carecommunication(tmp_path: Path) -> None:
    db = str(tmp_path / "state.db")
    files = [str(FOLDER / "carecommunication-reply-message.json"),
             str(FOLDER / "acknowledgement-ok-carecommunication.json")]
    result = CliRunner().invoke(main, ["check", "--format", "json", "--state", db, *files])
    reports = json.loads(result.output)["reports"]
    assert [(r["standard"], r["issues"]) for r in reports] == [
        ("medcom.carecommunication", []), ("medcom.acknowledgement", [])]
    assert result.exit_code == 0


# ------------------------------------------------- an Acknowledgement of a CareCommunication


def _quoted_in_message(ack: dict[str, Any], message: dict[str, Any]) -> tuple[int, int]:
    """Entry indexes of the quoted Provenance in the Acknowledgement and of the same one in the message."""
    acked = ack["entry"][0]["resource"]["response"]["identifier"]
    in_ack = next(i for i, e in enumerate(ack["entry"]) if e["resource"]["resourceType"] == "Provenance"
                  and e["resource"]["target"][0]["reference"] == f"MessageHeader/{acked}")
    pid = ack["entry"][in_ack]["resource"]["id"]
    in_message = next(i for i, e in enumerate(message["entry"]) if e["resource"].get("id") == pid)
    return in_ack, in_message


def _engine(bundle: dict[str, Any], index: int) -> list[tuple[str, str, str]]:
    """Engine findings (rule, path below the entry, message) located in one entry."""
    prefix = f"Bundle.entry[{index}].resource"
    return sorted((i.rule_id, i.location.path[len(prefix):], i.message) for i in validate(data(bundle)).issues
                  if i.rule_id.startswith("fhir.") and i.location.path.startswith(prefix))


@pytest.mark.parametrize("change", [
    "activity-not-carecommunication", "no-payload-entity", "entity-role-removal", "no-occurred", "cc-slice-what",
])
def test_quoted_carecommunication_provenance_gets_the_carecommunication_findings(change: str) -> None:
    """The Acknowledgement's package set adds the CareCommunication package on the 2.1.0 line (the
    messaging 2.1.0 and 4.0.2 canonicals cannot share one set of definitions); the quoted Provenance
    gets the same engine findings there as in its own message checked with its own package set."""
    ack, message = load("acknowledgement-ok-carecommunication"), load("carecommunication-reply-message")
    in_ack, in_message = _quoted_in_message(ack, message)
    for bundle, index in ((ack, in_ack), (message, in_message)):
        prov = bundle["entry"][index]["resource"]
        if change == "activity-not-carecommunication":
            prov["activity"]["coding"][0]["code"] = "admit-inpatient"
        elif change == "no-payload-entity":
            prov["entity"] = [e for e in prov["entity"] if e["role"] != "source"]
        elif change == "entity-role-removal":
            prov["entity"].append({"role": "removal", "what": {"reference": "MessageHeader/x"}})
        elif change == "no-occurred":
            del prov["occurredDateTime"]
        else:
            del next(e for e in prov["entity"] if e["role"] == "source")["what"]["identifier"]
    in_ack_findings = _engine(ack, in_ack)
    assert in_ack_findings, f"{change}: no engine finding"
    assert in_ack_findings == _engine(message, in_message)


def test_clean_acknowledgement_of_a_carecommunication() -> None:
    report = validate(FOLDER / "acknowledgement-ok-carecommunication.json")
    assert report.standard_ref == "medcom.acknowledgement@2.0.3" and report.issues == []
    unchanged = copy.deepcopy(load("acknowledgement-ok-carecommunication"))
    assert unchanged["entry"][3]["resource"]["meta"]["profile"] == [
        "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-careCommunication-provenance"]
