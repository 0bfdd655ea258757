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

BUILDERS: dict[str, Builder] = {}
ANSWERS: dict[str, AnswerCheck] = {}
CORRELATORS: dict[str, Correlator] = {}
PATH_EVALUATORS: dict[str, PathEvaluator] = {}


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


@register_answer("any")
def _any(answer: bytes | None, sent: Built) -> tuple[list[Check], dict[str, Any]]:
    return [], {}


@register_answer("none")
def _none(answer: bytes | None, sent: Built) -> tuple[list[Check], dict[str, Any]]:
    if answer:
        return [Check("answer.none", False, f"expected no answer, got {len(answer)} byte(s)")], {}
    return [Check("answer.none", True)], {}
