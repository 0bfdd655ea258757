"""``dkconform``: the command line.

Exit codes: 0 conformant, 1 not conformant or unreadable input, 2 usage error, 3 internal error.
"""

from __future__ import annotations

import difflib
import fnmatch
import itertools
import multiprocessing
import os
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import ClassVar

import click

from ._version import __version__
from .docs_gen import rules_markdown
from .payload import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, Limits
from .registry import Options, UnknownStandard, default_registry
from .render import FORMATS, render
from .report import Report, Severity
from .rules import catalogue, lookup
from .validation import validate

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
DEFAULT_INCLUDE = ("*.xml", "*.json", "*.hl7", "*.er7", "*.edi", "*.edifact")
PROGRESS_THRESHOLD = 20


def _version_text() -> str:
    lines = [f"dkconform (dkhealth-conformance) {__version__}"]
    for pack in default_registry().packs:
        lines.append(f"  pack {pack.name} {pack.version} ({pack.family})")
    return "\n".join(lines)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_text())
        ctx.exit(0)


class _Commands(click.Group):
    """The top-level group: the command groups that need heavy imports (Hypothesis for generation
    and suites) are imported only when one of them is run, which keeps `dkconform check` fast to
    start."""

    lazy: ClassVar[dict[str, tuple[str, str]]] = {
        "fhir": ("dkhealth_conformance.fhir.cli", "fhir_group"),
        "generate": ("dkhealth_conformance.generate", "generate_command"),
        "suite": ("dkhealth_conformance.suites.cli", "suite_group"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            import importlib

            module, name = self.lazy[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), name)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version of the tool and of each standard pack.")
def main() -> None:
    """Check healthcare messages against Danish interoperability standards (MedCom, DK Core)."""


# --------------------------------------------------------------------------------------- check


def collect(paths: Sequence[str], include: Sequence[str], exclude: Sequence[str]) -> list[str]:
    """Expand directories (recursively, in sorted order) and keep explicit files as given."""
    found: list[str] = []
    for given in paths:
        path = Path(given)
        if given != "-" and path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    rel = os.path.join(root, name)
                    if name.startswith("."):
                        continue
                    if any(fnmatch.fnmatch(name, g) for g in include) and not _excluded(rel, exclude):
                        found.append(rel)
        elif not _excluded(given, exclude):
            found.append(given)
    return found


def _excluded(path: str, exclude: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(path, g) or fnmatch.fnmatch(Path(path).name, g) for g in exclude)


def _check_one(job: tuple[str, bytes | None, str | None, Options, Limits]) -> Report:
    name, data, standard, options, limits = job
    source: object = data if data is not None else name
    report = validate(source, standard, name=name, options=options, limits=limits)
    if not report.issues:
        report.text = None  # kept only to quote the lines of issues: not carried back from workers or held for nothing
    return report


def _run(jobs: list[tuple[str, bytes | None, str | None, Options, Limits]], workers: int,
         progress: bool) -> list[Report]:
    if workers > 1 and len(jobs) > 1:
        # The first payload is checked here, so that what it needs (models, compiled schemas) is loaded
        # once and inherited by the forked workers, which check the rest in chunks.
        first = _check_one(jobs[0])
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            rest = pool.map(_check_one, jobs[1:], chunksize=max(1, len(jobs) // (workers * 8)))
            return _with_progress(itertools.chain([first], rest), len(jobs), progress)
    return _with_progress(map(_check_one, jobs), len(jobs), progress)


def _with_progress(results: Iterable[Report], total: int, show: bool) -> list[Report]:
    if not show:
        return list(results)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    out: list[Report] = []
    columns = (TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("check", total=total)
        for report in results:
            out.append(report)
            bar.advance(task)
    return out


def exit_code(reports: Sequence[Report], fail_on: Severity) -> int:
    if any(i.rule_id == "internal-error" for r in reports for i in r.issues):
        return EXIT_INTERNAL
    return EXIT_OK if all(r.passes(fail_on) for r in reports) else EXIT_FAIL


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--standard", "-s", metavar="ID[@VERSION]", help="Force a standard instead of detecting it.")
@click.option("--format", "-f", "fmt", type=click.Choice(list(FORMATS)), default="text", show_default=True,
              help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the output to FILE.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error", show_default=True,
              help="Lowest severity that makes a payload fail.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; the exit code tells the result.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Worker processes (results keep input order).")
@click.option("--include", multiple=True, metavar="GLOB",
              help=f"File name patterns taken from directories (default: {' '.join(DEFAULT_INCLUDE)}).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Path or name patterns to leave out.")
@click.option("--max-size", type=click.IntRange(1), default=DEFAULT_MAX_BYTES, show_default=True,
              help="Largest payload accepted, in bytes.")
@click.option("--max-depth", type=click.IntRange(1), default=DEFAULT_MAX_DEPTH, show_default=True,
              help="Deepest JSON nesting accepted.")
@click.option("--schema-dir", type=click.Path(file_okay=False, exists=True),
              help="Official schema release to run as an extra layer (OIOXML).")
@click.option("--correlate", "correlate_dir", type=click.Path(file_okay=False, exists=True),
              help="Folder of sent letters: receipts are checked against the Emessages they answer (OIOXML).")
@click.option("--cpr-modulus11", is_flag=True,
              help="Also report CPR numbers that fail the modulus-11 check (information; OIOXML).")
@click.option("--ig", "igs", multiple=True, type=click.Path(exists=True),
              help="Extra FHIR package (folder or .tgz) or definition file (JSON/XML); repeatable.")
@click.option("--profile", "profiles", multiple=True, metavar="CANONICAL",
              help="Also validate FHIR resources against this profile (canonical[|version]); repeatable.")
@click.option("--state", "state_db", type=click.Path(dir_okay=False),
              help="SQLite file of received messages: duplicates and acknowledgements are checked against it and "
                   "recorded (MedCom FHIR).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal, many files).")
def check(paths: tuple[str, ...], standard: str | None, fmt: str, output: str | None, fail_on: str,
          quiet: bool, jobs: int, include: tuple[str, ...], exclude: tuple[str, ...], max_size: int,
          max_depth: int, schema_dir: str | None, correlate_dir: str | None, igs: tuple[str, ...],
          profiles: tuple[str, ...], state_db: str | None, progress: bool | None, cpr_modulus11: bool) -> None:
    """Validate payload files, directories (recursively) or - for standard input."""
    if standard:
        try:
            default_registry().find(standard)
        except UnknownStandard:
            known = ", ".join(sorted({s.id for s in default_registry().standards()})) or "none installed"
            raise click.UsageError(f"unknown standard {standard!r}; supported: {known}") from None
    files = collect(paths, include or DEFAULT_INCLUDE, exclude)
    if not files:
        raise click.UsageError("no payload files found under the given paths")
    extra: dict[str, object] = {"correlate": correlate_dir} if correlate_dir else {}
    if igs:
        extra["ig"] = [str(Path(p).resolve()) for p in igs]
    if profiles:
        extra["profile"] = list(profiles)
    if state_db:
        extra["state"] = str(Path(state_db).resolve())
    if cpr_modulus11:
        extra["cpr_modulus11"] = True
    options = Options(schema_dir=schema_dir, extra=extra)
    limits = Limits(max_bytes=max_size, max_json_depth=max_depth)
    stdin = sys.stdin.buffer.read(max_size + 1) if "-" in files else None
    jobs_list = [("<stdin>" if f == "-" else f, stdin if f == "-" else None, standard, options, limits) for f in files]
    show = progress if progress is not None else (sys.stderr.isatty() and len(files) >= PROGRESS_THRESHOLD)
    reports = _run(jobs_list, jobs, show and not quiet)
    color = fmt == "text" and output is None and sys.stdout.isatty()
    text = render(reports, fmt, color=color)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    elif not quiet:
        click.echo(text, nl=False)
    sys.exit(exit_code(reports, Severity(fail_on)))


# ------------------------------------------------------------------------------ standards, rules


@main.group(invoke_without_command=True)
@click.pass_context
def standards(ctx: click.Context) -> None:
    """List the supported standards (id, family, version, status)."""
    if ctx.invoked_subcommand is None:
        rows = [(s.id, s.family, s.version, s.status) for s in default_registry().standards()]
        if not rows:
            click.echo("no standard packs installed")
            return
        widths = [max(len(r[i]) for r in [("ID", "FAMILY", "VERSION", "STATUS"), *rows]) for i in range(4)]
        for row in [("ID", "FAMILY", "VERSION", "STATUS"), *rows]:
            click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


@standards.command("show")
@click.argument("standard_id")
def standards_show(standard_id: str) -> None:
    """Show one standard and its versions."""
    try:
        found = default_registry().find(standard_id)
    except UnknownStandard:
        raise click.UsageError(f"unknown standard {standard_id!r}") from None
    pack = default_registry().pack_of(found[0])
    click.echo(f"{found[0].id}: {found[0].title}")
    click.echo(f"  family: {found[0].family}   pack: {pack.name} {pack.version}")
    for std in found:
        formats = ", ".join(std.formats) or "any"
        click.echo(f"  version {std.version}  status {std.status}  formats {formats}")
    families = sorted({r.id.split(".")[0] for r in pack.rules})
    hint = " ".join(f"--family {f}" for f in families)
    click.echo(f"  rules: {len(pack.rules)} in pack {pack.name} (dkconform rules {hint})")


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
@click.option("--family", help="Only rules whose id starts with this family (e.g. oioxml, dk, fhir).")
def rules_cmd(fmt: str, family: str | None) -> None:
    """List the rule catalogue."""
    rules = [r for r in catalogue().values() if not family or r.id.split(".")[0] == family]
    if fmt == "markdown":
        click.echo(rules_markdown(rules), nl=False)
        return
    width = max((len(r.id) for r in rules), default=10)
    for rule in rules:
        click.echo(f"{rule.id.ljust(width)}  {rule.severity.value:<11}  {rule.title}")


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Explain one rule: severity, source clause, rationale and an example."""
    rules = catalogue()
    rule = lookup(rule_id, rules)
    if rule is None:
        close = difflib.get_close_matches(rule_id, list(rules), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `dkconform rules` lists them"
        raise click.UsageError(f"unknown rule {rule_id!r}{hint}")
    click.echo(f"{rule.id}  ({rule.severity.value})\n  {rule.title}\n")
    if rule.id != rule_id:
        click.echo(f"{rule_id} is the member {rule_id[len(rule.id) + 1:]!r} of this family.\n")
    click.echo(f"Source:    {rule.source}")
    click.echo(f"Rationale: {rule.rationale}")
    if rule.example:
        click.echo(f"Example:   {rule.example}")


def run() -> None:  # pragma: no cover - console entry for `python -m`
    main()
