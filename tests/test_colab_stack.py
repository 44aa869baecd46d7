"""lstm_teach installs on Colab's stack as it is: Python 3.12 with torch, numpy, matplotlib
and tqdm at Colab's versions, none of them replaced.

There is no Python 3.12 here, so pip resolves for it: ``pip install --dry-run
--python-version 3.12 --only-binary=:all: --report``, with a wheel of this project and Colab's
versions pinned, on this machine's platform (Linux x86_64, as Colab). The report must list
exactly those versions, one torch and one numpy. A lower bound in pyproject.toml above
Colab's version makes the resolution impossible and the test fail with pip's message.

The resolution runs with a pinned recent pip (downloaded once into a cache folder) because
it reads each wheel's metadata without the wheel: from the index's metadata files, or with
``--use-feature=fast-deps`` from HTTP range requests where the index has none, and since
pip 25.3 ``--dry-run`` no longer downloads every wheel afterwards (torch and its CUDA
libraries are several GB). Needs the package index: skipped when it cannot be reached,
unless ``LSTM_TEACH_REQUIRE_NETWORK=1`` (set by ``.ci/run``), where it fails.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Colab's preinstalled versions as issue 9 records them (update when Colab moves); pooch is free.
COLAB_PYTHON = "3.12"
COLAB_PINS = {"torch": "2.9.0", "numpy": "2.0.2", "matplotlib": "3.10.0", "tqdm": "4.67.1"}
RESOLVER_PIP = "pip==26.3"  # the pip that resolves; the wheel is cached between runs
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lstm-teach" / "resolve"


def problems(report: dict, pins: dict[str, str], project: str = "lstm-teach") -> list[str]:
    """What in a ``pip install --report`` disagrees with ``pins`` (empty list: all agrees)."""
    found: dict[str, list[str]] = {}
    for item in report.get("install", []):
        name = item["metadata"]["name"].lower().replace("_", "-")
        found.setdefault(name, []).append(item["metadata"]["version"])
    wrong = [] if project in found else [f"{project} is not installed"]
    for name, version in pins.items():
        versions = found.get(name, [])
        if versions != [version]:
            wrong.append(f"{name}: resolved to {versions or 'nothing'}, Colab has {version}")
    return wrong


def test_problems_catches_a_replaced_pin():
    def report(**versions):
        return {"install": [{"metadata": {"name": n, "version": v}} for n, v in versions.items()]}

    good = report(torch="2.9.0", numpy="2.0.2", lstm_teach="0.1.0")
    assert problems(good, {"torch": "2.9.0", "numpy": "2.0.2"}) == []
    assert problems(report(torch="2.10.0", numpy="2.0.2", lstm_teach="0.1.0"),
                    {"torch": "2.9.0", "numpy": "2.0.2"}) == ["torch: resolved to ['2.10.0'], Colab has 2.9.0"]
    assert problems(report(torch="2.9.0"), {"numpy": "2.0.2"}) == [
        "lstm-teach is not installed", "numpy: resolved to nothing, Colab has 2.0.2"]


def _unreachable(reason: str):
    if os.environ.get("LSTM_TEACH_REQUIRE_NETWORK") == "1":
        pytest.fail(f"LSTM_TEACH_REQUIRE_NETWORK=1 but {reason}")
    pytest.skip(reason)


def _run(command: list[str], what: str, timeout: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} took longer than {timeout:.0f} s")


def _resolver_pip() -> Path:
    """The resolving pip's wheel (run as ``python pip-X.whl/pip``), downloaded on first use."""
    CACHE.mkdir(parents=True, exist_ok=True)
    version = RESOLVER_PIP.split("==")[1]
    wheel = CACHE / f"pip-{version}-py3-none-any.whl"
    if not wheel.exists():
        got = _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    "--disable-pip-version-check", "-d", str(CACHE), RESOLVER_PIP],
                   "downloading pip", timeout=300)
        if got.returncode != 0 or not wheel.exists():
            _unreachable(f"cannot reach the package index to fetch {RESOLVER_PIP}:\n{got.stdout[-1500:]}"
                         f"{got.stderr[-1500:]}")
    return wheel


def test_installs_on_colabs_stack_without_replacing_torch_or_numpy(tmp_path):
    pip = [sys.executable, str(_resolver_pip() / "pip"), "--disable-pip-version-check"]
    built = _run(pip + ["wheel", "--no-deps", "-q", "-w", str(tmp_path / "wheel"), str(ROOT)],
                 "building the project's wheel", timeout=300)
    wheels = list((tmp_path / "wheel").glob("lstm_teach-*.whl"))
    if built.returncode != 0 and "setuptools" in built.stdout + built.stderr and not wheels:
        _unreachable(f"cannot build the wheel (setuptools from the index):\n{built.stderr[-1500:]}")
    assert built.returncode == 0 and len(wheels) == 1, built.stdout + built.stderr

    report_path = tmp_path / "report.json"
    pins = [f"{name}=={version}" for name, version in COLAB_PINS.items()]
    resolved = _run(pip + ["install", "--dry-run", "--ignore-installed", "--quiet",
                           "--python-version", COLAB_PYTHON, "--only-binary=:all:",
                           "--target", str(tmp_path / "target"), "--use-feature=fast-deps",
                           "--report", str(report_path), str(wheels[0]), *pins, "pooch"],
                    "resolving for Colab", timeout=600)
    output = resolved.stdout + resolved.stderr
    if resolved.returncode != 0 and any(sign in output for sign in (
            "NewConnectionError", "Max retries exceeded", "Temporary failure in name resolution",
            "Network is unreachable", "ConnectTimeout", "ReadTimeout")):
        _unreachable(f"the package index stopped answering:\n{output[-1500:]}")
    assert resolved.returncode == 0, f"lstm_teach does not install on Colab's stack:\n{output[-3000:]}"

    wrong = problems(json.loads(report_path.read_text()), COLAB_PINS)
    assert not wrong, "\n".join(wrong)
