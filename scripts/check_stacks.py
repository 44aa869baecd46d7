"""Run the quick test suite on each software stack we claim, and record what really ran.

    python scripts/check_stacks.py                 # every stack (slow: the whole quick suite per stack)
    python scripts/check_stacks.py minimum         # one stack
    nohup python scripts/check_stacks.py > stacks.log 2>&1 &

Each stack gets its own virtual environment (a temporary folder), installed from the package index:
this project plus the stack's pinned versions and the test tools. The stacks:

- ``colab``: Google Colab's versions (numpy, matplotlib, tqdm, pooch, ipywidgets 7).
- ``minimum``: the lower bounds that ``pyproject.toml`` declares (numpy, matplotlib, tqdm, pooch; the
  ``lab`` extra's ipywidgets), read from it.

**torch is the same in every stack**: the local CPU wheel of ``TORCH_SPEC`` (default torch==2.13.0)
from pip's find-links folder, installed from its file so that pip can never fetch a CUDA build
(several GB) from PyPI; the PyTorch CPU index is not reachable here. ``results/stacks.json`` says so
for each stack, beside the torch version Colab or pyproject would have had.

Then it runs ``python -m pytest -q`` (quick mode, offline data) in that environment and writes the
versions, the pass/fail/skip counts and the failing tests to ``results/stacks.json``, and the README's
stack table from it (``tests/test_stacks.py`` checks both against pyproject.toml).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results" / "stacks.json"
START, END = "<!-- stacks:start -->", "<!-- stacks:end -->"
PACKAGES = ["torch", "numpy", "matplotlib", "tqdm", "pooch", "ipywidgets", "ipykernel", "nbval", "pytest"]
# Colab's preinstalled versions (tests/test_colab_stack.py has the same; update both when Colab moves).
COLAB = {"torch": "2.9.0", "numpy": "2.0.2", "matplotlib": "3.10.0", "tqdm": "4.67.1", "pooch": "1.8.2",
         "ipywidgets": "7.7.1"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower()


def declared_minimums() -> dict[str, str]:
    """Lower bounds from pyproject.toml: the dependencies, and ipywidgets from the lab extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = {}
    for requirement in project["dependencies"] + project["optional-dependencies"]["lab"]:
        bound = re.search(r">=\s*([\w.]+)", requirement)
        if bound:
            found[_name(requirement)] = bound.group(1)
    return found


def suite_requirements(pinned) -> list[str]:
    """pyproject's ``test`` extra, less the packages the stack pins (Colab's ipywidgets 7 is below the extra's
    >=8): read from pyproject.toml, so a tool added to the extra (ruff, say) is installed here too."""
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    return [r for r in extra if _name(r) not in pinned]


def stacks() -> dict[str, dict]:
    minimum = declared_minimums()
    return {
        "colab": {"about": "Google Colab's versions", "wanted": COLAB},
        "minimum": {"about": "the lower bounds declared in pyproject.toml",
                    "wanted": {k: minimum[k] for k in ("torch", "numpy", "matplotlib", "tqdm", "pooch", "ipywidgets")}},
    }


def local_torch_wheel(spec: str) -> str:
    version = spec.split("==", 1)[1]
    folders = os.environ.get("PIP_FIND_LINKS", "").split()
    config = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.find-links"],
                            capture_output=True, text=True)
    folders += config.stdout.split()
    for folder in folders:
        hits = sorted(glob.glob(os.path.join(folder.removeprefix("file://"), f"torch-{version}[+-]*.whl")))
        if hits:
            return hits[0]
    raise SystemExit(f"no local wheel for {spec} in pip's find-links {folders}: this script installs torch only "
                     "from a local file, never from PyPI (whose Linux wheels pull several GB of CUDA)")


def run(command, **kwargs):
    print("  $", " ".join(map(str, command)), flush=True)
    return subprocess.run(command, check=True, **kwargs)


