"""Suite support for MedCom OIOXML: the letters receiver cases send, and the receipt checks.

Builders (deterministic: the same run seed gives the same bytes):

- ``letter: {type, version, acknowledgement, status, letters, encoding, generated}`` — a valid
  Emessage made from the bundled example letter of that type and version
  (``examples/medcom-oioxml/``), or with ``generated: true`` from a model-driven generated one
  (:func:`dkhealth_conformance.generate.generate`, seeded from the run), with identifiers of this
  run, the requested ``AcknowledgementCode`` and ``StatusCode``, and ``letters`` copies of the
  letter (each with its own identifier);
- ``invalid_letter: {operator, ...}`` — the same letter broken by one mutation operator named as
  in :data:`dkhealth_conformance.xmlmodel.strategies.OPERATORS`; the result is checked with
  :func:`~dkhealth_conformance.validate` to report the operator's rule id before it is sent.

Answer kinds: ``positive-receipt`` (XCTL03), ``negative-receipt`` (XCTL02 with a RefuseCode),
``receipt`` (either), ``optional-receipt`` (none, or a receipt); each receipt must be valid and
correlate with the Emessage it answers (:func:`..packs.oioxml.receipts.correlate`).
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

from lxml import etree

from .. import payload as payload_mod
from ..data import examples_dir
from ..registry import Options
from ..validation import validate
from ..xmlmodel.strategies import OPERATORS
from .registry import (
    BuildContext,
    BuildError,
    Built,
    Check,
    register_answer,
    register_builder,
    register_correlator,
    register_resender,
)

RECEIPT_TYPES = {"positive": "medcom.oioxml.XCTL03", "negative": "medcom.oioxml.XCTL02"}
LETTER_DEFAULTS = {"type": "XDIS91", "version": "XD9134L", "acknowledgement": "pluspositivkvitt",
                   "status": "nytbrev", "letters": 1, "encoding": "UTF-8", "generated": False}


def _local(node: Any) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _child(node: Any, *path: str) -> Any:
    for name in path:
        node = next((c for c in node if _local(c) == name), None)
        if node is None:
            return None
    return node


def _letters(root: Any) -> list[Any]:
    return [c for c in root if _local(c) not in ("", "Envelope") and _child(c, "Letter") is not None]


def _template(type_code: str, version: str) -> Path:
    folder = examples_dir() / "medcom-oioxml"
    found = sorted(folder.glob(f"{type_code.lower()}-{version}-*.xml"), key=lambda p: ("windows" in p.name, p.name))
    if not found:
        raise BuildError(f"no example letter {type_code} {version} to build from in {folder}")
    return found[0]


def _params(given: Any, allowed: set[str]) -> dict[str, Any]:
    params = dict(LETTER_DEFAULTS)
    if not isinstance(given, dict):
        raise BuildError(f"expected a mapping of parameters, got {given!r}")
    unknown = set(given) - allowed
    if unknown:
        raise BuildError(f"unknown parameter(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(allowed))}")
    params.update(given)
    return params


def _make(params: dict[str, Any], context: BuildContext) -> Any:
    """The template as an lxml tree with this run's identifiers and the requested header codes."""
    parser = payload_mod.xml_parser()
    if params["generated"]:
        from ..generate import GenerationError, generate

        seed = int(context.identifier("", "generated", length=12), 16)
        try:
            base = generate(f"medcom.oioxml.{params['type']}@{params['version']}", 1, seed)[0].document
        except GenerationError as exc:
            raise BuildError(str(exc)) from None
    else:
        base = _template(params["type"], params["version"]).read_bytes()
    root = etree.fromstring(base, parser)
    _child(root, "Envelope", "Identifier").text = context.identifier("E")
    _child(root, "Envelope", "AcknowledgementCode").text = params["acknowledgement"]
    letters = _letters(root)
    first = letters[0]
    for extra in letters[1:]:
        root.remove(extra)
    for _ in range(1, int(params["letters"])):
        _letters(root)[-1].addnext(copy.deepcopy(first))
    for n, letter in enumerate(_letters(root), start=1):
        _child(letter, "Letter", "Identifier").text = context.identifier("L", n)
        status = _child(letter, "Letter", "StatusCode")
        if status is not None:
            status.text = params["status"]
    return root


def _built(root: Any, params: dict[str, Any], context: BuildContext, **info: Any) -> Built:
    data = etree.tostring(root, xml_declaration=True, encoding=params["encoding"])
    return Built(data, f"{context.case.id}-step{context.step}.xml", "oioxml", {**sent_facts(data), **info})


def _text(node: Any, *path: str) -> str | None:
    found = _child(node, *path) if node is not None else None
    return (found.text or "").strip() if found is not None else None


