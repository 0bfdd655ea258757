"""Receiver-side state: MedCom's reliable-messaging table, acknowledgement correlation, the CLI
option, and two processes writing one database at once."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from dkhealth_conformance.cli import main
from dkhealth_conformance.packs.medcom_fhir.state import MessageState


def message(bundle_id: str, header_id: str, event: str = "care-communication-message",
            response: dict[str, Any] | None = None) -> dict[str, Any]:
    header: dict[str, Any] = {"resourceType": "MessageHeader", "id": header_id, "eventCoding": {"code": event},
                              "sender": {"reference": "Organization/s"}}
    if response:
        header["response"] = response
    return {"resourceType": "Bundle", "id": bundle_id, "type": "message", "entry": [{"resource": header}]}


def rules(obs: Any) -> list[str]:
    return [i.rule_id for i in obs.issues]


def test_reliable_messaging_table(tmp_path: Path) -> None:
    with MessageState(tmp_path / "s.db") as state:
        first = state.observe(message("B1", "M1"))
        assert (first.status, rules(first)) == ("new", [])
        dup = state.observe(message("B1", "M1"))
        assert (dup.status, rules(dup)) == ("duplicate", ["medcom.state.duplicate"])
        resent = state.observe(message("B2", "M1"))
        assert (resent.status, rules(resent)) == ("retransmission", ["medcom.state.retransmission"])
        reused = state.observe(message("B1", "M2"))
        assert (reused.status, rules(reused)) == ("bundle-id-reused", ["medcom.state.bundle-id-reused"])
        assert state.message("M2") is None  # an error is not recorded as a message
        assert state.message("M1")["bundles"] == ["B1", "B2"]
        assert state.observe({"resourceType": "Bundle"}).status == "unidentified"


def test_acknowledgement_correlation(tmp_path: Path) -> None:
    ack = "acknowledgement-message"
    with MessageState(tmp_path / "s.db") as state:
        state.observe(message("B1", "M1"))
        assert state.unacknowledged() == ["M1"]
        ok = state.observe(message("B2", "A1", ack, {"identifier": "M1", "code": "ok"}))
        assert rules(ok) == [] and ok.acknowledges == "M1" and ok.acknowledged_known
        assert state.unacknowledged() == []
        assert [a["code"] for a in state.acknowledgements("M1")] == ["ok"]
        again = state.observe(message("B3", "A2", ack, {"identifier": "M1", "code": "fatal-error"}))
        assert rules(again) == ["medcom.state.ack-conflict"]
        unknown = state.observe(message("B4", "A3", ack, {"identifier": "nope", "code": "ok"}))
        assert rules(unknown) == ["medcom.state.ack-unknown-message"] and unknown.acknowledged_known is False
        loop = state.observe(message("B5", "A4", ack, {"identifier": "A1", "code": "ok"}))
        assert rules(loop) == ["medcom.state.ack-of-ack"]


def test_wal_mode(tmp_path: Path) -> None:
    MessageState(tmp_path / "s.db").close()
    with sqlite3.connect(tmp_path / "s.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _writer(args: tuple[str, int, int]) -> list[str]:
    path, worker, n = args
    statuses = []
    with MessageState(path) as state:
        for i in range(n):
            # both workers send the same messages: exactly one of them sees each as new
            statuses.append(state.observe(message(f"B{i}", f"M{i}")).status)
            statuses.append(state.observe(message(f"B{worker}-{i}", f"W{worker}-{i}")).status)
    return statuses


def test_two_processes_writing_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    n = 150
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.map(_writer, [(path, 0, n), (path, 1, n)])
    shared = [s for r in results for s in r[0::2]]
    assert shared.count("new") == n and shared.count("duplicate") == n
    assert all(s == "new" for r in results for s in r[1::2])
    with MessageState(path) as state:
        assert state.counts() == {"messages": 3 * n, "bundles": 3 * n, "acknowledgements": 0}
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_cli_state_option(tmp_path: Path, ) -> None:
    from dkhealth_conformance.strategies.medcom_fhir import care_communications

    from .test_pack import one

    bundle = one(care_communications(max_history=0))
    files = []
    for name in ("a.json", "b.json"):
        files.append(tmp_path / name)
        files[-1].write_text(json.dumps(bundle), encoding="utf-8")
    db = str(tmp_path / "state.db")
    result = CliRunner().invoke(main, ["check", "--format", "json", "--state", db, "--jobs", "2",
                                       str(files[0]), str(files[1])])
    reports = json.loads(result.output)["reports"]
    found = [sorted({i["rule"] for i in r["issues"]}) for r in reports]
    assert sorted(found) == [[], ["medcom.state.duplicate"]]
    assert result.exit_code == 0  # a duplicate is a warning
    without = CliRunner().invoke(main, ["check", "-q", str(files[0])])
    assert without.exit_code == 0
