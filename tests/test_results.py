"""README's results table is generated from results/*.json, which full runs write."""

import importlib.util
import json
from pathlib import Path

import pytest

from lstm_teach.config import save_results

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("results_table", ROOT / "scripts" / "results_table.py")
results_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(results_table)


def test_readme_table_matches_results_files():
    text = (ROOT / "README.md").read_text()
    assert results_table.with_table(text) == text, "run `python scripts/results_table.py`"


def _stored_mode(notebook: Path) -> str:
    """'full' or 'quick': what the notebook's first output line (describe_run) says it ran in."""
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", ""))
            if "device:" in text and "mode" in text:
                return "quick" if text.lstrip().startswith("QUICK mode") else "full"
    raise AssertionError(f"{notebook.name}: no stored describe_run() line")


def test_every_notebook_has_a_results_file_that_matches_its_stored_outputs():
    """A notebook stored from a full run has its full run's record (headline, time); one
    stored from a quick run must not claim a full-run result in README's table."""
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        path = ROOT / "results" / f"{notebook.stem}.json"
        assert path.exists(), f"no results for {notebook.name}: python scripts/run_notebooks.py {notebook.stem[:2]}"
        record = json.loads(path.read_text())
        assert "quick_seconds" in record, f"{path.name}: run python scripts/run_notebooks.py --quick"
        if _stored_mode(notebook) == "full":
            for key in ("headline", "anchor", "hardware", "full_seconds"):
                rerun = f"python scripts/run_notebooks.py {notebook.stem[:2]}"
                assert key in record, f"{path.name} lacks {key!r}: re-run {rerun}"
        else:
            assert "headline" not in record and "full_seconds" not in record, \
                f"{notebook.name} is stored from a quick run but {path.name} records a full run"


# The language models of 03, 04 and 06 choose on validation text and read the test text once (issue 18):
# their records hold both under the same names (the LSTM's valid_ppl / test_ppl, 03's as the mean
# over seeds with _mean / _sd; ngram_..._ppl, mixture_..._ppl), and README's table (the headline)
# shows the test numbers.
LM_RECORDS = {
    "03_lstm_from_scratch": ("valid_ppl_mean", "valid_ppl_sd", "test_ppl_mean", "test_ppl_sd",
                             "ngram_valid_ppl", "ngram_test_ppl"),
    "04_nn_lstm": ("valid_ppl", "test_ppl", "ngram_valid_ppl", "ngram_test_ppl"),
    "06_jaychou_lyrics": ("valid_ppl", "test_ppl", "ngram_valid_ppl", "ngram_test_ppl",
                          "mixture_valid_ppl", "mixture_test_ppl"),
}


@pytest.mark.parametrize("name, keys", LM_RECORDS.items())
def test_language_model_records_hold_validation_and_test_perplexities(name, keys):
    record = json.loads((ROOT / "results" / f"{name}.json").read_text())
    metrics = record.get("metrics", {})
    missing = [k for k in keys if not isinstance(metrics.get(k), float)]
    assert not missing, f"{name}: its results lack {missing}: python scripts/run_notebooks.py {name[:2]}"
    perplexities = [k for k in metrics if ("valid" in k or "test" in k) and "ppl" not in k]
    assert not perplexities, f"{name}: {perplexities} should be named like valid_ppl / ngram_test_ppl"
    test = metrics["test_ppl" if "test_ppl" in metrics else "test_ppl_mean"]
    assert "test perplexity" in record["headline"] and (f"{test:.2f}" in record["headline"]
                                                        or f"{test:.0f}" in record["headline"])


