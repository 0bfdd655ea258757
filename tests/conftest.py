"""Shared fixtures: a small demo standard pack (tests/demo_pack.py), installed either as a plain
:class:`Registry` or through a real entry point so that the CLI and subprocesses see it."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dkhealth_conformance import Registry
from dkhealth_conformance.cli import main
from dkhealth_conformance.registry import ENTRY_POINT_GROUP, default_registry

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent

NOTE_NS = "urn:demo:note"
DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
VALID_NOTE = f'{DECL}<Note xmlns="{NOTE_NS}">\n  <To>Ann</To>\n  <Body>Hej</Body>\n</Note>\n'
INVALID_NOTE = f'{DECL}<Note xmlns="{NOTE_NS}">\n  <Body>Hej</Body>\n</Note>\n'
WARNING_NOTE = f'<Note xmlns="{NOTE_NS}">\n  <To>Ann</To>\n  <Body/>\n</Note>\n'
BOOM = '<Boom xmlns="urn:demo:boom"/>'


@contextlib.contextmanager
def loopback_receiver(receive: Callable[[bytes, str], tuple[bool, bytes]], path: str) -> Iterator[str]:
    """An HTTP receiver on 127.0.0.1 (port chosen by the system) for the suites' HTTP adapter:
    ``receive(body, name)`` (``name`` from the X-Dkhealth-Name header) answers (accepted, answer);
    accepted gives status 200, refused 422. Yields the URL of ``path``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers["Content-Length"]))
            accepted, body = receive(data, self.headers.get("X-Dkhealth-Name", ""))
            self.send_response(200 if accepted else 422)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session", autouse=True)
def compiled_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The on-disk cache of compiled definitions in a folder of the test session (each xdist
    worker has its own), never the user's: the suite runs cold at its start and warm after."""
    folder = tmp_path_factory.mktemp("compiled-cache")
    before = os.environ.get("DKHEALTH_COMPILED_CACHE")
    os.environ["DKHEALTH_COMPILED_CACHE"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("DKHEALTH_COMPILED_CACHE", None)
    else:
        os.environ["DKHEALTH_COMPILED_CACHE"] = before


@pytest.fixture
def demo_registry() -> Registry:
    """A registry holding only the demo packs, for library calls (``validate(registry=...)``)."""
    from . import demo_pack

    return Registry([demo_pack.make_demo_pack(), demo_pack.boom_pack])


@pytest.fixture(scope="session")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding an installed-looking distribution whose entry points name the demo packs,
    exactly as a third-party pack would declare them in its pyproject.toml."""
    folder = tmp_path_factory.mktemp("demo-plugin")
    info = folder / "dkhealth_demo_pack-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: dkhealth-demo-pack\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\ndemo = tests.demo_pack:make_demo_pack\nboom = tests.demo_pack:boom_pack\n"
    )
    return folder


@pytest.fixture
def clean_registry() -> Iterator[Registry]:
    """The real default registry (only the packs installed with the project)."""
    default_registry.cache_clear()
    yield default_registry()
    default_registry.cache_clear()


@pytest.fixture
def demo_installed(plugin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """The demo packs found through the entry-point group by the default registry (and the CLI)."""
    monkeypatch.syspath_prepend(str(plugin_dir))
    monkeypatch.syspath_prepend(str(REPO))
    default_registry.cache_clear()
    registry = default_registry()
    assert {p.name for p in registry.packs} >= {"demo", "boom"}
    yield registry
    default_registry.cache_clear()


@pytest.fixture
def cli(demo_installed: Registry):
    """Run ``dkconform`` in process with the demo packs installed: ``cli("check", path)``."""
    runner = CliRunner()

    def run(*args: str, input: bytes | str | None = None) -> Result:
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return run


@pytest.fixture
def subprocess_env(plugin_dir: Path) -> dict[str, str]:
    """Environment for running ``dkconform`` as a real process with the demo packs installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(plugin_dir), str(REPO), env.get("PYTHONPATH", "")])
    env.pop("FORCE_COLOR", None)
    return env


def dkconform_cmd() -> list[str]:
    return [sys.executable, "-m", "dkhealth_conformance"]


def rule_ids(report) -> list[str]:
    return [i.rule_id for i in report.issues]
