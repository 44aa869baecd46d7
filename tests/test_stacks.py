"""results/stacks.json (written by scripts/check_stacks.py) tests the versions pyproject.toml claims,
and README's stack table is generated from it."""

import importlib.util
import json
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("check_stacks", ROOT / "scripts" / "check_stacks.py")
check_stacks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_stacks)


def test_minimum_stack_is_read_from_pyproject():
    wanted = check_stacks.stacks()["minimum"]["wanted"]
    # the bounds in pyproject.toml today; a change there shows up here
    assert wanted == {"torch": "2.4", "numpy": "1.24", "matplotlib": "3.7", "tqdm": "4.64", "pooch": "1.7",
                      "ipywidgets": "8"}


def _record():
    if not check_stacks.RESULTS.exists():
        pytest.skip("results/stacks.json not written yet: run python scripts/check_stacks.py")
    return json.loads(check_stacks.RESULTS.read_text())


def test_stacks_json_tests_what_pyproject_declares():
    record = _record()
    stacks = check_stacks.stacks()
    assert set(record["stacks"]) == set(stacks)
    for name, stack in record["stacks"].items():
        assert stack["wanted"] == stacks[name]["wanted"], f"{name}: re-run scripts/check_stacks.py {name}"
        for package, version in stack["wanted"].items():
            if package != "torch":  # torch: one local CPU wheel everywhere, said in torch_note and README
                assert Version(stack["versions"][package]) == Version(version), (name, package)
        if Version(stack["versions"]["torch"]).base_version != Version(stack["wanted"]["torch"]).base_version:
            assert stack["versions"]["torch"] in stack["torch_note"] and stack["wanted"]["torch"] in stack["torch_note"]
        assert stack["tests"]["passed"] > 0 and stack["tests"]["failed"] == 0, (name, stack["failed"])


def test_each_stack_installs_the_whole_test_extra_except_what_it_pins():
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    colab = check_stacks.suite_requirements(check_stacks.stacks()["colab"]["wanted"])
    assert "ruff>=0.6" in colab and "ipywidgets>=8" in extra and not any(r.startswith("ipywidgets") for r in colab)
    assert set(colab) == {r for r in extra if not r.startswith("ipywidgets")}


def test_readme_table_is_generated_from_stacks_json():
    record = _record()
    readme = (ROOT / "README.md").read_text()
    assert check_stacks.with_table(readme, record) == readme, "run python scripts/check_stacks.py to rewrite it"
    for stack in record["stacks"].values():
        if Version(stack["versions"]["torch"]).base_version != Version(stack["wanted"]["torch"]).base_version:
            assert f"(not {stack['wanted']['torch']})" in check_stacks.table(record)
