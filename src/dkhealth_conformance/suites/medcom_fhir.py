"""Suite support for the MedCom FHIR messages: the messages receiver cases send, the
Acknowledgement answer kinds, the correlation of a sender's reply or acknowledgement with the
message a case gives it, and assertion paths on FHIR JSON.

Builders (deterministic: the same run seed gives the same bytes):

- ``carecommunication: {example, generated}`` and ``hospitalnotification: {example, generated}``
  — a valid message made from a bundled example (``examples/medcom-fhir/<example>.json``;
  defaults ``carecommunication-new-message`` and ``hospitalnotification-stin``) or, with
  ``generated: true``, drawn from :mod:`dkhealth_conformance.strategies.medcom_fhir` seeded from
  the run; either way with a Bundle.id and MessageHeader.id of this run, and checked valid before
  it is sent;
- ``invalid_medcom: {standard, operator}`` — a near miss of ``standard`` (``carecommunication``,
  ``hospitalnotification``) made by one operator of
  :data:`~dkhealth_conformance.strategies.medcom_fhir.MEDCOM_OPERATORS`, checked to report the
  operator's rule id before it is sent.

Answer kinds: ``acknowledgement-ok`` (response.code ``ok``), ``acknowledgement-error``
(``transient-error`` or ``fatal-error``, naming a bundled OperationOutcome) and
``acknowledgement`` (any code). Each answer must be a valid Acknowledgement whose
``response.identifier`` is the id of the MessageHeader sent.

Assertion paths (format ``fhir-json``) are a small FHIRPath subset after a leading ``/``:
``/Bundle.entry.resource.ofType(Provenance).where(activity.coding.code='reply-message').entity.role``.
Steps are element names (``name[n]`` picks the n-th, 0-based, as in FHIRPath), ``ofType(Type)``,
``where(path='value')``, ``first()`` and ``last()``; a collection is flattened at each step.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from typing import Any

from ..data import examples_dir
from ..validation import validate
from .registry import (
    BuildContext,
    BuildError,
    Built,
    Check,
    register_answer,
    register_builder,
    register_correlator,
    register_path_evaluator,
    register_resender,
)

ACKNOWLEDGEMENT = "medcom.acknowledgement"
KINDS = {"carecommunication": "carecommunication-new-message", "hospitalnotification": "hospitalnotification-stin"}
ERROR_CODES = ("transient-error", "fatal-error")


# ------------------------------------------------------------------------------------ paths

_CALL = re.compile(r"^(ofType|where|first|last)\((.*)\)$", re.S)
_NAME = re.compile(r"^([A-Za-z_][\w]*)(?:\[(\d+)\])?$")
_WHERE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*=\s*'([^']*)'\s*$")


def _split(path: str) -> list[str]:
    """Split on dots outside parentheses and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for char in path:
        if char == "'" and depth:
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if char == "." and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    if depth or quoted or any(not p for p in parts):
        raise ValueError(f"path {path!r}: unbalanced or empty step")
    return parts


