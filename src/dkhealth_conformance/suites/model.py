"""Suites as data: loading a suite file, checking it against ``testsuites/schema.json``, and
finding the bundled suites."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..data import testsuites_dir

SENDER, RECEIVER = "sender", "receiver"
ROLES = (SENDER, RECEIVER)


class SuiteError(ValueError):
    """A suite file that cannot be read or does not follow the suite schema."""


@dataclass(frozen=True)
class Step:
    """One message a receiver case sends: the builder that makes it and what must happen."""

    builder: str
    params: Any
    expect: dict[str, Any]


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    clause: str
    kind: str
    description: str = ""
    #: sender cases: the expectations on the vendor's payload
    expect: dict[str, Any] = field(default_factory=dict)
    #: sender cases: the message the suite gives the vendor (a receipt answers it)
    given: Path | None = None
    #: receiver cases: the messages sent, in order
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Suite:
    id: str
    title: str
    standards: tuple[str, ...]
    role: str
    source: str
    cases: tuple[Case, ...]
    path: Path
    digest: str
    description: str = ""

    def case(self, case_id: str) -> Case:
        for case in self.cases:
            if case.id == case_id:
                return case
        raise KeyError(case_id)

    @property
    def name(self) -> str:
        """``<family>/<file stem>`` for bundled suites, else the file stem."""
        try:
            return self.path.relative_to(testsuites_dir()).with_suffix("").as_posix()
        except ValueError:
            return self.path.stem


@functools.lru_cache(maxsize=1)
def suite_schema() -> dict[str, Any]:
    """The JSON Schema of suite files (``testsuites/schema.json``)."""
    return json.loads((testsuites_dir() / "schema.json").read_text(encoding="utf-8"))


def schema_errors(data: Any) -> list[str]:
    """Every way ``data`` breaks the suite schema, as ``path: message`` lines (empty when it fits)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(suite_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.message))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(suite)'}: {e.message}" for e in errors]


def load_suite(path: str | Path) -> Suite:
    """Read and check one suite file; raises :class:`SuiteError` with every problem found."""
    from .registry import known_answers, known_builders

    path = Path(path)
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise SuiteError(f"{path}: cannot read the suite: {exc}") from None
    problems = schema_errors(data)
    if not problems:
        problems = _semantic_problems(data, path, known_builders(), known_answers())
    if problems:
        raise SuiteError(f"{path}: not a valid suite:\n  " + "\n  ".join(problems))
    standards = data["standard"] if isinstance(data["standard"], list) else [data["standard"]]
    cases = tuple(_case(c, path) for c in data["cases"])
    return Suite(data["id"], data["title"], tuple(standards), data["role"], data["source"], cases, path,
                 hashlib.sha256(raw).hexdigest(), data.get("description", ""))


def _case(data: dict[str, Any], path: Path) -> Case:
    steps = []
    for step in data.get("steps", ()):
        builder, params = next(iter(step["send"].items()))
        steps.append(Step(builder, params, step["expect"]))
    given = (path.parent / data["given"]) if "given" in data else None
    return Case(data["id"], data["title"], data["clause"], data["kind"], data.get("description", ""),
                data.get("expect", {}), given, tuple(steps))


def _semantic_problems(data: dict[str, Any], path: Path, builders: set[str], answers: set[str]) -> list[str]:
    """What the JSON Schema cannot say: unique case ids, known builders and answer kinds, steps
    that repeat only earlier steps, given files that exist, regular expressions that compile."""
    import re

    problems: list[str] = []
    seen: set[str] = set()
    for n, case in enumerate(data["cases"]):
        where = f"cases/{n} ({case['id']})"
        if case["id"] in seen:
            problems.append(f"{where}: case id {case['id']!r} is used twice")
        seen.add(case["id"])
        if "given" in case and not (path.parent / case["given"]).is_file():
            problems.append(f"{where}: given file {case['given']!r} not found beside the suite")
        assertions = list(case.get("expect", {}).get("assert", ()))
        for s, step in enumerate(case.get("steps", ())):
            builder, params = next(iter(step["send"].items()))
            if builder not in builders:
                problems.append(f"{where}/steps/{s}: unknown builder {builder!r}; known: {', '.join(sorted(builders))}")
            if builder in ("again", "resend") and not (isinstance(params, int) and 1 <= params <= s):
                problems.append(f"{where}/steps/{s}: {builder} must name an earlier step (1..{s})")
            same = step["expect"].get("same_answer")
            if same is not None and not 1 <= same <= s:
                problems.append(f"{where}/steps/{s}: same_answer must name an earlier step (1..{s})")
            answer = step["expect"].get("answer")
            if answer is not None and answer not in answers:
                problems.append(f"{where}/steps/{s}: unknown answer kind {answer!r}; "
                                f"known: {', '.join(sorted(answers))}")
            assertions += step["expect"].get("assert", ())
        for assertion in assertions:
            if "matches" in assertion:
                try:
                    re.compile(assertion["matches"])
                except re.error as exc:
                    problems.append(f"{where}: matches {assertion['matches']!r} is not a regular expression: {exc}")
    return problems


def bundled_suite_files() -> list[Path]:
    """Every suite file shipped in ``testsuites/``, sorted."""
    return sorted(p for p in testsuites_dir().rglob("*.yaml") if p.is_file())


def bundled_suites() -> list[Suite]:
    return [load_suite(p) for p in bundled_suite_files()]


def find_suite(name: str) -> Suite:
    """A suite by file path, by bundled name (``oioxml/xdis91-sender``) or by suite id."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return load_suite(candidate)
    bundled = testsuites_dir() / f"{name}.yaml"
    if bundled.is_file():
        return load_suite(bundled)
    for file in bundled_suite_files():
        suite = load_suite(file)
        if suite.id == name:
            return suite
    raise SuiteError(f"no suite {name!r}; `dkconform suite list` shows the bundled ones, or give a suite file")