def test_save_results_writes_only_for_a_full_run_with_a_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("LSTM_TEACH_RESULTS", raising=False)
    monkeypatch.setenv("LSTM_TEACH_QUICK", "0")
    assert save_results("99_demo", "accuracy 90%", "80% (somebody 2020)") is None  # no folder: a student's run
    monkeypatch.setenv("LSTM_TEACH_RESULTS", str(tmp_path))
    monkeypatch.setenv("LSTM_TEACH_QUICK", "1")
    assert save_results("99_demo", "accuracy 90%", "80% (somebody 2020)") is None  # quick mode: not a result
    assert not list(tmp_path.iterdir())

    monkeypatch.setenv("LSTM_TEACH_QUICK", "0")
    (tmp_path / "99_demo.json").write_text(json.dumps({"notebook": "99_demo", "full_seconds": 12.0}))
    assert save_results("99_demo", "accuracy 90%", "80% (somebody 2020)", acc=0.9) is None  # no path shown
    record = json.loads((tmp_path / "99_demo.json").read_text())
    assert record["headline"] == "accuracy 90%" and record["metrics"] == {"acc": 0.9}
    assert record["full_seconds"] == 12.0  # what the run script wrote is kept


def test_table_rows_come_from_the_files(tmp_path):
    (tmp_path / "01_a.json").write_text(json.dumps(
        {"notebook": "01_a", "headline": "ppl 3.9", "anchor": "ppl 1.3 (d2l)", "hardware": "CPU (2 cores)",
         "quick_seconds": 20.4, "full_seconds": 600.0}))
    table = results_table.table(tmp_path)
    assert "| `01_a` | ppl 3.9 | ppl 1.3 (d2l) | 20 s | 10 min | CPU (2 cores) |" in table
    readme = f"intro\n{results_table.START}\nold\n{results_table.END}\nrest"
    want = f"intro\n{results_table.START}\n{table}\n{results_table.END}\nrest"
    assert results_table.with_table(readme, tmp_path) == want
    with pytest.raises(ValueError, match="markers"):
        results_table.with_table("no markers here", tmp_path)


def test_notebook_03_records_validation_and_test_perplexity_over_seeds():
    """03 makes its choices on validation text and reads the test text once, over at least 3 seeds
    (issue 18): its record holds both, with mean and spread, and README's table shows the test numbers."""
    import statistics

    record = json.loads((ROOT / "results" / "03_lstm_from_scratch.json").read_text())
    metrics = record["metrics"]
    for key in ("valid_ppl_mean", "valid_ppl_sd", "test_ppl_mean", "test_ppl_sd", "ngram_valid_ppl", "ngram_test_ppl",
                "ensemble_test_ppl", "seed_recipe_train_ppl", "seed_recipe_valid_ppl"):
        assert isinstance(metrics.get(key), float), f"03's results lack {key}"
    seeds = metrics["test_ppl_seeds"]
    assert len(seeds) >= 3 and len(metrics["valid_ppl_seeds"]) == len(seeds)
    assert metrics["test_ppl_mean"] == pytest.approx(statistics.mean(seeds))
    assert metrics["test_ppl_sd"] == pytest.approx(statistics.stdev(seeds))
    assert f"{metrics['test_ppl_mean']:.2f}" in record["headline"] and "test perplexity" in record["headline"]


def test_the_runner_keeps_freed_memory_only_when_asked(monkeypatch, tmp_path):
    """scripts/run_notebooks.py --keep-freed-memory starts each kernel with glibc's malloc thresholds
    (MALLOC_KEEP); without it they are left out, and a value the user set wins."""
    spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "scripts" / "run_notebooks.py")
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    seen = []
    monkeypatch.setattr(runner.subprocess, "run", lambda command, env, check: seen.append(env))
    notebook = tmp_path / "00_demo.ipynb"
    notebook.write_text("{}")
    for name in runner.MALLOC_KEEP:
        monkeypatch.delenv(name, raising=False)
    runner.execute(notebook, quick=True, keep_freed_memory=True)
    runner.execute(notebook, quick=True)
    monkeypatch.setenv("MALLOC_TOP_PAD_", "0")
    runner.execute(notebook, quick=True, keep_freed_memory=True)
    assert {k: seen[0][k] for k in runner.MALLOC_KEEP} == runner.MALLOC_KEEP
    assert not set(runner.MALLOC_KEEP) & set(seen[1])
    assert seen[2]["MALLOC_TOP_PAD_"] == "0" and seen[0]["LSTM_TEACH_QUICK"] == "1"
