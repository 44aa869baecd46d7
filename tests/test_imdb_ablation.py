"""benchmarks/imdb_ablation.py: notebook 05's one-change-at-a-time table, chosen on validation reviews only."""

import importlib.util
import json
import statistics
from pathlib import Path

import pytest

import lstm_teach.data

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("imdb_ablation", ROOT / "benchmarks" / "imdb_ablation.py")
ablation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ablation)
RECORD = ROOT / "results" / "imdb_ablation.json"


def test_quick_ablation_never_reads_the_test_reviews(tmp_path, monkeypatch):
    load_imdb = lstm_teach.data.load_imdb

    def train_only(split, *args, **kwargs):
        assert split == "train", f"the ablation read the {split!r} reviews"
        return load_imdb(split, *args, **kwargs)

    monkeypatch.setattr(lstm_teach.data, "load_imdb", train_only)
    prepare = ablation.prepare

    def smaller(*args, **kwargs):  # 200 of the quick subset's 1,000 training reviews: checks the flow in seconds
        prepared = prepare(*args, **kwargs)
        prepared["train_ids"], prepared["valid_ids"] = prepared["train_ids"][:200], prepared["valid_ids"][:100]
        return prepared

    monkeypatch.setattr(ablation, "prepare", smaller)
    monkeypatch.setenv("LSTM_TEACH_OFFLINE", "1")
    out = tmp_path / "ablation.json"
    runs = ablation.main(["--quick", "--seeds", "0", "--epochs", "1", "--steps", "reference", "max pooling",
                          "--out", str(out)])
    record = json.loads(out.read_text())
    assert record["complete"] and record["budget"]["quick"] and record["budget"]["epochs"] == 1
    assert (record["budget"]["train_reviews"], record["budget"]["valid_reviews"]) == (200, 100)
    assert [r["step"] for r in record["runs"]] == ["reference", "max pooling"] == [r["step"] for r in runs]
    for r in record["runs"]:
        assert r["epochs"] == 1 and 0 <= r["valid_acc"] <= 1 and "test_acc" not in r
    assert record["steps"][0]["change_from_reference"] == 0.0


def test_an_unfinished_seed_is_left_out_of_every_step():
    runs = [{"step": s, "seed": seed} for seed in (0, 1) for s in ("reference", "max pooling")]
    runs.append({"step": "reference", "seed": 2})  # seed 2 stopped before "max pooling" ran
    kept, done, dropped = ablation.keep_complete_seeds(runs, [0, 1, 2], ["reference", "max pooling"])
    assert done == [0, 1] and dropped == 1 and len(kept) == 4
    assert ablation.keep_complete_seeds(runs[:1], [0], ["reference", "max pooling"]) == ([], [], 1)


def test_stored_ablation_gives_every_step_the_same_budget_and_seeds():
    record = json.loads(RECORD.read_text())
    budget = record["budget"]
    assert record["complete"] and not budget["quick"]
    assert (budget["train_reviews"], budget["valid_reviews"], budget["epochs"]) == (20_000, 5_000, 5)
    assert [s["step"] for s in record["steps"]] == list(ablation.STEPS)
    for step in ablation.STEPS:
        runs = [r for r in record["runs"] if r["step"] == step]
        assert sorted(r["seed"] for r in runs) == budget["seeds"], step
        assert all(r["epochs"] <= budget["epochs"] and "test_acc" not in r for r in runs), step
    # the table is the summary of the runs, not edited by hand
    assert ablation.summary(record["runs"]) == record["steps"]
    ref = [r["valid_acc"] for r in record["runs"] if r["step"] == "reference"]
    assert record["steps"][0]["valid_mean"] == pytest.approx(statistics.mean(ref))
