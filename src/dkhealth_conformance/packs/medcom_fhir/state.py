"""Receiver-side state: duplicate detection and acknowledgement correlation, in SQLite.

MedCom's reliable messaging (reference §3.7) has the receiver check each incoming Bundle.id and
MessageHeader.id against what it has seen:

============  ==================  =========================================================
Bundle.id     MessageHeader.id    outcome
============  ==================  =========================================================
new           new                 ``new``: a new message, process it
known         known               ``duplicate``: the response was lost, resend it
new           known               ``retransmission``: a resend of a known message
known         new                 ``bundle-id-reused``: an error, Bundle.id is never reused
============  ==================  =========================================================

Acknowledgements are correlated with the messages they answer (``response.identifier``): an
acknowledgement of an unknown message, of an acknowledgement, or a second one with a different
code is reported. Each message's route is recorded too (the SOR code, GLN and endpoint of its
sender and primary receiver, and its own Provenance), so an acknowledgement is also checked to come
from the message's primary receiver, to go back to its sender, and to quote its latest Provenance.
A message recorded by an earlier version of this module (no route) is correlated by id only.

>>> with MessageState("state.db") as state:                       # doctest: +SKIP
...     outcome = state.observe(bundle, "letter.json")
...     outcome.status, [i.rule_id for i in outcome.issues]
('new', [])

The database is in WAL mode and every observation is one ``BEGIN IMMEDIATE`` transaction, so
several processes (``dkconform check --jobs N --state DB``, or separate runs) can share one file:
writers wait for each other (up to ``timeout`` seconds) and never see half an observation.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from ...report import Issue
from . import rules as R
from .message import Message, _activity, _destination_use, _list
from .standards import GLN_SYSTEM, SOR_SYSTEM

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    header_id   TEXT PRIMARY KEY,
    event       TEXT,
    sender      TEXT,
    first_seen  REAL NOT NULL,
    name        TEXT
);
CREATE TABLE IF NOT EXISTS bundles (
    bundle_id   TEXT PRIMARY KEY,
    header_id   TEXT NOT NULL,
    seen        REAL NOT NULL,
    name        TEXT
);
CREATE TABLE IF NOT EXISTS acknowledgements (
    ack_header_id   TEXT PRIMARY KEY,
    acknowledged_id TEXT NOT NULL,
    code            TEXT,
    seen            REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS acknowledgements_of ON acknowledgements (acknowledged_id);
CREATE TABLE IF NOT EXISTS routes (
    header_id           TEXT PRIMARY KEY,
    sender_sor          TEXT,
    sender_gln          TEXT,
    source_endpoint     TEXT,
    receiver_sor        TEXT,
    receiver_gln        TEXT,
    receiver_endpoint   TEXT,
    provenance_id       TEXT,
    activity            TEXT
);
"""
ACK_EVENT = "acknowledgement-message"


@dataclass
class Observation:
    """What the state says about one message."""

    bundle_id: str | None
    header_id: str | None
    #: ``new``, ``duplicate``, ``retransmission``, ``bundle-id-reused`` or ``unidentified``
    status: str
    issues: list[Issue] = field(default_factory=list)
    #: for an acknowledgement: the acknowledged MessageHeader.id and whether it is known
    acknowledges: str | None = None
    acknowledged_known: bool | None = None


