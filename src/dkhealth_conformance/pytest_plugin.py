"""``pytest --dkhealth``: one test per payload file, plus fixtures for a project's own tests.

Switched on by ``--dkhealth``. Without it the plugin collects nothing and changes nothing: it only
registers its command-line options, ini keys, the ``dkhealth`` marker and two opt-in fixtures.

With it, every payload file under the *payload roots* becomes one test item, ``PATH::dkhealth``.
The payload roots are the paths named on the command line, or, when the command line names none,
the configured ones (``dkhealth_paths`` in pytest's ini options and ``paths`` in ``[tool.dkhealth]``
of the rootdir's ``pyproject.toml``). Files found by pytest's ordinary collection outside the
payload roots (``testpaths``, the invocation directory) are left alone, so test data under
``tests/`` is never mistaken for payloads.

Settings, strongest first: command-line options, pytest ini options (``dkhealth_standard``,
``dkhealth_fail_on``, ``dkhealth_include``, ``dkhealth_exclude``), ``[tool.dkhealth]`` (``standard``,
``fail_on``, ``include``, ``exclude``), defaults.

Only pytest and the standard library are imported at start-up; the validator is loaded when it
is first needed, so that every pytest run of an environment with this package stays fast.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .report import Report, Severity

ITEM_NAME = "dkhealth"
FAIL_ON_LEVELS = ("error", "warning")
INTERNAL_ERROR = "internal-error"
#: attribute of a pytest ``TestReport`` carrying the payload's report (a plain dict, so that
#: pytest-xdist can send it from a worker to the controller)
REPORT_ATTR = "dkhealth_report"


# ------------------------------------------------------------------------------------ options


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dkhealth", "healthcare message conformance (dkhealth-conformance)")
    group.addoption("--dkhealth", action="store_true", default=False,
                    help="Collect payload files (MedCom OIOXML, VANS, ...) as conformance tests, one per file.")
    group.addoption("--dkhealth-standard", metavar="ID[@VERSION]", default=None,
                    help="Force a standard for every payload instead of detecting it.")
    group.addoption("--dkhealth-fail-on", choices=FAIL_ON_LEVELS, default=None,
                    help="Lowest severity that makes a payload fail (default: error).")
    group.addoption("--dkhealth-report", metavar="FILE.html", default=None,
                    help="Write the HTML report of every payload checked in the run to FILE.")
    group.addoption("--dkhealth-include", metavar="GLOB", action="append", default=None,
                    help="File name pattern taken from directories (repeatable; default: the dkconform ones).")
    group.addoption("--dkhealth-exclude", metavar="GLOB", action="append", default=None,
                    help="Path or file name pattern to leave out (repeatable).")
    _add_suite_options(group)

    parser.addini("dkhealth_paths", type="paths", default=[],
                  help="dkhealth: payload folders or files checked when no path is given")
    parser.addini("dkhealth_standard", type="string", default="", help="dkhealth: force a standard (ID[@VERSION])")
    parser.addini("dkhealth_fail_on", type="string", default="", help="dkhealth: error or warning")
    parser.addini("dkhealth_include", type="linelist", default=[], help="dkhealth: file name patterns")
    parser.addini("dkhealth_exclude", type="linelist", default=[], help="dkhealth: patterns to leave out")


def _add_suite_options(group: Any) -> None:
    """EXTENSION POINT (conformance suites, receiver adapters).

    Options for running conformance suites (``--dkhealth-suite SUITE``, ``--dkhealth-role
    sender|receiver``) and for the adapter that drives a receiver (a Python callable, a command or
    a local HTTP endpoint) are registered here once ``dkhealth_conformance.suites`` exists. Their
    values belong in :class:`Settings` (``suites``/``receiver``), and their cases are collected by
    :func:`_collect_suite_cases` (see ``dkhealth_conformance.suites.pytest_items``).
    """
    from .suites.pytest_items import add_options

    add_options(group)


# ----------------------------------------------------------------------------------- settings


@dataclass
class Settings:
    """What ``--dkhealth`` runs with, resolved once per process in ``pytest_configure``."""

    roots: list[Path]
    standard: str | None = None
    fail_on: str = "error"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    report_file: Path | None = None
    # EXTENSION POINT: suites to run and the receiver adapter (see _add_suite_options)
    suites: tuple[str, ...] = ()
    receiver: str | None = None
    reports: list[dict[str, Any]] = field(default_factory=list)

    def wants(self, path: Path, rootdir: Path) -> bool:
        """Whether ``path`` is a payload of this run."""
        if path.suffix == ".py" or path.name.startswith("."):
            return False
        explicit = path in self.roots
        if not explicit and not any(root in path.parents for root in self.roots):
            return False
        if _excluded(path, rootdir, self.exclude):
            return False
        return explicit or any(fnmatch.fnmatch(path.name, g) for g in self.include)


SETTINGS_KEY = pytest.StashKey[Settings]()


def _excluded(path: Path, rootdir: Path, patterns: Iterable[str]) -> bool:
    candidates = [path.name, str(path), path.as_posix()]
    try:
        candidates.append(path.relative_to(rootdir).as_posix())
    except ValueError:
        pass
    return any(fnmatch.fnmatch(c, g) for c in candidates for g in patterns)


def _pyproject_section(rootdir: Path) -> dict[str, Any]:
    """``[tool.dkhealth]`` of the rootdir's pyproject.toml (empty when there is none)."""
    file = rootdir / "pyproject.toml"
    if not file.is_file():
        return {}
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise pytest.UsageError(f"dkhealth: cannot read {file}: {exc}") from None
    section = data.get("tool", {}).get("dkhealth", {})
    if not isinstance(section, dict):
        raise pytest.UsageError(f"dkhealth: [tool.dkhealth] in {file} must be a table")
    return section


