"""Seeded generation of messages from the standards' strategies: ``dkconform generate``.

>>> from dkhealth_conformance.generate import generate
>>> messages = generate("medcom.oioxml.XDIS91@XD9134L", count=3, seed=7)   # doctest: +SKIP
>>> [m.name for m in messages]                                             # doctest: +SKIP
['medcom.oioxml.XDIS91-XD9134L-0001.xml', ...]

The messages are drawn from the same Hypothesis strategies that vendors use in their own tests
(:mod:`dkhealth_conformance.strategies`), outside of a test run: a collector wrapped in
``@given`` runs under ``@seed(S)`` with the example database off, only the generate phase and no
health checks, and stops once it holds ``count`` distinct payloads. Hypothesis draws from a
``random.Random(S)`` and our strategies never depend on hash order. One more input would vary
between processes: Hypothesis mixes literal constants of the caller's own (not installed)
modules into generated values, and which modules are loaded differs between an editable and a
wheel install, a test run and a command. That pool is held empty while generating, so a seed
gives the same bytes in every process (for one version of this tool and of Hypothesis; the
manifest records both).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import HypothesisWarning, Unsatisfiable

from ._version import __version__
from .registry import Standard, UnknownStandard, default_registry

__all__ = [
    "MANIFEST",
    "GeneratedMessage",
    "GenerationError",
    "NoGenerator",
    "draw_distinct",
    "generate",
    "generator_standards",
    "manifest",
    "manifest_bytes",
    "resolve",
    "write",
]

#: name of the manifest written beside the messages
MANIFEST = "manifest.json"
#: version of the manifest's layout
MANIFEST_FORMAT = 1


class GenerationError(ValueError):
    """The request cannot be met (unknown standard, operator that never applies, too few
    distinct messages)."""


class NoGenerator(GenerationError):
    """The standard exists but has no generator."""


@dataclass(frozen=True)
class GeneratedMessage:
    """One generated payload, valid or a near miss that ``rule_id`` must report."""

    name: str
    document: bytes
    standard: str
    version: str
    valid: bool
    rule_id: str | None = None
    operator: str | None = None
    description: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.document).hexdigest()

    def entry(self) -> dict[str, Any]:
        """This message's entry in the manifest."""
        out: dict[str, Any] = {"name": self.name, "sha256": self.sha256, "valid": self.valid}
        if not self.valid:
            out.update(rule_id=self.rule_id, operator=self.operator, description=self.description)
        return out


# ------------------------------------------------------------------------------------ standards


def _is_oioxml_letter(standard: Standard) -> bool:
    """Standards of the OIOXML pack that name a letter of a bundled model (``data`` is the
    pair namespace, letter element)."""
    data = standard.data
    return (standard.family == "medcom.oioxml" and isinstance(data, tuple) and len(data) == 2
            and all(isinstance(x, str) for x in data))


def _has_generator(standard: Standard) -> bool:
    return _family(standard) is not None


def generator_standards(family: str | None = "oioxml") -> list[Standard]:
    """The installed standard versions that ``generate`` can draw messages of, of one generator
    family (:data:`FAMILIES`: ``oioxml``, the default, or ``medcom-fhir``), or of all with ``None``."""
    return [s for s in default_registry().standards()
            if (found := _family(s)) is not None and family in (None, found.name)]


def resolve(ref: str) -> Standard:
    """The standard version ``ref`` names (``ID@VERSION``, or ``ID`` for its current version)."""
    try:
        found = default_registry().find(ref)
    except UnknownStandard:
        raise GenerationError(f"unknown standard {ref!r}; `dkconform standards` lists them; "
                              f"with a generator: {_listing()}") from None
    usable = [s for s in found if _has_generator(s)]
    if not usable:
        raise NoGenerator(f"standard {ref!r} has no generator; standards with a generator: {_listing()}")
    current = [s for s in usable if s.status == "current"]
    return (current or usable)[-1]


def _listing() -> str:
    refs = [s.ref for s in generator_standards(None)]
    return ", ".join(refs) if refs else "none installed"


def _letters(standard: Standard) -> list[tuple[Any, str]]:
    """(model, letter element) of every namespace that carries the standard's letter type and
    version (``XRPT01@XR0130K`` is in three), the standard's own namespace first."""
    from .strategies.oioxml import models

    namespace, element = standard.data
    all_models = models()
    own = all_models[namespace]
    letter = own.letters[element]
    found = [(own, element)]
    for schema in all_models.values():
        if schema is own:
            continue
        found.extend((schema, other.element) for other in schema.letters.values()
                     if (other.type_code, other.version_code) == (letter.type_code, letter.version_code))
    return found


def _valid_strategy(standard: Standard) -> st.SearchStrategy[GeneratedMessage]:
    from .xmlmodel.strategies import documents

    return st.one_of([documents(schema, element) for schema, element in _letters(standard)]).map(
        lambda doc: GeneratedMessage("", doc, standard.id, standard.version, True))


