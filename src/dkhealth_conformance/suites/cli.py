"""``dkconform suite list|show|run``.

Exit codes of ``suite run``: 0 every case passed, 1 a case failed or could not be run, 2 usage
error (unknown suite, bad adapter, wrong role), 3 internal error.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import click

from .adapters import DEFAULT_TIMEOUT, AdapterUsageError, make_adapter
from .model import RECEIVER, ROLES, SENDER, Suite, SuiteError, bundled_suite_files, find_suite, load_suite
from .runner import SuiteResult, format_result, payload_map, run_receiver, run_sender, write_given

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _find(name: str) -> Suite:
    try:
        return find_suite(name)
    except SuiteError as exc:
        raise click.UsageError(str(exc)) from None


@click.group("suite")
def suite_group() -> None:
    """Conformance test suites: sender and receiver cases that mirror MedCom's test protocols."""


@suite_group.command("list")
def suite_list() -> None:
    """List the bundled suites."""
    rows = []
    for file in bundled_suite_files():
        try:
            suite = load_suite(file)
        except SuiteError as exc:
            raise click.ClickException(str(exc)) from None
        rows.append((suite.name, suite.role, str(len(suite.cases)), ", ".join(suite.standards), suite.title))
    header = ("NAME", "ROLE", "CASES", "STANDARD", "TITLE")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])


@suite_group.command("show")
@click.argument("suite_name", metavar="SUITE")
@click.option("--given", "given_dir", type=click.Path(file_okay=False), default=None,
              help="Write the messages the suite gives the vendor (per case) into this folder.")
def suite_show(suite_name: str, given_dir: str | None) -> None:
    """Show a suite (a bundled name such as oioxml/xdis91-sender, a suite id, or a suite file) and its cases."""
    suite = _find(suite_name)
    click.echo(f"{suite.id}: {suite.title}")
    click.echo(f"  file:     {suite.path} (sha256 {suite.digest})")
    click.echo(f"  role:     {suite.role}")
    click.echo(f"  standard: {', '.join(suite.standards)}")
    click.echo(f"  source:   {suite.source}")
    if suite.description:
        click.echo(f"  {suite.description}")
    for case in suite.cases:
        click.echo(f"\n  {case.id}  [{case.kind}]  {case.title}")
        click.echo(f"      clause: {case.clause}")
        if case.description:
            click.echo(f"      {case.description}")
        if case.given is not None:
            click.echo(f"      given:  {case.given.name}")
        if case.expect:
            click.echo(f"      expect: {json.dumps(case.expect, ensure_ascii=False)}")
        for n, step in enumerate(case.steps, start=1):
            click.echo(f"      step {n}: send {step.builder} {json.dumps(step.params, ensure_ascii=False)} "
                       f"-> expect {json.dumps(step.expect, ensure_ascii=False)}")
    if given_dir:
        written = write_given(suite, given_dir)
        click.echo(f"\n{len(written)} given message(s) written to {given_dir}")


@suite_group.command("run")
@click.argument("suite_name", metavar="SUITE")
@click.option("--role", type=click.Choice(ROLES), default=None, help="The role tested (default: the suite's).")
@click.option("--payloads", type=click.Path(exists=True), default=None,
              help="Sender: a folder with one file per case named <case id>.<ext>, or a YAML mapping case id -> file.")
@click.option("--receiver", default=None, metavar="MODULE:FUNCTION",
              help="Receiver: a Python callable (module:function or path/to/file.py:function).")
@click.option("--receiver-cmd", default=None, metavar="COMMAND",
              help="Receiver: a command; {file} is replaced by the message file (else the message goes to stdin).")
@click.option("--receiver-url", default=None, metavar="URL",
              help="Receiver: an HTTP endpoint on this machine (http://127.0.0.1:PORT/path) that takes a POST.")
@click.option("--timeout", type=float, default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds to wait for the receiver per message.")
@click.option("--seed", default=None, help="Receiver: seed of the message identifiers (default: a fresh one).")
@click.option("--case", "cases", multiple=True, metavar="ID", help="Run only this case (repeatable).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the results as JSON (docs/suites.md describes the format).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary line.")
def suite_run(suite_name: str, role: str | None, payloads: str | None, receiver: str | None,
              receiver_cmd: str | None, receiver_url: str | None, timeout: float, seed: str | None,
              cases: tuple[str, ...], output: str | None, quiet: bool) -> None:
    """Run a suite's cases against a sender's payloads or through a receiver adapter."""
    suite = _find(suite_name)
    role = role or suite.role
    if role != suite.role:
        raise click.UsageError(f"suite {suite.name} is a {suite.role} suite, not a {role} suite")
    adapters = [x for x in (receiver, receiver_cmd, receiver_url) if x]
    try:
        if role == SENDER:
            if adapters or not payloads:
                raise click.UsageError("a sender suite needs --payloads DIR (and no receiver option)")
            result = run_sender(suite, payload_map(payloads, suite), list(cases) or None)
        else:
            if payloads:
                raise click.UsageError("a receiver suite takes --receiver, --receiver-cmd or --receiver-url, "
                                       "not --payloads")
            adapter = make_adapter(receiver, receiver_cmd, receiver_url, timeout)
            result = run_receiver(suite, adapter, seed, list(cases) or None)
    except (SuiteError, AdapterUsageError) as exc:
        raise click.UsageError(str(exc)) from None
    except click.UsageError:
        raise
    except Exception:  # a defect of the tool, not of the system under test
        click.echo("internal error while running the suite (a defect of dkhealth-conformance, please report it):",
                   err=True)
        click.echo(traceback.format_exc(), err=True)
        sys.exit(EXIT_INTERNAL)
    _report(result, output, quiet)
    sys.exit(EXIT_OK if result.passed else EXIT_FAIL)


def _report(result: SuiteResult, output: str | None, quiet: bool) -> None:
    text = format_result(result)
    click.echo(text.splitlines()[-1] if quiet else text)
    if output:
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


__all__ = ["RECEIVER", "SENDER", "suite_group"]