def sent_facts(data: bytes) -> dict[str, Any]:
    """Envelope identifier, AcknowledgementCode and letters (identifier, VersionCode) of an Emessage."""
    loaded = payload_mod.from_bytes("message", data)
    if loaded.xml is None:
        return {}
    root = loaded.xml.getroot()
    return {
        "envelope": _text(root, "Envelope", "Identifier"),
        "acknowledgement": _text(root, "Envelope", "AcknowledgementCode"),
        "letters": [{"identifier": _text(x, "Letter", "Identifier"), "version": _text(x, "Letter", "VersionCode")}
                    for x in _letters(root)],
    }


SAME_PARAMS = ("same_envelope", "same_letters")


def _earlier(value: Any, name: str, context: BuildContext) -> dict[str, Any]:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value < context.step:
        raise BuildError(f"{name} must name an earlier step (1..{context.step - 1}), not {value!r}")
    return sent_facts(context.sent[value - 1].data)


def _same_ids(root: Any, params: dict[str, Any], context: BuildContext) -> None:
    """``same_envelope: N`` reuses step N's Envelope/Identifier, ``same_letters: N`` its letter identifiers."""
    if params.get("same_envelope") is not None:
        _child(root, "Envelope", "Identifier").text = _earlier(params["same_envelope"], "same_envelope",
                                                               context)["envelope"]
    if params.get("same_letters") is not None:
        letters = _earlier(params["same_letters"], "same_letters", context)["letters"]
        for letter, earlier in zip(_letters(root), letters, strict=False):
            _child(letter, "Letter", "Identifier").text = earlier["identifier"]


@register_builder("letter")
def build_letter(given: Any, context: BuildContext) -> Built:
    params = _params(given, {*LETTER_DEFAULTS, *SAME_PARAMS})
    root = _make(params, context)
    _same_ids(root, params, context)
    built = _built(root, params, context)
    report = validate(built.data)
    if not report.valid:
        raise BuildError(f"the built letter is not valid: {', '.join(report.rule_ids())}")
    return built


# ------------------------------------------------------------------------------------ mutation


def _mutate(root: Any, operator: str) -> str:
    """Break the first letter of ``root`` as ``operator`` says; returns what was done."""
    letter = _letters(root)[0]
    patient = _child(letter, "Patient")
    if operator == "missing-element":
        surname = _child(patient, "PersonSurnameName")
        patient.remove(surname)
        return "Patient/PersonSurnameName removed"
    if operator == "unexpected-element":
        extra = etree.Element(etree.QName(letter, "UnexpectedElement").text)
        extra.text = "not in the schema"
        _child(letter, "Sender").addnext(extra)
        return "<UnexpectedElement> inserted after Sender"
    if operator == "order":
        sender, receiver = _child(letter, "Sender"), _child(letter, "Receiver")
        sender.addprevious(receiver)
        return "Receiver moved before Sender"
    if operator == "enumeration":
        _child(root, "Envelope", "AcknowledgementCode").text = "kvittering"
        return "Envelope/AcknowledgementCode set to 'kvittering'"
    if operator == "length":
        _child(patient, "PersonSurnameName").text = "Elmer" * 15
        return "Patient/PersonSurnameName made 75 characters long"
    if operator == "impossible-date":
        _child(letter, "Letter", "Authorisation", "Date").text = "2023-02-30"
        return "Letter/Authorisation/Date set to 2023-02-30"
    if operator == "cpr-date":
        cpr = _child(patient, "CivilRegistrationNumber")
        if cpr is None:
            raise BuildError("the template letter has no CivilRegistrationNumber")
        cpr.text = "3102" + (cpr.text or "0000000000")[4:]
        return "Patient/CivilRegistrationNumber given day 31 February"
    raise BuildError(f"operator {operator!r} is not available to invalid_letter; known: {', '.join(MUTATIONS)}")


MUTATIONS = ("missing-element", "unexpected-element", "order", "enumeration", "length", "impossible-date",
             "cpr-date")


@register_builder("invalid_letter")
def build_invalid_letter(given: Any, context: BuildContext) -> Built:
    params = _params(given, {*LETTER_DEFAULTS, *SAME_PARAMS, "operator"})
    operator = params.get("operator", "missing-element")
    if operator not in MUTATIONS:
        raise BuildError(f"operator {operator!r} is not available to invalid_letter; known: {', '.join(MUTATIONS)}")
    root = _make(params, context)
    _same_ids(root, params, context)
    done = _mutate(root, operator)
    rule = OPERATORS[operator].rule_id
    built = _built(root, params, context, operator=operator, mutation=done, rule=rule)
    found = validate(built.data).rule_ids()
    if rule not in found:
        raise BuildError(f"mutation {operator} ({done}) did not give {rule}; found {', '.join(found) or 'nothing'}")
    return built


