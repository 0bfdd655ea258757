"""Conformance test suites: declarative sender and receiver cases (``testsuites/``), the engine
that runs them, and the adapters that drive a vendor's receiver. See ``docs/suites.md``.

>>> from dkhealth_conformance.suites import find_suite, payload_map, run_sender
>>> suite = find_suite("oioxml/xdis91-sender")                      # doctest: +SKIP
>>> result = run_sender(suite, payload_map("out/", suite))           # doctest: +SKIP
>>> result.outcome, result.to_dict()["summary"]                      # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Loaded on first use, so that ``pytest`` start-up (the plugin's suite options) stays light.
_EXPORTS = {
    "Adapter": "adapters",
    "AdapterError": "adapters",
    "AdapterUsageError": "adapters",
    "CallableAdapter": "adapters",
    "CommandAdapter": "adapters",
    "Delivery": "adapters",
    "HttpAdapter": "adapters",
    "make_adapter": "adapters",
    "RECEIVER": "model",
    "SENDER": "model",
    "Case": "model",
    "Step": "model",
    "Suite": "model",
    "SuiteError": "model",
    "bundled_suites": "model",
    "find_suite": "model",
    "load_suite": "model",
    "BuildContext": "registry",
    "Built": "registry",
    "Check": "registry",
    "register_answer": "registry",
    "register_builder": "registry",
    "register_correlator": "registry",
    "register_path_evaluator": "registry",
    "ERROR": "runner",
    "FAIL": "runner",
    "PASS": "runner",
    "CaseResult": "runner",
    "SuiteResult": "runner",
    "format_result": "runner",
    "payload_map": "runner",
    "run_receiver": "runner",
    "run_sender": "runner",
    "write_given": "runner",
}

if TYPE_CHECKING:
    from .adapters import (  # noqa: F401
        Adapter,
        AdapterError,
        AdapterUsageError,
        CallableAdapter,
        CommandAdapter,
        Delivery,
        HttpAdapter,
        make_adapter,
    )
    from .model import RECEIVER, SENDER, Case, Step, Suite, SuiteError, bundled_suites, find_suite, load_suite  # noqa: F401
    from .registry import (  # noqa: F401
        BuildContext,
        Built,
        Check,
        register_answer,
        register_builder,
        register_correlator,
        register_path_evaluator,
    )
    from .runner import (  # noqa: F401
        ERROR,
        FAIL,
        PASS,
        CaseResult,
        SuiteResult,
        format_result,
        payload_map,
        run_receiver,
        run_sender,
        write_given,
    )

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
