"""Conformance test suites: declarative sender and receiver cases (``testsuites/``), the engine
that runs them, and the adapters that drive a vendor's receiver. See ``docs/suites.md``.

>>> from dkhealth_conformance.suites import find_suite, payload_map, run_sender
>>> suite = find_suite("oioxml/xdis91-sender")                      # doctest: +SKIP
>>> result = run_sender(suite, payload_map("out/", suite))           # doctest: +SKIP
>>> result.outcome, result.to_dict()["summary"]                      # doctest: +SKIP
"""

from .adapters import (
    Adapter,
    AdapterError,
    AdapterUsageError,
    CallableAdapter,
    CommandAdapter,
    Delivery,
    HttpAdapter,
    make_adapter,
)
from .model import RECEIVER, SENDER, Case, Step, Suite, SuiteError, bundled_suites, find_suite, load_suite
from .registry import (
    BuildContext,
    Built,
    Check,
    register_answer,
    register_builder,
    register_correlator,
    register_path_evaluator,
)
from .runner import (
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

__all__ = [
    "ERROR",
    "FAIL",
    "PASS",
    "RECEIVER",
    "SENDER",
    "Adapter",
    "AdapterError",
    "AdapterUsageError",
    "BuildContext",
    "Built",
    "CallableAdapter",
    "Case",
    "CaseResult",
    "Check",
    "CommandAdapter",
    "Delivery",
    "HttpAdapter",
    "Step",
    "Suite",
    "SuiteError",
    "SuiteResult",
    "bundled_suites",
    "find_suite",
    "format_result",
    "load_suite",
    "make_adapter",
    "payload_map",
    "register_answer",
    "register_builder",
    "register_correlator",
    "register_path_evaluator",
    "run_receiver",
    "run_sender",
    "write_given",
]