def _flat(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        out.extend(value if isinstance(value, list) else [value])
    return out


def _select(items: list[Any], steps: list[str], path: str) -> list[Any]:
    current = items
    for step in steps:
        call = _CALL.match(step)
        if call:
            name, argument = call.groups()
            if name == "first":
                current = current[:1]
            elif name == "last":
                current = current[-1:]
            elif name == "ofType":
                current = [x for x in current if isinstance(x, dict) and x.get("resourceType") == argument.strip()]
            else:
                match = _WHERE.match(argument)
                if match is None:
                    raise ValueError(f"path {path!r}: where() takes path='value', got {argument!r}")
                inner, value = match.groups()
                current = [x for x in current
                           if any(_text(v) == value for v in _select([x], _split(inner), path))]
            continue
        match = _NAME.match(step)
        if match is None:
            raise ValueError(f"path {path!r}: bad step {step!r}")
        name, index = match.groups()
        found = _flat([x[name] for x in current if isinstance(x, dict) and name in x])
        if index is not None:
            found = found[int(index): int(index) + 1]
        current = found
    return current


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@register_path_evaluator("fhir-json")
def fhir_values(document: Any, path: str) -> list[str]:
    """Texts of the values of the FHIR JSON ``document`` selected by ``path`` (``/Bundle.entry...``)."""
    if not path.startswith("/") or len(path) < 2:
        raise ValueError(f"path {path!r}: expected /ResourceType.element...")
    steps = _split(path[1:])
    root = steps[0]
    if not isinstance(document, dict) or root not in (document.get("resourceType"), "*"):
        return []
    return [_text(v) for v in _select([document], steps[1:], path)]


# ------------------------------------------------------------------------------- message facts


def _resources(bundle: Any, rtype: str) -> list[dict[str, Any]]:
    if not isinstance(bundle, dict):
        return []
    return [e["resource"] for e in bundle.get("entry", []) or []
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == rtype]


def header_of(bundle: Any) -> dict[str, Any]:
    """The MessageHeader of a message (the first one, wherever it sits), or ``{}``."""
    found = _resources(bundle, "MessageHeader")
    return found[0] if found else {}


def sent_facts(data: bytes) -> dict[str, Any]:
    """Bundle.id, MessageHeader.id and event of a FHIR JSON message."""
    try:
        bundle = json.loads(data)
    except ValueError:
        return {}
    header = header_of(bundle)
    return {"bundle": bundle.get("id") if isinstance(bundle, dict) else None, "header": header.get("id"),
            "event": (header.get("eventCoding") or {}).get("code")}


# ------------------------------------------------------------------------------------ builders


def _params(given: Any, allowed: set[str]) -> dict[str, Any]:
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise BuildError(f"expected a mapping of parameters, got {given!r}")
    unknown = set(given) - allowed
    if unknown:
        raise BuildError(f"unknown parameter(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(allowed))}")
    return dict(given)


def _uuid(context: BuildContext, *parts: object) -> str:
    return str(uuid.UUID(context.identifier("", *parts, length=32).lower(), version=4))


def _seed(context: BuildContext, *parts: object) -> int:
    return int(context.identifier("", "seed", *parts, length=12), 16)


def _draw(strategy: Any, seed: int) -> Any:
    from ..generate import GenerationError, draw_distinct

    try:
        return draw_distinct(strategy, 1, seed, key=lambda value: id(value))[0]
    except GenerationError as exc:
        raise BuildError(str(exc)) from None


def _rename(bundle: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    """The bundle with every mention of each old id (ids, references, fullUrls, narrative) renamed."""
    text = json.dumps(bundle, ensure_ascii=False)
    for old, new in renames.items():
        if old and old != new:
            text = text.replace(old, new)
    return json.loads(text)


def current_provenance(bundle: Any) -> dict[str, Any]:
    """The Provenance whose target is the message's own MessageHeader, or ``{}``."""
    target = f"MessageHeader/{header_of(bundle).get('id')}"
    return next((p for p in _resources(bundle, "Provenance")
                 if any((t or {}).get("reference") == target for t in p.get("target", []) or [])), {})


def _fresh(bundle: dict[str, Any], context: BuildContext) -> dict[str, Any]:
    """The bundle with this run's Bundle.id and MessageHeader.id, and a new id for the current
    Provenance and the text segments it names (``entity`` role ``source``), so that two messages
    built from one example are two messages (every mention of the old ids is renamed)."""
    renames = {str(bundle.get("id")): _uuid(context, "bundle"),
               str(header_of(bundle).get("id")): _uuid(context, "header")}
    current = current_provenance(bundle)
    if current.get("id"):
        renames[current["id"]] = _uuid(context, "provenance")
    for n, entity in enumerate(current.get("entity", []) or []):
        value = ((entity.get("what") or {}).get("identifier") or {}).get("value")
        if entity.get("role") == "source" and isinstance(value, str) and value.startswith("urn:uuid:"):
            renames[value] = f"urn:uuid:{_uuid(context, 'segment', n)}"
    return _rename(bundle, renames)


def _built(bundle: dict[str, Any], context: BuildContext, **info: Any) -> Built:
    data = (json.dumps(bundle, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return Built(data, f"{context.case.id}-step{context.step}.json", "fhir-json", {**sent_facts(data), **info})


def _step_number(value: Any, name: str, context: BuildContext, later: bool = False) -> int:
    limit = len(context.case.steps) if later else context.step - 1
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit or value == context.step:
        where = "another step" if later else "an earlier step"
        raise BuildError(f"{name} must name {where} (1..{limit}), not {value!r}")
    return value


def step_message(context: BuildContext, number: int) -> Built:
    """The message of step ``number`` of the case: as sent when it is an earlier step, else built
    ahead (builders are deterministic, so a later step's message is known before it is sent)."""
    if number < context.step:
        return context.sent[number - 1]
    from .registry import BUILDERS

    step = context.case.steps[number - 1]
    if step.builder not in ("carecommunication", "hospitalnotification"):
        raise BuildError(f"step {number} ({step.builder}) cannot be named before it is sent; only a "
                         "carecommunication or hospitalnotification step can")
    try:
        return BUILDERS[step.builder](step.params, BuildContext(context.suite, context.case, number, context.seed,
                                                                list(context.sent)))
    except RecursionError:
        raise BuildError(f"step {number} and step {context.step} name each other") from None


def _bundle_of(built: Built) -> dict[str, Any]:
    try:
        bundle = json.loads(built.data)
    except ValueError:
        raise BuildError(f"{built.name} is not FHIR JSON") from None
    if not isinstance(bundle, dict):
        raise BuildError(f"{built.name} is not a FHIR Bundle")
    return bundle


def _follow(bundle: dict[str, Any], original: dict[str, Any], source: str) -> dict[str, Any]:
    """The follow-up ``bundle`` made to follow ``original``: its current Provenance names the
    original's MessageHeader (``entity`` role revision or removal) and it carries the original's
    Provenances as its history instead of the example's."""
    current = current_provenance(bundle)
    preceding = [e for e in current.get("entity", []) or [] if e.get("role") in ("revision", "removal")]
    if not preceding:
        raise BuildError(f"{source} does not follow a message (its current Provenance names none)")
    old = str((preceding[0].get("what") or {}).get("reference", "")).rsplit("/", 1)[-1]
    history = [e for e in original.get("entry", []) if (e.get("resource") or {}).get("resourceType") == "Provenance"]
    entries = [e for e in bundle.get("entry", []) if not ((e.get("resource") or {}).get("resourceType") == "Provenance"
                                                          and e["resource"].get("id") != current.get("id"))]
    bundle = {**bundle, "entry": entries + copy.deepcopy(history)}
    return _rename(bundle, {old: header_of(original).get("id", "")})


def _same_ids(bundle: dict[str, Any], params: dict[str, Any], context: BuildContext) -> dict[str, Any]:
    """``same_bundle_id: N`` / ``same_header_id: N``: reuse step N's Bundle.id / MessageHeader.id."""
    renames: dict[str, str] = {}
    if "same_bundle_id" in params:
        earlier = sent_facts(context.sent[_step_number(params["same_bundle_id"], "same_bundle_id", context) - 1].data)
        renames[str(bundle.get("id"))] = str(earlier.get("bundle"))
    if "same_header_id" in params:
        earlier = sent_facts(context.sent[_step_number(params["same_header_id"], "same_header_id", context) - 1].data)
        renames[str(header_of(bundle).get("id"))] = str(earlier.get("header"))
    return _rename(bundle, renames) if renames else bundle


MESSAGE_PARAMS = {"example", "generated", "follows", "same_bundle_id", "same_header_id"}


def _valid_message(kind: str, given: Any, context: BuildContext) -> Built:
    params = _params(given, MESSAGE_PARAMS)
    if params.get("generated"):
        from ..strategies import medcom_fhir as strategies

        strategy = {"carecommunication": strategies.care_communications,
                    "hospitalnotification": strategies.hospital_notifications}[kind]()
        bundle, source = _draw(strategy, _seed(context, kind)), "generated"
    else:
        source = params.get("example", KINDS[kind])
        path = examples_dir() / "medcom-fhir" / f"{source}.json"
        if not source.startswith(kind) or not path.is_file():
            raise BuildError(f"no {kind} example {source!r} in {path.parent}")
        bundle = json.loads(path.read_text(encoding="utf-8"))
    bundle = _fresh(bundle, context)
    info: dict[str, Any] = {"source": source}
    if "follows" in params:
        number = _step_number(params["follows"], "follows", context, later=True)
        original = _bundle_of(step_message(context, number))
        bundle = _follow(bundle, original, source)
        info["follows"] = {"step": number, "header": header_of(original).get("id")}
    bundle = _same_ids(bundle, params, context)
    built = _built(bundle, context, **info)
    report = validate(built.data)
    if not report.valid:
        raise BuildError(f"the built {kind} is not valid: {', '.join(report.rule_ids())}")
    return built


@register_builder("carecommunication")
def build_carecommunication(given: Any, context: BuildContext) -> Built:
    return _valid_message("carecommunication", given, context)


@register_builder("hospitalnotification")
def build_hospitalnotification(given: Any, context: BuildContext) -> Built:
    return _valid_message("hospitalnotification", given, context)


def _mutant(bundle: dict[str, Any], kind: str, operator: str, context: BuildContext) -> Any:
    from ..strategies.medcom_fhir import MEDCOM_OPERATORS, mutants_of

    if operator not in MEDCOM_OPERATORS or kind not in MEDCOM_OPERATORS[operator][1]:
        usable = [name for name, (_r, kinds, _m) in MEDCOM_OPERATORS.items() if kind in kinds]
        raise BuildError(f"operator {operator!r} does not apply to {kind}; known: {', '.join(usable)}")
    try:
        strategy = mutants_of(bundle, kind, operator)
        return _draw(strategy, _seed(context, kind, operator))
    except ValueError as exc:
        raise BuildError(str(exc)) from None


def _checked_mutant(mutant: Any, context: BuildContext, **info: Any) -> Built:
    built = _built(mutant.bundle, context, operator=mutant.operator, mutation=mutant.description,
                   rule=mutant.rule_id, **info)
    found = validate(built.data).rule_ids()
    if mutant.rule_id not in found:
        raise BuildError(f"mutation {mutant.operator} ({mutant.description}) did not give {mutant.rule_id}; "
                         f"found {', '.join(found) or 'nothing'}")
    return built


@register_builder("invalid_medcom")
def build_invalid(given: Any, context: BuildContext) -> Built:
    from ..strategies.medcom_fhir import MEDCOM_OPERATORS, invalid_medcom_messages

    params = _params(given, {"standard", "operator"})
    kind = params.get("standard", "carecommunication")
    operator = params.get("operator", "sender-without-identifier")
    if kind not in KINDS:
        raise BuildError(f"standard {kind!r}: expected one of {', '.join(KINDS)}")
    if operator not in MEDCOM_OPERATORS or kind not in MEDCOM_OPERATORS[operator][1]:
        usable = [name for name, (_r, kinds, _m) in MEDCOM_OPERATORS.items() if kind in kinds]
        raise BuildError(f"operator {operator!r} does not apply to {kind}; known: {', '.join(usable)}")
    mutant = _draw(invalid_medcom_messages(kind, (operator,)), _seed(context, kind, operator))
    built = _built(mutant.bundle, context, operator=operator, mutation=mutant.description,
                   rule=mutant.rule_id)
    found = validate(built.data).rule_ids()
    if mutant.rule_id not in found:
        raise BuildError(f"mutation {operator} ({mutant.description}) did not give {mutant.rule_id}; "
                         f"found {', '.join(found) or 'nothing'}")
    return built


@register_builder("acknowledgement")
def build_acknowledgement(given: Any, context: BuildContext) -> Built:
    """``acknowledgement: {of, code, operator, same_bundle_id, same_header_id}``: the Acknowledgement
    of step ``of``'s message (without ``of``: of a CareCommunication never sent) with ``code`` (ok,
    transient-error, fatal-error), made by :func:`~dkhealth_conformance.strategies.medcom_fhir.acknowledgement_of`;
    with ``operator`` broken by that operator of ``MEDCOM_OPERATORS``."""
    from ..strategies.medcom_fhir import acknowledgement_of

    params = _params(given, {"of", "code", "operator", "same_bundle_id", "same_header_id"})
    code = params.get("code", "ok")
    if code not in ("ok", *ERROR_CODES):
        raise BuildError(f"code {code!r}: expected ok, transient-error or fatal-error")
    if "of" in params:
        number = _step_number(params["of"], "of", context)
        original = _bundle_of(context.sent[number - 1])
    else:
        number = None
        unsent = BuildContext(context.suite, context.case, context.step, f"{context.seed}/unsent", [])
        original = _bundle_of(_valid_message("carecommunication", {}, unsent))
    counter = iter(range(1000))
    ack = acknowledgement_of(original, code, ids=lambda: _uuid(context, "ack", next(counter)))
    ack = _same_ids(ack, params, context)
    info = {"acknowledges": header_of(original).get("id"), "of": number, "code": code}
    if "operator" in params:
        return _checked_mutant(_mutant(ack, "acknowledgement", params["operator"], context), context, **info)
    built = _built(ack, context, **info)
    if (header_of(original).get("eventCoding") or {}).get("code") != "acknowledgement-message":
        report = validate(built.data)
        if not report.valid:
            raise BuildError(f"the built acknowledgement is not valid: {', '.join(report.rule_ids())}")
    return built


def _later(stamp: Any, minutes: int) -> Any:
    """An ISO dateTime ``minutes`` later, keeping its time-zone form (or the value when unparsable)."""
    import datetime as dt

    if not isinstance(stamp, str):
        return stamp
    try:
        moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    text = (moment + dt.timedelta(minutes=minutes)).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if stamp.endswith("Z") else text


@register_resender("fhir-json")
def resend_fhir(earlier: Built, context: BuildContext) -> Built:
    """MedCom's resend (MR7): the same message with a new Bundle.id and a Bundle.timestamp 30 minutes later."""
    bundle = _bundle_of(earlier)
    bundle["id"] = _uuid(context, "bundle")
    bundle["timestamp"] = _later(bundle.get("timestamp"), 30)
    keep = {k: v for k, v in earlier.info.items() if k not in ("bundle", "header", "event")}
    return _built(bundle, context, **keep)


# ------------------------------------------------------------------------------------- answers


def acknowledgement_checks(answer: bytes, header_id: str | None, codes: tuple[str, ...] | None
                           ) -> tuple[list[Check], dict[str, Any]]:
    """Is ``answer`` a valid Acknowledgement of the MessageHeader ``header_id`` with one of ``codes``
    (any code when None)? An error code must name a bundled OperationOutcome."""
    report = validate(answer, name="answer")
    evidence: dict[str, Any] = {"answer": {"standard": report.standard_ref, "valid": report.valid,
                                           "rule_ids": report.rule_ids(), "sha256": report.digest}}
    is_ack = report.standard == ACKNOWLEDGEMENT
    checks = [Check("answer.kind", is_ack, "" if is_ack else f"expected a {ACKNOWLEDGEMENT} message, got "
                    f"{report.standard_ref or 'an unrecognised ' + report.format + ' payload'}")]
    problems = [f"{i.rule_id} at {i.location}: {i.message}" for i in report.issues
                if i.severity.value in ("fatal", "error")]
    checks.append(Check("answer.valid", not problems, "; ".join(problems[:5])))
    if not is_ack:
        return checks, evidence
    try:
        bundle = json.loads(answer)
    except ValueError:  # FHIR XML: correlate on the validated content only
        bundle = None
    response = header_of(bundle).get("response") or {}
    identifier, code = response.get("identifier"), response.get("code")
    evidence["answer"].update(identifier=identifier, code=code)
    if bundle is None:
        checks.append(Check("answer.identifier", False, "the acknowledgement is not FHIR JSON; cannot correlate it"))
        return checks, evidence
    checks.append(Check("answer.identifier", identifier == header_id,
                        "" if identifier == header_id else f"the acknowledgement's response.identifier is "
                        f"{identifier!r}, the MessageHeader sent was {header_id!r}"))
    if codes is not None:
        checks.append(Check("answer.code", code in codes,
                            "" if code in codes else f"response.code is {code!r}, expected {' or '.join(codes)}"))
    if code in ERROR_CODES:
        ref = ((response.get("details") or {}).get("reference") or "")
        outcomes = {f"OperationOutcome/{r.get('id')}" for r in _resources(bundle, "OperationOutcome")}
        checks.append(Check("answer.outcome", ref in outcomes,
                            "" if ref in outcomes else "a negative acknowledgement must name a bundled "
                            "OperationOutcome in response.details"))
    return checks, evidence


def _answer_kind(codes: tuple[str, ...] | None, wanted: str) -> Any:
    def check(answer: bytes | None, sent: Built) -> tuple[list[Check], dict[str, Any]]:
        if not answer:
            return [Check("answer.present", False, f"expected {wanted}, the receiver returned no answer")], {}
        return acknowledgement_checks(answer, sent.info.get("header"), codes)
    return check


register_answer("acknowledgement-ok")(_answer_kind(("ok",), "a positive Acknowledgement (ok)"))
register_answer("acknowledgement-error")(_answer_kind(ERROR_CODES, "a negative Acknowledgement"))
register_answer("acknowledgement")(_answer_kind(None, "an Acknowledgement"))


# ----------------------------------------------------------------------------------- correlation


@register_correlator("fhir-json")
def answers_message(payload: bytes, given: bytes) -> tuple[list[Check], dict[str, Any]]:
    """A sender's payload that follows the given message: an Acknowledgement must answer its
    MessageHeader; a reply, forward, revision or cancellation must name it in the current
    Provenance (``entity`` role ``revision`` or ``removal``)."""
    original = sent_facts(given).get("header")
    try:
        bundle = json.loads(payload)
    except ValueError:
        return [Check("answers_given", False, "the payload is not FHIR JSON")], {}
    header = header_of(bundle)
    if (header.get("eventCoding") or {}).get("code") == "acknowledgement-message":
        return acknowledgement_checks(payload, original, None)
    target = f"MessageHeader/{header.get('id')}"
    current = [p for p in _resources(bundle, "Provenance")
               if any((t or {}).get("reference") == target for t in p.get("target", []))]
    named = [(e.get("what") or {}).get("reference") for p in current for e in p.get("entity", [])
             if e.get("role") in ("revision", "removal")]
    ok = f"MessageHeader/{original}" in named
    detail = "" if ok else (f"the current Provenance names {', '.join(map(str, named)) or 'no preceding message'}, "
                            f"expected MessageHeader/{original} (the given message)")
    return [Check("answers_given", ok, detail)], {"answer": {"header": header.get("id"), "follows": named,
                                                             "given": original}}
