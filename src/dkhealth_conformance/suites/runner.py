"""Running a suite: sender cases against the vendor's payloads, receiver cases through an adapter.

Each case ends ``pass``, ``fail`` (an expectation did not hold; the reasons say which) or
``error`` (the case could not be run: no payload, the receiver unreachable, a message that could
not be built). :class:`SuiteResult` serialises as the results JSON described in ``docs/suites.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .._version import __version__
from ..payload import from_bytes
from ..registry import Options
from ..validation import validate
from .adapters import Adapter, AdapterError
from .assertions import evaluate
from .model import RECEIVER, SENDER, Case, Suite, SuiteError
from .registry import ANSWERS, BUILDERS, CORRELATORS, BuildContext, BuildError, Built, Check, load_support

PASS, FAIL, ERROR = "pass", "fail", "error"
RESULTS_FORMAT = "dkhealth-suite-results/1"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class CaseResult:
    case: Case
    outcome: str
    reasons: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    finished: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.case.id, "title": self.case.title, "clause": self.case.clause, "kind": self.case.kind,
                "outcome": self.outcome, "reasons": self.reasons, "checks": [c.to_dict() for c in self.checks],
                "evidence": self.evidence, "started": self.started, "finished": self.finished}


@dataclass
class SuiteResult:
    suite: Suite
    role: str
    adapter: dict[str, Any]
    cases: list[CaseResult]
    started: str
    finished: str
    seed: str | None = None
    payloads: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {o: sum(1 for c in self.cases if c.outcome == o) for o in (PASS, FAIL, ERROR)}

    @property
    def outcome(self) -> str:
        counts = self.counts
        return ERROR if counts[ERROR] else FAIL if counts[FAIL] else PASS

    @property
    def passed(self) -> bool:
        return self.outcome == PASS

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": RESULTS_FORMAT,
            "tool": {"name": "dkhealth-conformance", "version": __version__},
            "suite": {"id": self.suite.id, "name": self.suite.name, "title": self.suite.title,
                      "standard": list(self.suite.standards), "role": self.suite.role, "source": self.suite.source,
                      "sha256": self.suite.digest},
            "run": {"role": self.role, "adapter": self.adapter, "seed": self.seed,
                    "started": self.started, "finished": self.finished},
            "summary": {"outcome": self.outcome, "cases": len(self.cases), **self.counts},
            "payloads": self.payloads,
            "cases": [c.to_dict() for c in self.cases],
        }


def _finish(result: CaseResult) -> CaseResult:
    failed = [c for c in result.checks if not c.ok]
    if result.outcome != ERROR:
        result.outcome = FAIL if failed else PASS
    result.reasons += [c.detail or f"{c.name} failed" for c in failed]
    result.finished = _now()
    return result


# ------------------------------------------------------------------------------------- sender


def payload_map(source: str | Path, suite: Suite) -> dict[str, Path]:
    """Payload files by case id: a folder with files named ``<case id>.<ext>``, or a YAML/JSON
    mapping file ``{case id: path}`` (paths relative to the mapping file)."""
    source = Path(source)
    if source.is_dir():
        found: dict[str, Path] = {}
        for case in suite.cases:
            matches = sorted(p for p in source.glob(f"{case.id}.*") if p.is_file())
            if len(matches) > 1:
                raise SuiteError(f"{source}: more than one payload for case {case.id}: "
                                 f"{', '.join(p.name for p in matches)}")
            if matches:
                found[case.id] = matches[0]
        return found
    if source.is_file():
        try:
            mapping = yaml.safe_load(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise SuiteError(f"{source}: cannot read the payload mapping: {exc}") from None
        if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in mapping.items()):
            raise SuiteError(f"{source}: the payload mapping must map case ids to file paths")
        unknown = set(mapping) - {c.id for c in suite.cases}
        if unknown:
            raise SuiteError(f"{source}: no case(s) {', '.join(sorted(unknown))} in suite {suite.id}")
        return {k: source.parent / v for k, v in mapping.items()}
    raise SuiteError(f"payloads {str(source)!r}: no such folder or mapping file")


def _standard_matches(expected: str, report_standard: str | None, report_ref: str | None) -> bool:
    return expected == (report_ref if "@" in expected else report_standard)


def check_payload(case: Case, data: bytes, name: str) -> tuple[list[Check], dict[str, Any]]:
    """Validate a sender's payload and check the case's expectations on it."""
    expect = case.expect
    options = Options()
    folder = None
    if case.given is not None:
        folder = tempfile.TemporaryDirectory(prefix="dkhealth-given-")
        (Path(folder.name) / case.given.name).write_bytes(case.given.read_bytes())
        options = Options(extra={"correlate": folder.name})
    try:
        report = validate(data, name=name, options=options)
    finally:
        if folder is not None:
            folder.cleanup()
    found = report.rule_ids()
    evidence: dict[str, Any] = {"report": {"standard": report.standard_ref, "valid": report.valid,
                                           "verdict": report.verdict, "rule_ids": found}}
    checks: list[Check] = []
    if "valid" in expect:
        errors = [f"{i.rule_id} at {i.location}: {i.message}" for i in report.issues
                  if i.severity.value in ("fatal", "error")]
        if expect["valid"]:
            checks.append(Check("valid", report.valid, "not valid: " + "; ".join(errors[:5])
                                + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else "")))
        else:
            checks.append(Check("invalid", not report.valid, "expected an invalid payload, it is valid"))
    if "standard" in expect:
        ok = _standard_matches(expect["standard"], report.standard, report.standard_ref)
        checks.append(Check("standard", ok, f"standard is {report.standard_ref or 'not recognised'}, "
                                            f"expected {expect['standard']}"))
    for rule in expect.get("absent_rules", ()):
        checks.append(Check(f"absent {rule}", rule not in found, f"rule {rule} reported"))
    for rule in expect.get("present_rules", ()):
        checks.append(Check(f"present {rule}", rule in found, f"rule {rule} not reported"))
    if expect.get("assert"):
        loaded = from_bytes(name, data)
        document = loaded.xml.getroot() if loaded.xml is not None else loaded.json
        kind = "xml" if loaded.xml is not None else loaded.format
        checks += [evaluate(a, document, kind) for a in expect["assert"]]
    if expect.get("answers_given"):
        if case.given is None:
            raise SuiteError(f"case {case.id}: answers_given needs a given message")
        given = case.given.read_bytes()
        correlator = CORRELATORS.get(from_bytes(case.given.name, given).format)
        if correlator is None:
            checks.append(Check("answers_given", False, "no correlation for the given message's format"))
        else:
            more, more_evidence = correlator(data, given)
            checks += more
            evidence["correlation"] = more_evidence
    return checks, evidence


def run_sender(suite: Suite, payloads: dict[str, Path], cases: list[str] | None = None) -> SuiteResult:
    """Check the vendor's payload for each case (a case without a payload is an error)."""
    load_support()
    if suite.role != SENDER:
        raise SuiteError(f"suite {suite.id} is a {suite.role} suite")
    started = _now()
    results: list[CaseResult] = []
    digests: list[dict[str, Any]] = []
    for case in _selected(suite, cases):
        result = CaseResult(case, PASS, started=_now())
        path = payloads.get(case.id)
        if path is None:
            result.outcome = ERROR
            result.reasons.append(f"no payload for case {case.id} (a file named {case.id}.xml, or an entry "
                                  "in the mapping file)")
            results.append(_finish(result))
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            result.outcome = ERROR
            result.reasons.append(f"cannot read {path}: {exc}")
            results.append(_finish(result))
            continue
        entry = {"case": case.id, "role": "payload", "name": path.name, "sha256": _sha256(data), "size": len(data)}
        digests.append(entry)
        result.evidence["payload"] = entry
        if case.given is not None:
            given = case.given.read_bytes()
            digests.append({"case": case.id, "role": "given", "name": case.given.name, "sha256": _sha256(given),
                            "size": len(given)})
        result.checks, evidence = check_payload(case, data, path.name)
        result.evidence.update(evidence)
        results.append(_finish(result))
    return SuiteResult(suite, SENDER, {"kind": "payloads"}, results, started, _now(), payloads=digests)


