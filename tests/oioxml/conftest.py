"""Parametrizes the shared example checks (``example_checks.ExampleChecks``) from their class."""

from __future__ import annotations

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    cls = metafunc.cls
    if cls is None:
        return
    if "example" in metafunc.fixturenames:
        metafunc.parametrize("example", cls.CASES, ids=[path.name for path in cls.CASES])
    if "receipt_pair" in metafunc.fixturenames:
        metafunc.parametrize("receipt_pair", cls.RECEIPTS, ids=[receipt for receipt, _ in cls.RECEIPTS])
