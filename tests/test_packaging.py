"""The built wheel: it carries the data folders, installs into a fresh virtual environment and runs
the README's first command there (the wheel's copy, not the editable checkout)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

README = REPO / "README.md"
MAIN_COMMAND = re.compile(r"^python3 -m pip install \. && dkconform check (\S+)$", re.MULTILINE)
TEST_COMMAND = "python3 -m pip install -e '.[test]' && python3 -m pytest -n auto"


def readme_example() -> tuple[str, str]:
    """The payload of the README's first command, and the output the README shows for it."""
    text = README.read_text(encoding="utf-8")
    match = MAIN_COMMAND.search(text)
    assert match, "README.md lacks the command `python3 -m pip install . && dkconform check examples/...`"
    shown = re.search(r"```text\n(.*?)```", text[match.end():], re.DOTALL)
    assert shown, "README.md shows no output (a ```text block) after its first command"
    return match.group(1), shown.group(1)


def test_readme_commands_and_ci_agree() -> None:
    text = README.read_text(encoding="utf-8")
    assert TEST_COMMAND in text.splitlines()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert TEST_COMMAND in ci.splitlines(), ".ci/run must run the README's test command verbatim"
    example, _ = readme_example()
    assert (REPO / example).is_file(), f"the README's example {example} does not exist"


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["NO_COLOR"] = "1"
    return env


def run(args: list[str | Path], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                          timeout=600, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", out, REPO], cwd=out)
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("dkhealth_conformance-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed; dependencies come from the system
    site-packages, so nothing is downloaded."""
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    result = run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--force-reinstall", "--quiet",
                  wheel], cwd=env_dir)
    assert result.returncode == 0, result.stderr
    return env_dir


@pytest.mark.slow
def test_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    example, _ = readme_example()
    assert f"dkhealth_conformance/_data/{example}" in names
    assert "dkhealth_conformance/py.typed" in names
    assert "dkhealth_conformance/render/templates/report.html.j2" in names
    for folder in ("profiles", "testsuites", "examples"):
        assert any(n.startswith(f"dkhealth_conformance/_data/{folder}/") for n in names), folder
    for path in (REPO / "profiles").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert f"dkhealth_conformance/_data/{path.relative_to(REPO).as_posix()}" in names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "dkconform = dkhealth_conformance.cli:main" in text


@pytest.mark.slow
def test_installed_wheel_finds_its_data(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import json, dkhealth_conformance as d, dkhealth_conformance.data as data;"
        "print(json.dumps({'module': d.__file__, 'examples': str(data.examples_dir()),"
        "'profiles': str(data.profiles_dir()), 'testsuites': str(data.testsuites_dir())}))"
    )
    result = run([installed / "bin" / "python", "-I", "-c", probe], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    where = json.loads(result.stdout)
    root = installed.resolve()
    for key, value in where.items():
        assert Path(value).resolve().is_relative_to(root), f"{key} comes from {value}, not the wheel"
    assert Path(where["examples"]).name == "examples" and Path(where["examples"]).parent.name == "_data"


@pytest.mark.slow
def test_installed_wheel_runs_the_readme_example(installed: Path, tmp_path: Path) -> None:
    dkconform = installed / "bin" / "dkconform"
    version = run([dkconform, "--version"], cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("dkconform (dkhealth-conformance) ")
    rules = run([dkconform, "rules"], cwd=tmp_path)
    assert rules.returncode == 0 and "internal-error" in rules.stdout
    example, shown = readme_example()
    # the README's first command, from a checkout, run by the installed wheel
    result = run([dkconform, "check", example], cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == shown, "README.md shows other output than the command gives"
    # the same payload as bundled inside the installed package
    probe = "import dkhealth_conformance.data as d; print(d.examples_dir())"
    examples = Path(run([installed / "bin" / "python", "-I", "-c", probe], cwd=tmp_path).stdout.strip())
    bundled = examples / Path(example).relative_to("examples")
    assert bundled.resolve().is_relative_to(installed.resolve())
    result = run([dkconform, "check", "--format", "json", bundled], cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    (report,) = json.loads(result.stdout)["reports"]
    assert report["verdict"] == "conformant" and report["standard"]