def _as_list(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise pytest.UsageError(f"dkhealth: [tool.dkhealth] {key} must be a string or a list of strings")


def _resolve_settings(config: pytest.Config) -> Settings:
    from .cli import DEFAULT_INCLUDE
    from .suites.pytest_items import receiver_spec, suite_names

    rootdir = config.rootpath
    tool = _pyproject_section(rootdir)
    unknown = set(tool) - {"paths", "standard", "fail_on", "include", "exclude"}
    if unknown:
        raise pytest.UsageError(f"dkhealth: unknown key(s) in [tool.dkhealth]: {', '.join(sorted(unknown))}")

    def pick(option: str, ini: str, key: str) -> Any:
        value = config.getoption(option)
        if value:
            return value
        value = config.getini(ini)
        if value:
            return value
        return tool.get(key)

    standard = pick("dkhealth_standard", "dkhealth_standard", "standard") or None
    fail_on = _configured_fail_on(config, tool)
    include = tuple(_as_list(pick("dkhealth_include", "dkhealth_include", "include"), "include")) or DEFAULT_INCLUDE
    exclude = tuple(_as_list(pick("dkhealth_exclude", "dkhealth_exclude", "exclude"), "exclude"))
    if standard:
        _check_standard(standard)

    if config.args_source is pytest.Config.ArgsSource.ARGS:
        invocation = config.invocation_params.dir
        roots = [(invocation / arg.split("::", 1)[0]).resolve() for arg in config.args]
    else:
        configured = [Path(p) for p in config.getini("dkhealth_paths")]
        configured += [rootdir / p for p in _as_list(tool.get("paths"), "paths")]
        roots = [p.resolve() for p in configured]
        _add_collection_args(config, roots)

    report_file = config.getoption("dkhealth_report")
    return Settings(
        roots=list(dict.fromkeys(roots)),
        standard=standard,
        fail_on=fail_on,
        include=include,
        exclude=exclude,
        report_file=(config.invocation_params.dir / report_file) if report_file else None,
        suites=suite_names(config),
        receiver=receiver_spec(config),
    )


def _configured_fail_on(config: pytest.Config, tool: dict[str, Any] | None = None) -> str:
    """``--dkhealth-fail-on``, else ``dkhealth_fail_on`` (ini), else ``[tool.dkhealth] fail_on``, else error."""
    if tool is None:
        tool = _pyproject_section(config.rootpath)
    fail_on = config.getoption("dkhealth_fail_on") or config.getini("dkhealth_fail_on") or tool.get("fail_on")
    fail_on = fail_on or "error"
    if fail_on not in FAIL_ON_LEVELS:
        raise pytest.UsageError(f"dkhealth: fail_on must be one of {', '.join(FAIL_ON_LEVELS)}, not {fail_on!r}")
    return str(fail_on)


def _add_collection_args(config: pytest.Config, roots: Sequence[Path]) -> None:
    """Make pytest collect the configured payload roots besides its own test paths."""
    present = {(config.invocation_params.dir / a.split("::", 1)[0]).resolve() for a in config.args}
    for root in roots:
        if not root.exists():
            raise pytest.UsageError(f"dkhealth: configured payload path {root} does not exist")
        if root not in present and not any(p in root.parents for p in present):
            config.args.append(str(root))
            present.add(root)


def _check_standard(standard: str) -> None:
    from .registry import UnknownStandard, default_registry

    try:
        default_registry().find(standard)
    except UnknownStandard:
        known = ", ".join(sorted({s.id for s in default_registry().standards()})) or "none installed"
        raise pytest.UsageError(f"dkhealth: unknown standard {standard!r}; supported: {known}") from None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "dkhealth(standard=None, fail_on=None): defaults of the dkhealth_validate and "
        "dkhealth_assert_conforms fixtures in this test",
    )
    if config.getoption("dkhealth"):
        config.stash[SETTINGS_KEY] = _resolve_settings(config)


