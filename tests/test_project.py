"""The project's own files: environment.yml vs pyproject.toml, the test harness, the CLI."""

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= set(extra)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {r for r in pip_section if not r.startswith("-")}
    # Same names and the same version bounds, both ways.
    assert {_name(r): r.replace(" ", "") for r in listed} == {_name(r): r.replace(" ", "") for r in wanted}
    conda_python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert conda_python.removeprefix("python") == project["requires-python"]


def test_package_dependencies_stay_minimal():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    assert names == {"torch", "numpy", "matplotlib", "tqdm", "pooch"}
    assert not {"jupyterlab", "torchtext", "d2l", "torchvision"} & names


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./course.sh test" in readme and "./course.sh test" in ci
    assert "./course.sh lab" in readme


def test_readme_links_and_images_name_files_in_the_checkout():
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)  # [text](target) and ![alt](target)
    local = [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:|#", t)]
    assert "docs/images/jupyterlab_exercise.png" in local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README links to files that are not in the checkout: {missing}"


def _notebook(cells):
    return {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
                       "outputs": [], "source": src} for i, src in enumerate(cells)],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _run_pytest(folder):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbval-lax", "--nbval-current-env",
                           "-p", "no:cacheprovider", "--rootdir", str(folder), str(folder)],
                          capture_output=True, text=True, cwd=folder, env=env, timeout=300)


def test_nbval_harness_passes_a_good_notebook_and_fails_a_broken_one(tmp_path):
    (tmp_path / "good.ipynb").write_text(json.dumps(_notebook(["x = 1 + 1", "assert x == 2"])))
    result = _run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    (tmp_path / "bad.ipynb").write_text(json.dumps(_notebook(["assert 1 + 1 == 3, 'claim failed'"])))
    result = _run_pytest(tmp_path)
    assert result.returncode == 1 and "claim failed" in result.stdout


def test_cli_info_and_download_errors(tmp_path):
    env = dict(os.environ, LSTM_TEACH_DATA=str(tmp_path), LSTM_TEACH_OFFLINE="1")
    info = subprocess.run([sys.executable, "-m", "lstm_teach", "info"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert info.returncode == 0 and str(tmp_path) in info.stdout and "timemachine" in info.stdout
    dl = subprocess.run([sys.executable, "-m", "lstm_teach", "download", "timemachine"],
                        capture_output=True, text=True, env=env, timeout=120)
    assert dl.returncode == 1 and "LSTM_TEACH_OFFLINE" in dl.stdout + dl.stderr
    bad = subprocess.run([sys.executable, "-m", "lstm_teach", "download", "nope"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "unknown data set" in bad.stdout


def test_ruff_finds_nothing():
    """The linter of CI, configured in pyproject.toml ([tool.ruff]); a `noqa` that silences nothing fails too."""
    try:
        import ruff  # noqa: F401  (only to say clearly when it is missing)
    except ImportError:
        pytest.fail("ruff is missing: pip install -e '.[test]'")
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_no_module_defines_a_name_twice():
    # exercises.py and plots.py grow a section per notebook; a second `def` of the same name
    # would silently replace the first and break the notebook that used it.
    import ast
    import collections

    for path in sorted((ROOT / "lstm_teach").glob("*.py")):
        names = [node.name for node in ast.parse(path.read_text()).body
                 if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        twice = [n for n, k in collections.Counter(names).items() if k > 1]
        assert not twice, f"{path.name} defines {twice} more than once"


def test_notebooks_are_valid_with_unique_cell_ids():
    """Cells edited by scripts keep nbformat 4.5's unique ids (JupyterLab and nbval rely on them)."""
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        ids = [c.get("id") for c in cells]
        assert None not in ids, f"{path.name}: a cell has no id"
        assert len(set(ids)) == len(ids), f"{path.name}: cell ids repeat"