def check(name: str, stack: dict, torch_wheel: str) -> dict:
    started = time.time()
    with tempfile.TemporaryDirectory(prefix=f"stack-{name}-") as tmp:
        venv = Path(tmp) / "venv"
        run([sys.executable, "-m", "venv", str(venv)])
        python = str(venv / "bin" / "python")
        run([python, "-m", "pip", "install", "-q", torch_wheel])
        torch_version = subprocess.run([python, "-c", "import torch; print(torch.__version__)"],
                                       capture_output=True, text=True, check=True).stdout.strip()
        constraints = Path(tmp) / "keep-torch.txt"
        constraints.write_text(f"torch=={torch_version}\n")  # pip may not replace the local torch
        pins = [f"{k}=={v}" for k, v in stack["wanted"].items() if k != "torch"]
        run([python, "-m", "pip", "install", "-q", "-c", str(constraints), "-e", str(ROOT), *pins,
             *suite_requirements(stack["wanted"])])
        report = ("import importlib.metadata as m, json, sys; "
                  "print(json.dumps({p: m.version(p) for p in sys.argv[1:]}))")
        versions = json.loads(subprocess.run([python, "-c", report, *PACKAGES],
                                             capture_output=True, text=True, check=True).stdout)
        versions["python"] = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                                            capture_output=True, text=True, check=True).stdout.strip()
        junit = Path(tmp) / "junit.xml"
        env = {**os.environ, "LSTM_TEACH_QUICK": "1", "LSTM_TEACH_OFFLINE": "1", "OMP_NUM_THREADS": "1",
               "LSTM_TEACH_DATA": os.environ.get("LSTM_TEACH_DATA", str(ROOT / ".data"))}
        for key in ("PYTHONPATH", "MPLBACKEND"):  # as ./course.sh test runs it: kernels use the inline backend
            env.pop(key, None)
        tests = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"],
                               cwd=ROOT, env=env, capture_output=True, text=True)
        print(tests.stdout[-3000:], tests.stderr[-2000:], flush=True)
        counts, failed = {"passed": 0, "failed": 0, "skipped": 0, "xfailed": 0}, []
        for case in ET.parse(junit).getroot().iter("testcase"):
            test_id = f"{case.get('classname')}::{case.get('name')}"
            kinds = {child.tag for child in case}
            skipped = case.find("skipped")
            if skipped is not None:
                xfail = "xfail" in (skipped.get("type", "") + skipped.get("message", "")).lower()
                counts["xfailed" if xfail else "skipped"] += 1
            elif kinds & {"failure", "error"}:
                counts["failed"] += 1
                failed.append(test_id)
            else:
                counts["passed"] += 1
    torch_note = (f"torch {versions['torch']} (this machine's local CPU wheel) in place of "
                  f"{stack['wanted']['torch']}: only local CPU wheels may be installed here")
    return {"about": stack["about"], "wanted": stack["wanted"], "versions": versions, "torch_note": torch_note,
            "tests": counts, "failed": failed, "pytest_exit_code": tests.returncode,
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                     text=True).stdout.strip(),
            "minutes": round((time.time() - started) / 60, 1), "date": time.strftime("%Y-%m-%d"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores"}


def table(record: dict) -> str:
    rows = ["| stack | Python | torch | numpy | matplotlib | tqdm | pooch | ipywidgets | quick suite |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, s in record["stacks"].items():
        v, w, t = s["versions"], s["wanted"], s["tests"]
        torch = v["torch"] + ("" if v["torch"].split("+")[0] == w["torch"] else f" (not {w['torch']})")
        result = f"{t['passed']} passed, {t['failed']} failed, {t['skipped']} skipped"
        rows.append(f"| {name}: {s['about']} | {v['python']} | {torch} | {v['numpy']} | {v['matplotlib']} | "
                    f"{v['tqdm']} | {v['pooch']} | {v['ipywidgets']} | {result} ({s['date']}) |")
    return "\n".join(rows)


def with_table(readme: str, record: dict) -> str:
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{table(record)}\n{END}{after}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="stacks to check (default: all)")
    args = parser.parse_args()
    chosen = stacks()
    names = args.names or list(chosen)
    torch_wheel = local_torch_wheel(os.environ.get("TORCH_SPEC", "torch==2.13.0"))
    record = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"stacks": {}}
    for name in names:
        print(f"{time.strftime('%H:%M:%S')} stack {name}: {chosen[name]['about']}", flush=True)
        record["stacks"][name] = check(name, chosen[name], torch_wheel)
        print(f"{time.strftime('%H:%M:%S')} stack {name}: {json.dumps(record['stacks'][name])}", flush=True)
    # written once at the end: a stack's own test run must not see a half-written file
    RESULTS.write_text(json.dumps(record, indent=1) + "\n")
    readme = ROOT / "README.md"
    readme.write_text(with_table(readme.read_text(), record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
