"""Suite cases as pytest items under ``pytest --dkhealth`` (wired in by the plugin's extension points).

``pytest --dkhealth --dkhealth-suite oioxml/xdis91-sender --dkhealth-payloads out/`` or
``pytest --dkhealth --dkhealth-suite oioxml/xdis91-receiver --dkhealth-receiver app.inbox:receive``
adds one item per case, ``suite[oioxml/xdis91-sender]::S-01-new-letter``.

Only pytest is imported here at start-up; the engine is imported when a suite is collected.
"""

from __future__ import annotations

from typing import Any

import pytest

_ADAPTER_KEY = pytest.StashKey[Any]()
_SEED_KEY = pytest.StashKey[str]()


def add_options(group: Any) -> None:
    group.addoption("--dkhealth-suite", action="append", default=None, metavar="SUITE",
                    help="Run this conformance suite's cases as tests (repeatable; a bundled name such as "
                         "oioxml/xdis91-sender, a suite id or a suite file).")
    group.addoption("--dkhealth-payloads", default=None, metavar="DIR",
                    help="Sender suites: a folder with one payload per case (<case id>.xml) or a mapping file.")
    group.addoption("--dkhealth-receiver", default=None, metavar="MODULE:FUNCTION",
                    help="Receiver suites: the receiver as a Python callable.")
    group.addoption("--dkhealth-receiver-cmd", default=None, metavar="COMMAND",
                    help="Receiver suites: the receiver as a command ({file} is the message file).")
    group.addoption("--dkhealth-receiver-url", default=None, metavar="URL",
                    help="Receiver suites: the receiver as a local HTTP endpoint (http://127.0.0.1:PORT/path).")
    group.addoption("--dkhealth-seed", default=None, metavar="SEED",
                    help="Receiver suites: seed of the generated message identifiers.")


def suite_names(config: pytest.Config) -> tuple[str, ...]:
    return tuple(config.getoption("dkhealth_suite") or ())


def receiver_spec(config: pytest.Config) -> str | None:
    """The receiver adapter as given (for the plugin's settings)."""
    return (config.getoption("dkhealth_receiver") or config.getoption("dkhealth_receiver_cmd")
            or config.getoption("dkhealth_receiver_url"))


def collect(parent: pytest.Collector) -> list[pytest.Item]:
    """Items for the cases of every suite named with ``--dkhealth-suite``."""
    from .model import SuiteError, find_suite

    items: list[pytest.Item] = []
    for name in suite_names(parent.config):
        try:
            suite = find_suite(name)
        except SuiteError as exc:
            raise pytest.UsageError(f"dkhealth: {exc}") from None
        _check_inputs(parent.config, suite)
        collector = SuiteCollector.from_parent(parent, name=f"suite[{suite.name}]", nodeid=f"suite[{suite.name}]",
                                               suite=suite)
        items.extend(collector.collect())
    return items


def _check_inputs(config: pytest.Config, suite: Any) -> None:
    if suite.role == "sender" and not config.getoption("dkhealth_payloads"):
        raise pytest.UsageError(f"dkhealth: sender suite {suite.name} needs --dkhealth-payloads DIR")
    if suite.role == "receiver" and not receiver_spec(config):
        raise pytest.UsageError(f"dkhealth: receiver suite {suite.name} needs --dkhealth-receiver MODULE:FUNCTION, "
                                "--dkhealth-receiver-cmd COMMAND or --dkhealth-receiver-url URL")


class SuiteCollector(pytest.Collector):
    def __init__(self, *, suite: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite = suite

    def collect(self) -> list[pytest.Item]:
        return [SuiteCaseItem.from_parent(self, name=case.id, case=case) for case in self.suite.cases]


class SuiteCaseFailure(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class SuiteCaseItem(pytest.Item):
    """One case of a suite: a sender's payload checked, or a receiver driven through its adapter."""

    def __init__(self, *, case: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.suite = self.parent.suite  # type: ignore[union-attr]

    def runtest(self) -> None:
        from .runner import ERROR, PASS, format_case

        if self.suite.role == "sender":
            result = self._run_sender()
        else:
            result = self._run_receiver()
        self.user_properties += [("dkhealth_suite", self.suite.id), ("dkhealth_suite_sha256", self.suite.digest),
                                 ("dkhealth_case_outcome", result.outcome)]
        if result.outcome != PASS:
            head = "could not be run" if result.outcome == ERROR else "failed"
            raise SuiteCaseFailure(f"suite {self.suite.name} case {self.case.id} {head}:\n{format_case(result)}")

    def _run_sender(self) -> Any:
        from .model import SuiteError
        from .runner import payload_map, run_sender

        try:
            payloads = payload_map(self.config.getoption("dkhealth_payloads"), self.suite)
        except SuiteError as exc:
            raise pytest.UsageError(f"dkhealth: {exc}") from None
        return run_sender(self.suite, payloads, [self.case.id]).cases[0]

    def _run_receiver(self) -> Any:
        from .adapters import AdapterUsageError, make_adapter
        from .runner import new_seed, run_receiver_case

        config = self.config
        if _ADAPTER_KEY not in config.stash:
            try:
                config.stash[_ADAPTER_KEY] = make_adapter(config.getoption("dkhealth_receiver"),
                                                          config.getoption("dkhealth_receiver_cmd"),
                                                          config.getoption("dkhealth_receiver_url"))
            except AdapterUsageError as exc:
                raise pytest.UsageError(f"dkhealth: {exc}") from None
            config.stash[_SEED_KEY] = config.getoption("dkhealth_seed") or new_seed()
        return run_receiver_case(self.suite, self.case, config.stash[_ADAPTER_KEY], config.stash[_SEED_KEY])

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, SuiteCaseFailure):
            return excinfo.value.text
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.suite.path, None, f"dkhealth suite {self.suite.name}: {self.case.id} ({self.case.title})"