def _header(bundle: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    for i, entry in enumerate(bundle.get("entry") or []):
        res = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(res, dict) and res.get("resourceType") == "MessageHeader":
            return i, res
    return None


class MessageState:
    """A state database (created when missing). Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._write(lambda db: [db.execute(statement) for statement in _statements()])

    def __enter__(self) -> MessageState:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def _write(self, work: Any) -> Any:
        """Run ``work(connection)`` in one ``BEGIN IMMEDIATE`` transaction (retrying while another
        process holds the write lock beyond the busy timeout is left to that timeout)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            result = work(self._db)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return result

    # ------------------------------------------------------------------------------ queries

    def message(self, header_id: str) -> dict[str, Any] | None:
        """The recorded message with this MessageHeader.id, or None."""
        row = self._db.execute("SELECT header_id, event, sender, first_seen, name FROM messages WHERE header_id = ?",
                               (header_id,)).fetchone()
        if row is None:
            return None
        bundles = [r[0] for r in self._db.execute(
            "SELECT bundle_id FROM bundles WHERE header_id = ? ORDER BY seen, bundle_id", (header_id,))]
        return {"header_id": row[0], "event": row[1], "sender": row[2], "first_seen": row[3], "name": row[4],
                "bundles": bundles}

    def acknowledgements(self, header_id: str) -> list[dict[str, Any]]:
        """The acknowledgements recorded for the message with this MessageHeader.id."""
        rows = self._db.execute("SELECT ack_header_id, code, seen FROM acknowledgements WHERE acknowledged_id = ? "
                                "ORDER BY seen, ack_header_id", (header_id,))
        return [{"ack_header_id": r[0], "code": r[1], "seen": r[2]} for r in rows]

    def unacknowledged(self) -> list[str]:
        """MessageHeader ids of recorded messages (not acknowledgements) without an acknowledgement."""
        rows = self._db.execute(
            "SELECT header_id FROM messages m WHERE (event IS NULL OR event != ?) AND NOT EXISTS "
            "(SELECT 1 FROM acknowledgements a WHERE a.acknowledged_id = m.header_id) ORDER BY first_seen, header_id",
            (ACK_EVENT,))
        return [r[0] for r in rows]

    def counts(self) -> dict[str, int]:
        return {table: self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("messages", "bundles", "acknowledgements")}

    # -------------------------------------------------------------------------- observation

    def observe(self, bundle: dict[str, Any], name: str | None = None) -> Observation:
        """Classify a received Bundle against the state and record it (one transaction)."""
        found = _header(bundle)
        bundle_id = bundle.get("id") if isinstance(bundle.get("id"), str) else None
        header = found[1] if found else {}
        header_id = header.get("id") if isinstance(header.get("id"), str) else None
        if bundle_id is None or header_id is None:
            return Observation(bundle_id, header_id, "unidentified")
        base = f"Bundle.entry[{found[0]}].resource" if found else "Bundle"
        coding = header.get("eventCoding")
        event = coding.get("code") if isinstance(coding, dict) else None
        sender = header.get("sender", {}).get("reference") if isinstance(header.get("sender"), dict) else None
        response = header.get("response") if isinstance(header.get("response"), dict) else None
        acked = response.get("identifier") if response else None
        code = response.get("code") if response else None
        now = time.time()
        route = Route.of(bundle)

        def work(db: sqlite3.Connection) -> Observation:
            known_bundle = db.execute("SELECT header_id FROM bundles WHERE bundle_id = ?", (bundle_id,)).fetchone()
            known_header = db.execute("SELECT 1 FROM messages WHERE header_id = ?", (header_id,)).fetchone()
            obs = Observation(bundle_id, header_id, "new")
            if known_bundle is not None and known_bundle[0] == header_id:
                obs.status = "duplicate"
                obs.issues.append(R.STATE_DUPLICATE.issue(
                    f"Bundle {bundle_id} with MessageHeader {header_id} was received before; resend the original "
                    "acknowledgement and do not show the message again", "Bundle.id"))
            elif known_bundle is not None:
                obs.status = "bundle-id-reused"
                obs.issues.append(R.STATE_BUNDLE_REUSED.issue(
                    f"Bundle.id {bundle_id} was received before with MessageHeader {known_bundle[0]}; this "
                    f"message (MessageHeader {header_id}) reuses it", "Bundle.id"))
            elif known_header is not None:
                obs.status = "retransmission"
                obs.issues.append(R.STATE_RETRANSMISSION.issue(
                    f"MessageHeader {header_id} was received before in another Bundle; this Bundle ({bundle_id}) is "
                    "a retransmission", f"{base}.id"))
            if obs.status != "bundle-id-reused":
                db.execute("INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?)",
                           (header_id, event, sender, now, name))
                db.execute("INSERT OR IGNORE INTO bundles VALUES (?, ?, ?, ?)", (bundle_id, header_id, now, name))
                db.execute("INSERT OR IGNORE INTO routes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (header_id, *route.row()))
            if isinstance(acked, str) and acked and event == ACK_EVENT:
                obs.acknowledges = acked
                self._correlate(db, obs, acked, code, header_id, base, now)
                if obs.acknowledged_known:
                    obs.issues += _route_issues(db, acked, route)
            return obs

        return self._write(work)

    @staticmethod
    def _correlate(db: sqlite3.Connection, obs: Observation, acked: str, code: Any, header_id: str, base: str,
                   now: float) -> None:
        where = f"{base}.response.identifier"
        target = db.execute("SELECT event FROM messages WHERE header_id = ?", (acked,)).fetchone()
        obs.acknowledged_known = target is not None
        if target is None:
            obs.issues.append(R.STATE_ACK_UNKNOWN.issue(
                f"the acknowledged MessageHeader {acked} is not in the state database", where))
        elif target[0] == ACK_EVENT:
            obs.issues.append(R.STATE_ACK_OF_ACK.issue(
                f"MessageHeader {acked} is an acknowledgement; acknowledgements are never acknowledged", where))
        earlier = db.execute("SELECT ack_header_id, code FROM acknowledgements WHERE acknowledged_id = ? AND "
                             "ack_header_id != ?", (acked, header_id)).fetchall()
        conflicting = sorted({row[1] for row in earlier if row[1] != code})
        if conflicting:
            obs.issues.append(R.STATE_ACK_CONFLICT.issue(
                f"MessageHeader {acked} was acknowledged before with {', '.join(map(repr, conflicting))}, now with "
                f"{code!r}", f"{base}.response.code"))
        db.execute("INSERT OR IGNORE INTO acknowledgements VALUES (?, ?, ?, ?)",
                   (header_id, acked, code if isinstance(code, str) else None, now))


@dataclass
class Party:
    """One end of a message: SOR code and GLN (with the paths of their values) and endpoint."""

    sor: str | None = None
    gln: str | None = None
    endpoint: str | None = None
    #: where each value is in the Bundle (``sor``, ``gln``, ``endpoint``, ``party``)
    paths: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    """Who sent a message to whom (sender and primary receiver), and its own Provenance."""

    sender: Party
    receiver: Party
    provenance_id: str | None = None
    activity: str | None = None
    #: the quoted Provenance of an Acknowledgement: (path, id, activity) of the one targeting the
    #: acknowledged MessageHeader
    quoted: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)

    def row(self) -> tuple[str | None, ...]:
        return (self.sender.sor, self.sender.gln, self.sender.endpoint, self.receiver.sor, self.receiver.gln,
                self.receiver.endpoint, self.provenance_id, self.activity)

    @classmethod
    def of(cls, bundle: dict[str, Any]) -> Route:
        msg = Message(bundle)
        header = msg.header or {}
        base = f"Bundle.entry[{msg.header_index}].resource"

        def party(ref: Any, where: str, endpoint: Any, endpoint_path: str) -> Party:
            out = Party(paths={"party": where})
            if isinstance(endpoint, str):
                out.endpoint, out.paths["endpoint"] = endpoint, endpoint_path
            found = msg.resolve(ref)
            if found is None or found[1].get("resourceType") != "Organization":
                return out
            for j, ident in enumerate(_list(found[1].get("identifier"))):
                if not isinstance(ident, dict) or not isinstance(ident.get("value"), str):
                    continue
                key = {SOR_SYSTEM: "sor", GLN_SYSTEM: "gln"}.get(ident.get("system"))  # type: ignore[arg-type]
                if key is not None and getattr(out, key) is None:
                    setattr(out, key, ident["value"])
                    out.paths[key] = f"Bundle.entry[{found[0]}].resource.identifier[{j}].value"
            return out

        source = header.get("source")
        sender = party(header.get("sender"), f"{base}.sender", source.get("endpoint")
                       if isinstance(source, dict) else None, f"{base}.source.endpoint")
        receiver = Party()
        for j, dest in enumerate(_list(header.get("destination"))):
            if isinstance(dest, dict) and _destination_use(dest) in (None, "primary"):
                receiver = party(dest.get("receiver"), f"{base}.destination[{j}].receiver", dest.get("endpoint"),
                                 f"{base}.destination[{j}].endpoint")
                break
        route = cls(sender, receiver)
        for index, prov in msg.of_type("Provenance"):
            target = msg.header_id_of((_list(prov.get("target")) or [None])[0])
            if target is None:
                continue
            pid = prov.get("id") if isinstance(prov.get("id"), str) else None
            if target == header.get("id"):
                route.provenance_id, route.activity = pid, _activity(prov)
            else:
                route.quoted.setdefault(target, (f"Bundle.entry[{index}].resource", pid, _activity(prov)))
        return route


def _route_issues(db: sqlite3.Connection, acked: str, ack: Route) -> list[Issue]:
    """The acknowledgement's route against the recorded route of the message it acknowledges."""
    row = db.execute("SELECT sender_sor, sender_gln, source_endpoint, receiver_sor, receiver_gln, receiver_endpoint, "
                     "provenance_id, activity FROM routes WHERE header_id = ?", (acked,)).fetchone()
    event = db.execute("SELECT event FROM messages WHERE header_id = ?", (acked,)).fetchone()
    if row is None or (event is not None and event[0] == ACK_EVENT):
        return []
    original_sender = Party(row[0], row[1], row[2])
    original_receiver = Party(row[3], row[4], row[5])
    out: list[Issue] = []
    for rule, mine, theirs, role, other in (
            (R.STATE_ACK_SENDER, ack.sender, original_receiver, "sender", "primary receiver"),
            (R.STATE_ACK_RECEIVER, ack.receiver, original_sender, "primary receiver", "sender")):
        for key, label in (("sor", "SOR code"), ("gln", "GLN"), ("endpoint", "endpoint")):
            value, recorded = getattr(mine, key), getattr(theirs, key)
            if value is None or recorded is None or value == recorded:
                continue
            out.append(rule.issue(f"the Acknowledgement's {role} has {label} {value}, but the {other} of the "
                                  f"acknowledged message {acked} has {recorded}",
                                  mine.paths.get(key, mine.paths.get("party", "Bundle"))))
    quoted = ack.quoted.get(acked)
    if quoted is not None and row[6] is not None:
        path, pid, activity = quoted
        if pid != row[6]:
            out.append(R.STATE_ACK_PROVENANCE.issue(f"the quoted Provenance is {pid}; the latest Provenance of the "
                                                    f"acknowledged message {acked} is {row[6]}", f"{path}.id"))
        elif activity != row[7]:
            out.append(R.STATE_ACK_PROVENANCE.issue(f"the quoted Provenance has activity {activity!r}; in the "
                                                    f"acknowledged message {acked} it has {row[7]!r}",
                                                    f"{path}.activity"))
    return out


def _statements() -> list[str]:
    return [s.strip() for s in SCHEMA.split(";") if s.strip()]