# --------------------------------------------------------------------------------- collection


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    settings = parent.config.stash.get(SETTINGS_KEY, None)
    if settings is None or not settings.wants(file_path.resolve(), parent.config.rootpath):
        return None
    return PayloadFile.from_parent(parent, path=file_path)


def _collect_suite_cases(parent: pytest.Collector) -> list[pytest.Item]:
    """EXTENSION POINT (conformance suites): the cases of the suites named by the suite options,
    as items beside the payload items."""
    from .suites.pytest_items import collect

    return collect(parent)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is not None and settings.suites:
        items.extend(_collect_suite_cases(session))


class PayloadFile(pytest.File):
    """A payload file; it holds one :class:`PayloadItem`."""

    def collect(self) -> Iterable[pytest.Item]:
        yield PayloadItem.from_parent(self, name=ITEM_NAME)


class PayloadFailure(Exception):
    """A payload did not conform (or could not be checked); carries the formatted issue list."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class PayloadItem(pytest.Item):
    """Validates one payload file; fails with the list of its issues."""

    def runtest(self) -> None:
        from .report import Severity
        from .validation import validate

        settings = self.config.stash[SETTINGS_KEY]
        report = validate(self.path, settings.standard, name=self._display_name())
        self.user_properties.extend(junit_properties(report))
        self.stash[_REPORT_KEY] = report
        fail_on = Severity(settings.fail_on)
        if _is_internal(report) or not report.passes(fail_on):
            raise PayloadFailure(format_issues(report, fail_on))

    def _display_name(self) -> str:
        try:
            return self.path.relative_to(self.config.rootpath).as_posix()
        except ValueError:
            return str(self.path)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, PayloadFailure):
            return excinfo.value.text
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"dkhealth: {self._display_name()}"


_REPORT_KEY = pytest.StashKey["Report"]()


def junit_properties(report: Report) -> list[tuple[str, str]]:
    """``dkhealth_standard``, ``dkhealth_sha256`` and one ``dkhealth_rule`` per distinct rule id."""
    props = [("dkhealth_standard", report.standard_ref or ""), ("dkhealth_sha256", report.digest)]
    props += [("dkhealth_rule", rule) for rule in report.rule_ids()]
    return props


def _is_internal(report: Report) -> bool:
    return any(i.rule_id == INTERNAL_ERROR for i in report.issues)


# ------------------------------------------------------------------------------ failure output


def format_issues(report: Report, fail_on: Severity) -> str:
    """The readable list printed for a failing payload: a header, then per issue its severity,
    rule id, location and message, and the payload's offending line where known."""
    failing = sorted({i.rule_id for i in report.issues if i.severity.at_least(fail_on)})
    standard = report.standard_ref or "no standard"
    lines: list[str] = []
    if _is_internal(report):
        lines.append("INTERNAL ERROR: a validator failed while checking this payload; this is a defect of "
                     "dkhealth-conformance, please report it")
    else:
        verdict = report.verdict if report.verdict != "conformant" else f"{fail_on.value}s"
        lines.append(f"{verdict} (fail on {fail_on.value}): {', '.join(failing)}")
    lines.append(f"payload {report.name} ({standard}, {report.format}, sha256 {report.digest[:12]}), "
                 f"{len(report.issues)} issue(s):")
    for issue in report.issues:
        loc = issue.location
        where = str(loc)
        if loc.line:
            where += f" (line {loc.line}" + (f", column {loc.column})" if loc.column else ")")
        marker = "INTERNAL ERROR " if issue.rule_id == INTERNAL_ERROR else ""
        lines.append(f"  {marker}{issue.severity.value:<11} {issue.rule_id}  {where}")
        for text in issue.message.splitlines() or [""]:
            lines.append(f"      {text}")
        quoted = report.line_text(loc.line) if loc.container is None else None
        if quoted is not None:
            lines.append(f"      {loc.line:>5} | {quoted.strip()[:200]}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- reports, HTML file


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    rep = yield
    if call.when == "call" and isinstance(item, PayloadItem):
        report = item.stash.get(_REPORT_KEY, None)
        if report is not None:
            setattr(rep, REPORT_ATTR, _portable(report))
    return rep


def _portable(report: Report) -> dict[str, Any]:
    """The report as builtins, with the payload lines its issues point at (for the HTML file)."""
    data = report.to_dict()
    data["lines"] = {str(i.location.line): report.line_text(i.location.line)
                     for i in report.issues if report.line_text(i.location.line) is not None}
    return data


def _from_portable(data: dict[str, Any]) -> Report:
    """Rebuild a :class:`Report` from :func:`_portable` (on the controller, for the HTML file);
    issues are made by their catalogued rules, as everywhere else."""
    from .report import Location, Report, Severity
    from .rules import Rule, catalogue, lookup

    rules = catalogue()
    issues = []
    for item in data["issues"]:
        rule = lookup(item["rule"], rules)
        if rule is None:  # a rule of a pack only the worker had registered (e.g. in a conftest.py)
            rule = Rule(item["rule"], Severity(item["severity"]), "", item["source"], "")
        loc = item["location"]
        location = Location(loc["path"], loc["line"], loc["column"], loc.get("container"))
        key = item["rule"][len(rule.id) + 1:] or None  # a member of a keyed family
        issues.append(rule.issue(item["message"], location, severity=Severity(item["severity"]), key=key))
    quoted = {int(n): text for n, text in data.get("lines", {}).items()}
    text = "\n".join(quoted.get(n, "") for n in range(1, max(quoted, default=0) + 1)) if quoted else None
    return Report(data["name"], data["sha256"], data["size"], data["format"], data["standard"], data["version"],
                  issues, dict(data["timings_ms"]), data["tool_version"], text=text)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    data = getattr(report, REPORT_ATTR, None)
    if data is None or report.when != "call":
        return
    settings = _controller_settings()
    if settings is not None:
        settings.reports.append(data)


_CONTROLLER: list[Settings] = []


def _controller_settings() -> Settings | None:
    return _CONTROLLER[-1] if _CONTROLLER else None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    settings = session.config.stash.get(SETTINGS_KEY, None)
    if settings is not None and not hasattr(session.config, "workerinput"):
        settings.reports.clear()
        _CONTROLLER.append(settings)


def pytest_sessionfinish(session: pytest.Session) -> None:
    settings = session.config.stash.get(SETTINGS_KEY, None)
    if settings is None or hasattr(session.config, "workerinput"):
        return
    if _CONTROLLER and _CONTROLLER[-1] is settings:
        _CONTROLLER.pop()
    if settings.report_file is not None:
        from .render import render

        reports = [_from_portable(d) for d in sorted(settings.reports, key=lambda d: d["name"])]
        settings.report_file.parent.mkdir(parents=True, exist_ok=True)
        settings.report_file.write_text(render(reports, "html"), encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or hasattr(config, "workerinput"):
        return
    if not settings.roots and not settings.suites:
        terminalreporter.write_line("dkhealth: no payload paths; name them (pytest --dkhealth out/messages/) "
                                    "or configure them (paths in [tool.dkhealth], or dkhealth_paths)")
        return
    done = settings.reports
    failing = ("fatal", *FAIL_ON_LEVELS[: FAIL_ON_LEVELS.index(settings.fail_on) + 1])
    passed = sum(1 for d in done if not any(d["counts"].get(level) for level in failing))
    line = f"dkhealth: {len(done)} payload(s) checked, {passed} conform (fail on {settings.fail_on})"
    if settings.report_file is not None:
        line += f"; HTML report: {settings.report_file}"
    terminalreporter.write_line(line)


# ----------------------------------------------------------------------------------- fixtures


def _marker_defaults(node: pytest.Item) -> tuple[str | None, str | None]:
    marker = node.get_closest_marker("dkhealth")
    if marker is None:
        return None, None
    if marker.args:
        raise pytest.UsageError("@pytest.mark.dkhealth takes keyword arguments only: standard=..., fail_on=...")
    unknown = set(marker.kwargs) - {"standard", "fail_on"}
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.dkhealth: unknown argument(s) {', '.join(sorted(unknown))}")
    fail_on = marker.kwargs.get("fail_on")
    if fail_on is not None and fail_on not in FAIL_ON_LEVELS:
        raise pytest.UsageError(f"@pytest.mark.dkhealth: fail_on must be one of {', '.join(FAIL_ON_LEVELS)}")
    return marker.kwargs.get("standard"), fail_on


@pytest.fixture
def dkhealth_validate(request: pytest.FixtureRequest) -> Callable[..., Report]:
    """``dkhealth_validate(payload, standard=None) -> Report``: validate a path, bytes, str or
    parsed JSON. ``standard`` defaults to the ``@pytest.mark.dkhealth(standard=...)`` of the test,
    else the standard is detected."""
    from .validation import validate

    default_standard, _ = _marker_defaults(request.node)

    def run(payload: Any, standard: str | None = None, **kwargs: Any) -> Report:
        return validate(payload, standard or default_standard, **kwargs)

    return run


@pytest.fixture
def dkhealth_assert_conforms(request: pytest.FixtureRequest,
                             dkhealth_validate: Callable[..., Report]) -> Callable[..., Report]:
    """``dkhealth_assert_conforms(payload, standard=None, fail_on=None) -> Report``: fail the test
    with the readable list of issues unless the payload conforms. ``fail_on`` defaults to the
    marker's, else the run's setting (``--dkhealth-fail-on``, ini, ``[tool.dkhealth]``), else ``error``."""
    from .report import Severity

    _, marker_fail_on = _marker_defaults(request.node)
    settings = request.config.stash.get(SETTINGS_KEY, None)
    configured = settings.fail_on if settings is not None else _configured_fail_on(request.config)

    def check(payload: Any, standard: str | None = None, fail_on: str | None = None, **kwargs: Any) -> Report:
        report = dkhealth_validate(payload, standard, **kwargs)
        level = Severity(fail_on or marker_fail_on or configured or "error")
        if _is_internal(report) or not report.passes(level):
            pytest.fail(format_issues(report, level), pytrace=False)
        return report

    return check