@register_resender("oioxml")
def resend_letter(earlier: Built, context: BuildContext) -> Built:
    """A resend of an Emessage: the same letters (same Letter/Identifier) in a new envelope (a new
    Envelope/Identifier, Envelope/Sent 30 minutes later), in the encoding it was sent in."""
    import datetime as dt

    tree = etree.fromstring(earlier.data, payload_mod.xml_parser()).getroottree()
    root = tree.getroot()
    _child(root, "Envelope", "Identifier").text = context.identifier("E")
    date, time = _child(root, "Envelope", "Sent", "Date"), _child(root, "Envelope", "Sent", "Time")
    if date is not None and time is not None:
        try:
            moment = dt.datetime.fromisoformat(f"{(date.text or '').strip()}T{(time.text or '').strip()}")
        except ValueError:
            moment = None
        if moment is not None:
            moment += dt.timedelta(minutes=30)
            date.text, time.text = moment.date().isoformat(), moment.strftime("%H:%M")
    data: bytes = etree.tostring(root, xml_declaration=True, encoding=tree.docinfo.encoding or "UTF-8")  # type: ignore[assignment]
    keep = {k: v for k, v in earlier.info.items() if k not in ("envelope", "acknowledgement", "letters")}
    return Built(data, f"{context.case.id}-step{context.step}.xml", "oioxml", {**sent_facts(data), **keep})


# -------------------------------------------------------------------------------------- answers


def receipt_checks(answer: bytes, sent: bytes, kind: str | None) -> tuple[list[Check], dict[str, Any]]:
    """Is ``answer`` a valid receipt (``kind`` positive/negative/None for either) that correlates
    with the Emessage ``sent`` and lists its letters?"""
    facts = sent_facts(sent)
    with tempfile.TemporaryDirectory(prefix="dkhealth-suite-") as folder:
        (Path(folder) / "sent.xml").write_bytes(sent)
        report = validate(answer, name="answer", options=Options(extra={"correlate": folder}))
    evidence: dict[str, Any] = {"answer": {"standard": report.standard_ref, "valid": report.valid,
                                           "rule_ids": report.rule_ids(), "sha256": report.digest}}
    checks: list[Check] = []
    expected = [RECEIPT_TYPES[kind]] if kind else list(RECEIPT_TYPES.values())
    is_receipt = report.standard in expected
    checks.append(Check("answer.kind", is_receipt,
                        "" if is_receipt else f"expected {' or '.join(expected)}, got "
                        f"{report.standard_ref or 'an unrecognised ' + report.format + ' payload'}"))
    problems = [f"{i.rule_id} at {i.location}: {i.message}" for i in report.issues
                if i.severity.value in ("fatal", "error")]
    checks.append(Check("answer.valid", not problems, "; ".join(problems[:5])))
    if not is_receipt:
        return checks, evidence
    root = payload_mod.from_bytes("answer", answer).xml.getroot()
    receipts = [c for c in root if _local(c) in ("PositiveReceipt", "NegativeReceipt", "NegativeVansReceipt")]
    original = _child(receipts[0], "OriginalEmessage") if receipts else None
    envelope = _text(original, "OriginalEnvelopeIdentifier")
    checks.append(Check("answer.envelope", envelope == facts.get("envelope"),
                        "" if envelope == facts.get("envelope") else
                        f"the receipt answers envelope {envelope!r}, the message sent was {facts.get('envelope')!r}"))
    listed = [_text(x, "OriginalLetterIdentifier") or "" for x in (original if original is not None else [])
              if _local(x) == "OriginalLetter"]
    evidence["answer"]["envelope"] = envelope
    evidence["answer"]["letters"] = listed
    if report.standard == RECEIPT_TYPES["positive"]:
        wanted = [x["identifier"] for x in facts.get("letters", [])]
        missing = [x for x in wanted if x not in listed]
        checks.append(Check("answer.letters", not missing,
                            "" if not missing else f"the receipt does not list letter(s) {', '.join(missing)}"))
    return checks, evidence


def _answer_kind(kind: str | None, optional: bool = False) -> Any:
    def check(answer: bytes | None, sent: Built) -> tuple[list[Check], dict[str, Any]]:
        if not answer:
            if optional:
                return [Check("answer.present", True, "no answer (allowed)")], {}
            wanted = f"a {kind} receipt" if kind else "a receipt"
            return [Check("answer.present", False, f"expected {wanted}, the receiver returned no answer")], {}
        return receipt_checks(answer, sent.data, kind)
    return check


register_answer("positive-receipt")(_answer_kind("positive"))
register_answer("negative-receipt")(_answer_kind("negative"))
register_answer("receipt")(_answer_kind(None))
register_answer("optional-receipt")(_answer_kind(None, optional=True))


@register_correlator("oioxml")
def answers_letter(payload: bytes, given: bytes) -> tuple[list[Check], dict[str, Any]]:
    """A sender's receipt must answer the Emessage the case gave it."""
    return receipt_checks(payload, given, None)