def _invalid_strategy(standard: Standard, operators: Sequence[str] | None) -> st.SearchStrategy[GeneratedMessage]:
    from .xmlmodel.strategies import mutation_cases

    def message(case: Any) -> GeneratedMessage:
        mutant = case.mutant
        return GeneratedMessage("", mutant.document, standard.id, standard.version, False,
                                mutant.rule_id, case.operator, mutant.description)

    return st.one_of([mutation_cases(schema, element, operators=operators)
                      for schema, element in _letters(standard)]).map(message)


# -------------------------------------------------------------------------------------- drawing


class _Enough(Exception):
    """Raised inside the collector once it holds enough distinct values."""


def _settings(budget: int) -> settings:
    return settings(
        settings.get_profile("default"),
        max_examples=budget,
        database=None,
        derandomize=False,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
        report_multiple_bugs=False,
    )


@contextlib.contextmanager
def _without_local_constants() -> Iterator[None]:
    """Hold Hypothesis's pool of constants from local modules empty (see the module docstring),
    with a fresh cache of the constants it derives from it. Versions of Hypothesis without that
    pool are left as they are."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants

        saved = (providers._get_local_constants, providers.CONSTANTS_CACHE)
        fresh_cache = type(providers.CONSTANTS_CACHE)(1024)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - other Hypothesis versions
        yield
        return
    empty = Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE = fresh_cache
    try:
        yield
    finally:
        providers._get_local_constants, providers.CONSTANTS_CACHE = saved


def draw_distinct(strategy: st.SearchStrategy[Any], count: int, seed: int,
                  key: Callable[[Any], object] = lambda value: value) -> list[Any]:
    """``count`` values of ``strategy`` with distinct ``key``, drawn deterministically from
    ``seed`` (values whose key was drawn before are skipped). Raises :class:`GenerationError`
    when the strategy yields fewer distinct values or none at all."""
    if count < 0:
        raise GenerationError("count must not be negative")
    collected: list[Any] = []
    if count == 0:
        return collected
    seen: set[object] = set()

    def collect(value: Any) -> None:
        if len(collected) >= count:
            raise _Enough
        marker = key(value)
        if marker in seen:
            return
        seen.add(marker)
        collected.append(value)
        if len(collected) >= count:
            raise _Enough

    budget = count * 10 + 100
    runner = hypothesis_seed(seed)(_settings(budget)(given(strategy)(collect)))
    try:
        with _without_local_constants(), warnings.catch_warnings():
            # the collector stops by raising, after which Hypothesis formats the last example
            warnings.simplefilter("ignore", HypothesisWarning)
            runner()
    except _Enough:
        pass
    except Unsatisfiable:
        raise GenerationError("the strategy produced no usable example (does the operator apply to this "
                              "standard?)") from None
    if len(collected) < count:
        raise GenerationError(f"only {len(collected)} distinct messages in {budget} draws; ask for fewer")
    return collected


# ------------------------------------------------------------------------------------ families


#: a valid message and its near misses, one per operator that found a site in it
Mutated = tuple[GeneratedMessage, list[GeneratedMessage]]


@dataclass(frozen=True)
class GeneratorFamily:
    """How one family of standards is generated: which standards it draws, the strategies of
    valid messages and of near misses (as :class:`GeneratedMessage`), its mutation operators, the
    file extension of its messages, and the strategies of a valid message with one near miss of
    it per operator that has a site in it (the mutation score draws an equal share from each)."""

    name: str
    accepts: Callable[[Standard], bool]
    valid: Callable[[Standard], st.SearchStrategy[GeneratedMessage]]
    invalid: Callable[[Standard, Sequence[str] | None], st.SearchStrategy[GeneratedMessage]]
    operators: Callable[[Standard], Sequence[str]]
    extension: str
    mutants: Callable[[Standard], list[st.SearchStrategy[Mutated]]]


_MEDCOM_FHIR = ("medcom.carecommunication", "medcom.hospitalnotification", "medcom.acknowledgement")


def _fhir_json(bundle: dict[str, Any]) -> bytes:
    return (json.dumps(bundle, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _medcom_fhir_valid(standard: Standard) -> st.SearchStrategy[GeneratedMessage]:
    from .strategies import medcom_fhir

    strategy = {"medcom.carecommunication": medcom_fhir.care_communications,
                "medcom.hospitalnotification": medcom_fhir.hospital_notifications,
                "medcom.acknowledgement": medcom_fhir.acknowledgements}[standard.id]()
    return strategy.map(lambda bundle: GeneratedMessage("", _fhir_json(bundle), standard.id, standard.version, True))


def _medcom_fhir_invalid(standard: Standard, operators: Sequence[str] | None) -> st.SearchStrategy[GeneratedMessage]:
    from .strategies.medcom_fhir import invalid_medcom_messages

    chosen = tuple(operators) if operators is not None else tuple(_medcom_fhir_operators(standard))
    return invalid_medcom_messages(standard.id.split(".", 1)[1], chosen).map(
        lambda m: GeneratedMessage("", _fhir_json(m.bundle), standard.id, standard.version, False, m.rule_id,
                                   m.operator, m.description))


def _medcom_fhir_operators(standard: Standard) -> list[str]:
    from .strategies.medcom_fhir import MEDCOM_OPERATORS

    kind = standard.id.split(".", 1)[1]
    return [name for name, (_rule, kinds, _mutate) in MEDCOM_OPERATORS.items() if kind in kinds]


def _medcom_fhir_mutants(standard: Standard) -> list[st.SearchStrategy[Mutated]]:
    from .strategies.medcom_fhir import mutants_of

    kind = standard.id.split(".", 1)[1]

    @st.composite
    def mutated(draw: st.DrawFn) -> Mutated:
        original = draw(_medcom_fhir_valid(standard))
        bundle = json.loads(original.document)
        near_misses = []
        for name in _medcom_fhir_operators(standard):
            with contextlib.suppress(ValueError):  # the operator does not apply to this message
                m = draw(mutants_of(bundle, kind, name))
                near_misses.append(GeneratedMessage("", _fhir_json(m.bundle), standard.id, standard.version, False,
                                                    m.rule_id, m.operator, m.description))
        return original, near_misses

    return [mutated()]


def _oioxml_mutants(standard: Standard) -> list[st.SearchStrategy[Mutated]]:
    """Emessages with one letter, and with two or three (for the operators on several letters)."""
    from .xmlmodel import strategies as S

    def clone(node: Any, mapping: dict[int, Any]) -> Any:
        copy = S.Node(node.name, node.type, node.decl, node.spine, node.text, [], node.namespace)
        mapping[id(node)] = copy
        copy.children = [c if isinstance(c, str) else clone(c, mapping) for c in node.children]
        return copy

    @st.composite
    def mutated(draw: st.DrawFn, model: Any, element: str, letters: tuple[int, int]) -> Mutated:
        schema = model.schema
        doc = draw(S._document(model, element, letters, None))
        original = S.serialize(doc.root, schema.namespace, doc.encoding, doc.pretty)
        near_misses = []
        for name, operator in S.OPERATORS.items():  # each operator changes its own copy of the tree
            mapping: dict[int, Any] = {}
            copy = doc._replace(root=clone(doc.root, mapping))
            copy = copy._replace(letters=[(mapping[id(node)], letter) for node, letter in doc.letters])
            sites = S._sites(name, copy, schema)
            if sites:
                description = f"{operator.summary}: {draw(st.sampled_from(sites))(draw)}"
                near_misses.append(GeneratedMessage("", S.serialize(copy.root, schema.namespace, copy.encoding,
                                                                    copy.pretty), standard.id, standard.version,
                                                    False, operator.rule_id, name, description))
        return GeneratedMessage("", original, standard.id, standard.version, True), near_misses

    models = [(S._Model(schema), element) for schema, element in _letters(standard)]
    return [st.one_of([mutated(model, element, letters) for model, element in models]) for letters in ((1, 1), (2, 3))]


def _oioxml_operators(standard: Standard) -> list[str]:
    from .xmlmodel.strategies import OPERATORS

    return list(OPERATORS)


#: the generator families, tried in order
FAMILIES: list[GeneratorFamily] = [
    GeneratorFamily("oioxml", _is_oioxml_letter, lambda s: _valid_strategy(s),
                    lambda s, ops: _invalid_strategy(s, ops), _oioxml_operators, ".xml", _oioxml_mutants),
    GeneratorFamily("medcom-fhir", lambda s: s.id in _MEDCOM_FHIR, _medcom_fhir_valid, _medcom_fhir_invalid,
                    _medcom_fhir_operators, ".json", _medcom_fhir_mutants),
]


def _family(standard: Standard) -> GeneratorFamily | None:
    return next((f for f in FAMILIES if f.accepts(standard)), None)


def _file_names(standard: Standard, count: int) -> list[str]:
    width = max(4, len(str(count)))
    extension = family.extension if (family := _family(standard)) else ".xml"
    return [f"{standard.id}-{standard.version}-{n:0{width}d}{extension}" for n in range(1, count + 1)]


def generate(standard: str | Standard, count: int, seed: int, invalid: bool = False,
             operators: Iterable[str] | None = None) -> list[GeneratedMessage]:
    """``count`` distinct messages of ``standard`` (``ID``, ``ID@VERSION`` or a
    :class:`Standard`), valid ones or, with ``invalid``, near misses that each name the rule id
    they must trigger. ``operators`` limits the mutations (names in
    :data:`dkhealth_conformance.xmlmodel.strategies.OPERATORS` for OIOXML,
    :data:`dkhealth_conformance.strategies.medcom_fhir.MEDCOM_OPERATORS` for MedCom FHIR). The
    same arguments give the same bytes."""
    std = resolve(standard) if isinstance(standard, str) else standard
    family = _family(std)
    if family is None:
        raise NoGenerator(f"standard {std.ref!r} has no generator; standards with a generator: {_listing()}")
    chosen = None if operators is None else tuple(dict.fromkeys(operators))
    if chosen is not None:
        known = family.operators(std)
        unknown = [name for name in chosen if name not in known]
        if unknown or not chosen:
            raise GenerationError(f"unknown mutation operator(s) {', '.join(unknown) or '(none given)'}; "
                                  f"known: {', '.join(known)}")
        if not invalid:
            raise GenerationError("mutation operators apply to invalid messages only (add --invalid)")
    strategy = family.invalid(std, chosen) if invalid else family.valid(std)
    try:
        drawn = draw_distinct(strategy, count, seed, key=lambda message: message.document)
    except GenerationError as exc:
        if invalid and chosen is not None and "no usable example" in str(exc):
            raise GenerationError(f"mutation operator(s) {', '.join(chosen)} found nothing to change in "
                                  f"{std.ref} messages; choose others") from None
        raise
    return [_named(message, name) for message, name in zip(drawn, _file_names(std, count), strict=True)]


def _named(message: GeneratedMessage, name: str) -> GeneratedMessage:
    return GeneratedMessage(name, message.document, message.standard, message.version, message.valid,
                            message.rule_id, message.operator, message.description)


# ------------------------------------------------------------------------------------- writing


def manifest(messages: Sequence[GeneratedMessage], standard: Standard, seed: int, invalid: bool,
             operators: Sequence[str] | None = None) -> dict[str, Any]:
    """The manifest of a generation run (what ``manifest.json`` holds)."""
    return {
        "format": MANIFEST_FORMAT,
        "tool": "dkhealth-conformance",
        "tool_version": __version__,
        "hypothesis_version": hypothesis.__version__,
        "standard": standard.id,
        "version": standard.version,
        "seed": seed,
        "count": len(messages),
        "invalid": invalid,
        "operators": list(operators) if operators is not None else None,
        "files": [m.entry() for m in messages],
    }


def manifest_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write(messages: Sequence[GeneratedMessage], out: str | Path, data: dict[str, Any], force: bool = False) -> Path:
    """Write the messages and ``manifest.json`` into ``out`` (created); files of those names are
    replaced only with ``force`` (otherwise :class:`FileExistsError`, before anything is
    written). Returns the manifest's path."""
    folder = Path(out)
    targets = [folder / m.name for m in messages] + [folder / MANIFEST]
    if not force:
        existing = [p.name for p in targets if p.exists()]
        if existing:
            shown = ", ".join(existing[:3]) + (f" and {len(existing) - 3} more" if len(existing) > 3 else "")
            raise FileExistsError(f"{folder}: {shown} already exist(s); use --force to overwrite")
    folder.mkdir(parents=True, exist_ok=True)
    for message in messages:
        (folder / message.name).write_bytes(message.document)
    path = folder / MANIFEST
    path.write_bytes(manifest_bytes(data))
    return path


