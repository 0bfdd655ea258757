"""What the suite engine looks up by name, so that a standard family adds suites without changing it.

- **builders** make the messages receiver cases send (``send: {letter: {...}}``);
- **answer kinds** check what a receiver returns (``expect: {answer: positive-receipt}``);
- **answer correlators** check that a sender's payload answers the message a case gives it
  (``expect: {answers_given: true}``), by the payload format of the given message;
- **path evaluators** resolve assertion paths (``assert: [{path: ...}]``) by payload format.

The generic ones live here; the OIOXML ones in :mod:`.oioxml`. A third-party family registers its
own from a module named in the entry point group ``dkhealth_conformance.suites``.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from .model import Case, Suite

ENTRY_POINT_GROUP = "dkhealth_conformance.suites"


@dataclass
class Check:
    """One checked expectation: what was checked, whether it held, and why not."""

    name: str
    ok: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class Built:
    """A message a builder made for one step: the bytes, a file name, and what it carries."""

    data: bytes
    name: str
    format: str
    info: dict[str, Any] = field(default_factory=dict)


class BuildError(RuntimeError):
    """A builder could not make the message a case asks for (a defect of the suite or the engine)."""


@dataclass
class BuildContext:
    """What a builder knows: the suite, the case, the step (1-based), what was sent before, and
    the run's seed (identifiers differ between runs with different seeds, so that a receiver that
    keeps state never mistakes one run's messages for another's)."""

    suite: Suite
    case: Case
    step: int
    seed: str
    sent: list[Built]

    def identifier(self, prefix: str, *parts: object, length: int = 14) -> str:
        """A deterministic identifier of at most ``length`` characters for this run, case and step."""
        digest = hashlib.sha256(":".join(map(str, (self.seed, self.suite.id, self.case.id, self.step, *parts)))
                                .encode("utf-8")).hexdigest().upper()
        return (prefix + digest)[:length]


Builder = Callable[[Any, BuildContext], Built]
#: (answer bytes or None, the message it answers) -> checks and evidence
AnswerCheck = Callable[[bytes | None, Built], tuple[list[Check], dict[str, Any]]]
#: (payload bytes, given message bytes) -> checks and evidence
Correlator = Callable[[bytes, bytes], tuple[list[Check], dict[str, Any]]]
#: (parsed payload, path) -> the matched values (texts), or raises ValueError for a bad path
PathEvaluator = Callable[[Any, str], list[str]]
#: (an earlier step's message, context) -> that message resent as its format resends (new envelope id)
Resender = Callable[[Built, BuildContext], Built]

BUILDERS: dict[str, Builder] = {}
ANSWERS: dict[str, AnswerCheck] = {}
CORRELATORS: dict[str, Correlator] = {}
PATH_EVALUATORS: dict[str, PathEvaluator] = {}
RESENDERS: dict[str, Resender] = {}
#: builders whose parameter is the number of an earlier step
STEP_BUILDERS = ("again", "resend")


def register_builder(name: str) -> Callable[[Builder], Builder]:
    def add(function: Builder) -> Builder:
        BUILDERS[name] = function
        return function
    return add


def register_answer(name: str) -> Callable[[AnswerCheck], AnswerCheck]:
    def add(function: AnswerCheck) -> AnswerCheck:
        ANSWERS[name] = function
        return function
    return add


def register_correlator(payload_format: str) -> Callable[[Correlator], Correlator]:
    def add(function: Correlator) -> Correlator:
        CORRELATORS[payload_format] = function
        return function
    return add


def register_path_evaluator(payload_format: str) -> Callable[[PathEvaluator], PathEvaluator]:
    def add(function: PathEvaluator) -> PathEvaluator:
        PATH_EVALUATORS[payload_format] = function
        return function
    return add


def register_resender(payload_format: str) -> Callable[[Resender], Resender]:
    def add(function: Resender) -> Resender:
        RESENDERS[payload_format] = function
        return function
    return add


_LOADED: list[bool] = []


def load_support() -> None:
    """Import the families' suite support once (OIOXML, MedCom FHIR and any entry point's)."""
    if _LOADED:
        return
    _LOADED.append(True)
    importlib.import_module(f"{__package__}.oioxml")
    importlib.import_module(f"{__package__}.medcom_fhir")
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        entry.load()


def known_builders() -> set[str]:
    load_support()
    return set(BUILDERS)


def known_answers() -> set[str]:
    load_support()
    return set(ANSWERS)


# ------------------------------------------------------------------- generic builders, answers


@register_builder("again")
def _again(step: Any, context: BuildContext) -> Built:
    """The message of an earlier step (1-based), byte for byte: a duplicate."""
    earlier = context.sent[int(step) - 1]
    return Built(earlier.data, f"{context.case.id}-step{context.step}.{earlier.name.rsplit('.', 1)[-1]}",
                 earlier.format, {**earlier.info, "again": int(step)})


@register_builder("resend")
def _resend(step: Any, context: BuildContext) -> Built:
    """The message of an earlier step (1-based) resent as a sender resends it: the same message (same
    letter identifiers, same MessageHeader.id) in a new envelope (new Envelope/Identifier or Bundle.id,
    a later send time), as MedCom's reliable messaging has it (reference §3.7, MR7)."""
    earlier = context.sent[int(step) - 1]
    resender = RESENDERS.get(earlier.format)
    if resender is None:
        raise BuildError(f"no resend for {earlier.format} messages; known: {', '.join(sorted(RESENDERS))}")
    built = resender(earlier, context)
    built.info = {**built.info, "resend": int(step)}
    return built


@register_builder("outgoing")
def _outgoing(spec: Any, context: BuildContext) -> Built:
    """A message handed to the receiver as one its own system sent (``outgoing: {<builder>: {...}}``),
    so that it can correlate the acknowledgements that follow; the file name ends in ``-outgoing``
    plus the extension (the name reaches commands as the file, HTTP endpoints as ``X-Dkhealth-Name``
    and callables taking a ``name`` argument)."""
    if not isinstance(spec, dict) or len(spec) != 1:
        raise BuildError("outgoing takes one builder with its parameters, e.g. outgoing: {carecommunication: {}}")
    (builder, params), = spec.items()
    if builder not in BUILDERS or builder in ("outgoing", *STEP_BUILDERS):
        raise BuildError(f"outgoing: unknown or unusable builder {builder!r}")
    built = BUILDERS[builder](params, context)
    stem, _, extension = built.name.rpartition(".")
    return Built(built.data, f"{stem}-outgoing.{extension}", built.format, {**built.info, "outgoing": True})


@register_answer("any")
def _any(answer: bytes | None, sent: Built) -> tuple[list[Check], dict[str, Any]]:
    return [], {}


@register_answer("none")
def _none(answer: bytes | None, sent: Built) -> tuple[list[Check], dict[str, Any]]:
    if answer:
        return [Check("answer.none", False, f"expected no answer, got {len(answer)} byte(s)")], {}
    return [Check("answer.none", True)], {}
