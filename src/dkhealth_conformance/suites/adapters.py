"""Receiver adapters: how the harness hands a message to the vendor's receiver and reads its answer.

- :class:`CallableAdapter` — ``module:function`` (or ``path/to/file.py:function``), called with the
  message bytes; it returns a mapping or an object with ``accepted`` (bool) and optionally
  ``answer`` (bytes or str) and ``processed`` (bool), or just a bool; a function that accepts a
  ``name`` keyword also gets the message's file name;
- :class:`CommandAdapter` — a command line; ``{file}`` in it is replaced by a temporary file holding
  the message (without ``{file}`` the message goes to standard input); exit status 0 means
  accepted, standard output is the answer;
- :class:`HttpAdapter` — ``http://127.0.0.1:PORT/path``: the message is POSTed; a 2xx status means
  accepted, the body is the answer. Only loopback hosts are allowed.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import ipaddress
import shlex
import socket
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

DEFAULT_TIMEOUT = 30.0


class AdapterError(RuntimeError):
    """The receiver could not be reached or did not answer in a usable way."""


class AdapterUsageError(ValueError):
    """An adapter specification that cannot work (bad ``module:function``, non-loopback URL, ...)."""


@dataclass
class Delivery:
    """What the receiver did with one message."""

    accepted: bool
    answer: bytes | None = None
    #: whether the receiver processed the message (None: the receiver did not say)
    processed: bool | None = None
    detail: str = ""


class Adapter(Protocol):
    kind: str
    target: str

    def deliver(self, data: bytes, name: str) -> Delivery: ...


def _as_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise AdapterError(f"the answer must be bytes or str, not {type(value).__name__}")


def delivery_from(result: Any) -> Delivery:
    """A :class:`Delivery` from what a Python receiver returned."""
    if isinstance(result, Delivery):
        return result
    if isinstance(result, bool):
        return Delivery(result)
    if isinstance(result, dict):
        get = result.get
    else:
        def get(key: str, default: Any = None) -> Any:
            return getattr(result, key, default)
    accepted = get("accepted")
    if not isinstance(accepted, bool):
        raise AdapterError(f"the receiver's result has no boolean 'accepted': {result!r:.200}")
    processed = get("processed")
    if processed is not None and not isinstance(processed, bool):
        raise AdapterError(f"'processed' must be a boolean, not {processed!r:.50}")
    return Delivery(accepted, _as_bytes(get("answer")), processed)


def _load_callable(spec: str) -> Callable[[bytes], Any]:
    module_name, sep, attribute = spec.rpartition(":")
    if not sep or not module_name or not attribute:
        raise AdapterUsageError(f"--receiver expects module:function, not {spec!r}")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            loader_spec = importlib.util.spec_from_file_location(f"_dkhealth_receiver_{path.stem}", path)
            if loader_spec is None or loader_spec.loader is None or not path.is_file():
                raise AdapterUsageError(f"receiver file {module_name!r} not found")
            module = importlib.util.module_from_spec(loader_spec)
            loader_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AdapterUsageError(f"cannot import the receiver module {module_name!r}: {exc}") from None
    function: Any = module
    for part in attribute.split("."):
        function = getattr(function, part, None)
        if function is None:
            raise AdapterUsageError(f"{module_name!r} has no {attribute!r}")
    if not callable(function):
        raise AdapterUsageError(f"{spec!r} is not callable")
    return function


def _takes_name(function: Callable[..., Any]) -> bool:
    """Whether the receiver function accepts a ``name`` keyword (the message's file name)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return "name" in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


class CallableAdapter:
    kind = "callable"

    def __init__(self, target: str | Callable[[bytes], Any]) -> None:
        if callable(target):
            self.function = target
            self.target = f"{getattr(target, '__module__', '?')}:{getattr(target, '__qualname__', repr(target))}"
        else:
            self.function = _load_callable(target)
            self.target = target
        self.takes_name = _takes_name(self.function)

    def deliver(self, data: bytes, name: str) -> Delivery:
        try:
            function: Any = self.function
            result = function(data, name=name) if self.takes_name else function(data)
        except Exception as exc:
            raise AdapterError(f"the receiver raised {type(exc).__name__}: {exc}") from exc
        return delivery_from(result)


class CommandAdapter:
    kind = "command"

    def __init__(self, command: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        try:
            self.argv = shlex.split(command)
        except ValueError as exc:
            raise AdapterUsageError(f"cannot split the receiver command: {exc}") from None
        if not self.argv:
            raise AdapterUsageError("the receiver command is empty")
        self.target = command
        self.timeout = timeout

    def deliver(self, data: bytes, name: str) -> Delivery:
        with tempfile.TemporaryDirectory(prefix="dkhealth-receiver-") as folder:
            file = Path(folder) / Path(name).name
            file.write_bytes(data)
            uses_file = any("{file}" in arg for arg in self.argv)
            argv = [arg.replace("{file}", str(file)) for arg in self.argv]
            try:
                done = subprocess.run(argv, input=None if uses_file else data, capture_output=True,
                                      timeout=self.timeout, check=False)
            except FileNotFoundError:
                raise AdapterError(f"receiver command not found: {argv[0]}") from None
            except subprocess.TimeoutExpired:
                raise AdapterError(f"the receiver command did not finish within {self.timeout:g} s") from None
        stderr = done.stderr.decode("utf-8", "replace").strip()
        detail = f"exit status {done.returncode}" + (f"; stderr: {stderr[:300]}" if stderr else "")
        return Delivery(done.returncode == 0, done.stdout or None, None, detail)


def check_loopback(url: str) -> urllib.parse.SplitResult:
    """The parsed URL, if it is http(s) to a loopback host; raises :class:`AdapterUsageError` otherwise."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AdapterUsageError(f"--receiver-url expects http://127.0.0.1:PORT/path, not {url!r}")
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host != "localhost":
            raise AdapterUsageError(f"receiver host {host!r} is not a loopback address; use 127.0.0.1 or ::1") from None
        try:
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0])
                         for info in socket.getaddrinfo(host, None)]
        except OSError as exc:
            raise AdapterUsageError(f"cannot resolve {host!r}: {exc}") from None
    if not addresses or not all(a.is_loopback for a in addresses):
        raise AdapterUsageError(f"receiver host {host!r} is not a loopback address; only local receivers are driven")
    return parts


class HttpAdapter:
    kind = "http"

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT, content_type: str = "application/xml") -> None:
        check_loopback(url)
        self.target = url
        self.timeout = timeout
        self.content_type = content_type
        # never through a proxy: the receiver is on this machine
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def deliver(self, data: bytes, name: str) -> Delivery:
        request = urllib.request.Request(self.target, data=data, method="POST",
                                         headers={"Content-Type": self.content_type, "X-Dkhealth-Name": name})
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            raise AdapterError(f"cannot reach the receiver at {self.target}: {exc}") from None
        return Delivery(200 <= status < 300, body or None, None, f"HTTP {status}")


def make_adapter(receiver: str | None = None, command: str | None = None, url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> Adapter:
    """The one adapter named by exactly one of ``receiver`` (module:function), ``command`` and ``url``."""
    given = [x for x in (receiver, command, url) if x]
    if len(given) != 1:
        raise AdapterUsageError("name exactly one receiver: --receiver module:function, --receiver-cmd "
                                "\"app --import {file}\" or --receiver-url http://127.0.0.1:PORT/path")
    if receiver:
        return CallableAdapter(receiver)
    if command:
        return CommandAdapter(command, timeout)
    assert url is not None
    return HttpAdapter(url, timeout)