def _selected(suite: Suite, cases: list[str] | None) -> list[Case]:
    if not cases:
        return list(suite.cases)
    unknown = [c for c in cases if c not in {x.id for x in suite.cases}]
    if unknown:
        raise SuiteError(f"no case(s) {', '.join(unknown)} in suite {suite.id}")
    return [c for c in suite.cases if c.id in cases]


# ----------------------------------------------------------------------------------- receiver


def run_receiver_case(suite: Suite, case: Case, adapter: Adapter, seed: str,
                      digests: list[dict[str, Any]] | None = None) -> CaseResult:
    """Send each step's message to the receiver and check what it did and answered."""
    load_support()
    result = CaseResult(case, PASS, started=_now())
    sent: list[Built] = []
    steps: list[dict[str, Any]] = []
    result.evidence["steps"] = steps
    for n, step in enumerate(case.steps, start=1):
        record: dict[str, Any] = {"step": n, "builder": step.builder}
        steps.append(record)
        try:
            built = BUILDERS[step.builder](step.params, BuildContext(suite, case, n, seed, sent))
        except BuildError as exc:
            result.outcome = ERROR
            result.reasons.append(f"step {n}: cannot build the message: {exc}")
            break
        sent.append(built)
        record["sent"] = {"name": built.name, "sha256": _sha256(built.data), "size": len(built.data), **built.info}
        if digests is not None:
            digests.append({"case": case.id, "step": n, "role": "sent", "name": built.name,
                            "sha256": _sha256(built.data), "size": len(built.data)})
        try:
            delivery = adapter.deliver(built.data, built.name)
        except AdapterError as exc:
            result.outcome = ERROR
            result.reasons.append(f"step {n}: {exc}")
            break
        record["received"] = {"accepted": delivery.accepted, "processed": delivery.processed,
                              "detail": delivery.detail,
                              "answer": None if not delivery.answer else
                              {"sha256": _sha256(delivery.answer), "size": len(delivery.answer)}}
        if digests is not None and delivery.answer:
            digests.append({"case": case.id, "step": n, "role": "answer", "name": f"{case.id}-step{n}-answer",
                            "sha256": _sha256(delivery.answer), "size": len(delivery.answer)})
        checks = _step_checks(step.expect, built, delivery, record)
        if "same_answer" in step.expect:
            checks.append(_same_answer(steps[step.expect["same_answer"] - 1], record, step.expect["same_answer"]))
        for check in checks:
            check.name = f"step {n}: {check.name}"
            if not check.ok:
                check.detail = f"step {n} ({step.builder}): {check.detail or check.name}"
        result.checks += checks
    return _finish(result)