# ----------------------------------------------------------------------------------------- CLI


@click.command("generate")
@click.argument("standard", metavar="STANDARD")
@click.option("--count", "-n", type=click.IntRange(1, 100_000), default=10, show_default=True,
              help="How many distinct messages.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed: the same seed gives byte-identical files.")
@click.option("--invalid", is_flag=True,
              help="Near-miss invalid messages, each tagged with the rule id it must trigger.")
@click.option("--operator", "operators", multiple=True, metavar="NAME",
              help="Only this mutation operator (repeatable; with --invalid).")
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False), help="Folder to write into (created).")
@click.option("--force", is_flag=True, help="Overwrite files of the same names.")
def generate_command(standard: str, count: int, seed: int, invalid: bool, operators: tuple[str, ...], out: str,
                     force: bool) -> None:
    """Write COUNT generated messages of STANDARD (an id from `dkconform standards`, ID or
    ID@VERSION) and a manifest.json into OUT."""
    try:
        std = resolve(standard)
        messages = generate(std, count, seed, invalid=invalid, operators=operators or None)
        data = manifest(messages, std, seed, invalid, list(dict.fromkeys(operators)) if operators else None)
        path = write(messages, out, data, force=force)
    except (GenerationError, FileExistsError) as exc:
        raise click.UsageError(str(exc)) from None
    kind = "invalid" if invalid else "valid"
    click.echo(f"wrote {len(messages)} {kind} {std.ref} messages and {path}")