def _step_checks(expect: dict[str, Any], built: Built, delivery: Any, record: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    wanted = expect["accepted"]
    how = f" ({delivery.detail})" if delivery.detail else ""
    checks.append(Check("accepted", delivery.accepted == wanted,
                        f"the receiver {'rejected' if wanted else 'accepted'} the message{how}; expected it to "
                        f"{'accept' if wanted else 'reject'} it" + (f" ({built.info['mutation']})"
                                                                    if "mutation" in built.info else "")))
    if "processed" in expect:
        if delivery.processed is None:
            record["processed"] = "not reported by the receiver; not checked"
        else:
            checks.append(Check("processed", delivery.processed == expect["processed"],
                                "the receiver processed the message again" if expect["processed"] is False
                                else "the receiver did not process the message"))
    answer_kind = expect.get("answer", "any")
    more, evidence = ANSWERS[answer_kind](delivery.answer, built)
    checks += more
    record.update(evidence)
    if expect.get("assert"):
        if not delivery.answer:
            checks.append(Check("assert", False, "no answer to check the assertions on"))
        else:
            loaded = from_bytes("answer", delivery.answer)
            document = loaded.xml.getroot() if loaded.xml is not None else loaded.json
            kind = "xml" if loaded.xml is not None else loaded.format
            checks += [evaluate(a, document, kind) for a in expect["assert"]]
    return checks


def _answer_signature(record: dict[str, Any]) -> tuple[Any, Any, Any]:
    """What a duplicate must answer alike: acceptance, the answer's standard and its response code."""
    received = record.get("received") or {}
    answer = (record.get("answer") or {}) if received.get("answer") else {}
    return received.get("accepted"), answer.get("standard"), answer.get("code")


def _describe(signature: tuple[Any, Any, Any]) -> str:
    accepted, standard, code = signature
    what = "accepted" if accepted else "rejected"
    answer = " ".join(str(x) for x in (standard, code) if x) or "no answer"
    return f"{what}, {answer}"


def _same_answer(earlier: dict[str, Any], record: dict[str, Any], number: int) -> Check:
    """The receiver must answer this step as it answered step ``number`` (never positive first and
    negative later, or the other way round)."""
    before, now = _answer_signature(earlier), _answer_signature(record)
    return Check("same_answer", before == now,
                 "" if before == now else f"the answer differs from step {number}'s: step {number} "
                 f"{_describe(before)}; this step {_describe(now)}")


def new_seed() -> str:
    """A fresh run seed (identifiers differ between runs unless a seed is given)."""
    return secrets.token_hex(6)


def run_receiver(suite: Suite, adapter: Adapter, seed: str | None = None,
                 cases: list[str] | None = None) -> SuiteResult:
    load_support()
    if suite.role != RECEIVER:
        raise SuiteError(f"suite {suite.id} is a {suite.role} suite")
    seed = seed or new_seed()
    started = _now()
    digests: list[dict[str, Any]] = []
    results = [run_receiver_case(suite, case, adapter, seed, digests) for case in _selected(suite, cases)]
    return SuiteResult(suite, RECEIVER, {"kind": adapter.kind, "target": adapter.target}, results, started, _now(),
                       seed=seed, payloads=digests)


# ------------------------------------------------------------------------------------ output


def format_case(result: CaseResult) -> str:
    line = f"{result.outcome.upper():5} {result.case.id}  {result.case.title}"
    return "\n".join([line, *(f"      - {r}" for r in result.reasons)])


def format_result(result: SuiteResult) -> str:
    lines = [f"suite {result.suite.id} ({result.suite.name}, {result.role}), sha256 {result.suite.digest[:12]}"]
    if result.seed:
        lines.append(f"seed {result.seed}; receiver {result.adapter.get('kind')} {result.adapter.get('target')}")
    lines += [format_case(c) for c in result.cases]
    counts = result.counts
    lines.append(f"{result.outcome.upper()}: {counts[PASS]} passed, {counts[FAIL]} failed, {counts[ERROR]} error(s) "
                 f"of {len(result.cases)} case(s)")
    return "\n".join(lines)


def write_given(suite: Suite, folder: str | Path) -> list[Path]:
    """Copy the messages the suite gives the vendor (per case) into ``folder``, named by case id."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for case in suite.cases:
        if case.given is not None:
            target = folder / f"{case.id}.given{case.given.suffix}"
            target.write_bytes(case.given.read_bytes())
            written.append(target)
    return written


__all__ = ["ERROR", "FAIL", "PASS", "CaseResult", "SuiteResult", "check_payload", "format_result", "new_seed",
           "payload_map", "run_receiver", "run_receiver_case", "run_sender", "write_given"]
