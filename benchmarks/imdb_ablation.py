"""Notebook 05's ablation: each change to the reference model alone, on validation data, over seeds.

    python benchmarks/imdb_ablation.py                       # 6 steps x 3 seeds, 5 epochs on 20,000 reviews
    python benchmarks/imdb_ablation.py --jobs 6               # 6 trainings at a time (a GPU has room for them)
    python benchmarks/imdb_ablation.py --quick --seeds 0 --epochs 1 --out /tmp/a.json   # check the script

Every step trains notebook 05's reference (the seed's 2-layer biLSTM, :mod:`lstm_teach.sentiment`)
with ONE change, with the reference's whole budget: the 20,000 training reviews of notebook 05's
split, 5 epochs, batches of 64, once per seed (a seed sets the initial weights, dropout masks and
batch order; the split never changes). Only the 5,000 validation reviews are read: the test set
stays untouched for notebook 05, which reads it once. Writes ``results/imdb_ablation.json`` (every
run's validation accuracy per epoch and minutes, and the machine), which notebook 05 reads to
decide what its final model combines. On a 2-core CPU one run takes about an hour (18 runs: most
of a day); on a GPU, ``--jobs`` runs several at once.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from imdb_sentiment import prepare, train_one

from lstm_teach import sentiment
from lstm_teach.config import get_device, hardware

ROOT = Path(__file__).resolve().parents[1]
VOCAB = 10_000  # the seed's vocabulary
# name: (vocabulary size, the one change to the reference's SentimentConfig)
STEPS = {
    "reference": (VOCAB, {}),
    "max pooling": (VOCAB, {"pooling": "max"}),
    "embedding dropout 0.25": (VOCAB, {"embed_dropout": 0.25}),
    "cosine schedule": (VOCAB, {"schedule": True}),
    "vocabulary 25,000": (25_000, {}),
    "early stopping": (VOCAB, {"patience": 1}),
}


def run_step(prepared: dict, step: str, seed: int, epochs: int, device=None, progress: bool = False) -> dict:
    size, change = STEPS[step]
    config = sentiment.SentimentConfig(epochs=epochs, **change)
    return {"step": step, **train_one(prepared, config, size, seed, device, progress=progress)}


def _worker(args) -> None:
    """One run in its own process (``--worker STEP SEED``): reads the prepared data, writes one record."""
    with open(args.prepared, "rb") as f:
        prepared = pickle.load(f)
    record = run_step(prepared, args.worker[0], int(args.worker[1]), args.epochs, progress=False)
    Path(args.record).write_text(json.dumps(record))


def keep_complete_seeds(runs: list[dict], seeds: list[int], steps: list[str]) -> tuple[list[dict], list[int], int]:
    """The runs of the seeds that every step finished (so every step is averaged over the same seeds),
    those seeds, and how many runs of other seeds were left out."""
    done = [seed for seed in seeds if all(any(r["step"] == step and r["seed"] == seed for r in runs)
                                          for step in steps)]
    kept = [r for r in runs if r["seed"] in done]
    return kept, done, len(runs) - len(kept)


def summary(runs: list[dict]) -> list[dict]:
    """Per step: the mean and spread of validation accuracy over its seeds, and the change from the reference."""
    rows = []
    for step, (size, change) in STEPS.items():
        accs = [r["valid_acc"] for r in runs if r["step"] == step]
        if accs:
            rows.append({"step": step, "vocab": size, "change": change, "seeds": len(accs),
                         "valid_mean": statistics.mean(accs),
                         "valid_sd": statistics.stdev(accs) if len(accs) > 1 else None,
                         "minutes_mean": statistics.mean(r["minutes"] for r in runs if r["step"] == step)})
    ref = next((r["valid_mean"] for r in rows if r["step"] == "reference"), None)
    for r in rows:
        r["change_from_reference"] = None if ref is None else r["valid_mean"] - ref
    return rows


def write(path: Path, runs: list[dict], args, started: float, complete: bool) -> None:
    device = get_device()
    record = {
        "benchmark": "benchmarks/imdb_ablation.py", "date": datetime.date.today().isoformat(),
        "complete": complete, "device": device.type, "hardware": hardware(device), "machine": platform.machine(),
        "torch": torch.__version__, "jobs": args.jobs, "wall_minutes": (time.time() - started) / 60,
        "budget": {"train_reviews": len(args.prepared_data["train_ids"]), "valid_reviews":
                   len(args.prepared_data["valid_ids"]), "epochs": args.epochs, "batch": 64,
                   "max_len": args.prepared_data["max_len"], "seeds": args.seeds, "quick": args.quick},
        "steps": summary(runs), "runs": runs,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")


def print_table(runs: list[dict]) -> None:
    print(f"\n{'step':26s} {'seeds':>5s} {'validation accuracy':>22s} {'change':>8s} {'min/run':>8s}")
    for r in summary(runs):
        sd = f" ± {r['valid_sd']:.4f}" if r["valid_sd"] is not None else ""
        print(f"{r['step']:26s} {r['seeds']:5d} {r['valid_mean']:>13.4f}{sd:9s} "
              f"{r['change_from_reference']:+8.4f} {r['minutes_mean']:8.1f}")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", nargs="+", default=list(STEPS), choices=list(STEPS), metavar="STEP")
    parser.add_argument("--epochs", type=int, default=5, help="every step's budget (the reference's: 5)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time, each in its own process")
    parser.add_argument("--max-minutes", type=float, default=None,
                        help="stop waiting after this long: only the seeds that every step finished are kept, "
                             "and the output says so")
    parser.add_argument("--quick", action="store_true", help="notebook 05's quick subset: checks the script")
    parser.add_argument("--out", type=Path, default=None,
                        help="the JSON to write (default: results/imdb_ablation.json; with --quick, none)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--prepared", help=argparse.SUPPRESS)
    parser.add_argument("--record", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args)
    out = args.out or (None if args.quick else ROOT / "results" / "imdb_ablation.json")
    started = time.time()
    device = get_device()
    print(f"{hardware(device)} | torch {torch.__version__} | {args.jobs} job(s) at a time")
    args.prepared_data = prepare(args.quick, vocabs=tuple(size for size, _ in STEPS.values()), with_test=False)
    tasks = [(step, seed) for seed in args.seeds for step in args.steps]  # every step's first seed first
    runs, complete = [], True
    if args.jobs == 1:
        for step, seed in tasks:
            runs.append(run_step(args.prepared_data, step, seed, args.epochs, device))
            print(f"{step}, seed {seed}: validation {runs[-1]['valid_acc']:.4f} ({runs[-1]['minutes']:.1f} min)")
            if out:
                write(out, runs, args, started, complete=len(runs) == len(tasks))
    else:
        folder = Path(tempfile.mkdtemp(prefix="imdb_ablation_"))
        with open(folder / "prepared.pkl", "wb") as f:
            pickle.dump(args.prepared_data, f)
        env = dict(os.environ, OMP_NUM_THREADS="1")
        waiting, running = list(tasks), {}
        while waiting or running:
            while waiting and len(running) < args.jobs:
                step, seed = waiting.pop(0)
                record = folder / f"run{len(tasks) - len(waiting)}.json"
                log = open(record.with_suffix(".log"), "w")
                cmd = [sys.executable, __file__, "--worker", step, str(seed), "--prepared",
                       str(folder / "prepared.pkl"), "--record", str(record), "--epochs", str(args.epochs)]
                proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
                running[proc] = (step, seed, record, log)
            time.sleep(2)
            for proc in [p for p in running if p.poll() is not None]:
                step, seed, record, log = running.pop(proc)
                log.close()
                if proc.returncode == 0:
                    runs.append(json.loads(record.read_text()))
                    print(f"{step}, seed {seed}: validation {runs[-1]['valid_acc']:.4f} "
                          f"({runs[-1]['minutes']:.1f} min)", flush=True)
                else:
                    complete = False
                    print(f"{step}, seed {seed}: FAILED (exit {proc.returncode}):\n"
                          + record.with_suffix(".log").read_text()[-2000:], flush=True)
                if out:
                    write(out, runs, args, started, complete=False)
            if args.max_minutes and time.time() - started > 60 * args.max_minutes and running:
                for proc, (step, seed, _, log) in running.items():
                    proc.kill()
                    log.close()
                    print(f"{step}, seed {seed}: stopped at --max-minutes {args.max_minutes}")
                running, waiting, complete = {}, [], False
        complete = complete and len(runs) == len(tasks)
    if not complete:  # keep the seeds that every step finished, so that every step has the same runs
        runs, done, dropped = keep_complete_seeds(runs, args.seeds, args.steps)
        print(f"seeds that every step finished: {done}; {dropped} runs of other seeds left out")
        args.seeds, complete = done, bool(done)
    print_table(runs)
    if out:
        write(out, runs, args, started, complete)
        print(f"wrote {out}" + ("" if complete else " (INCOMPLETE: some runs are missing)"))
    return runs


if __name__ == "__main__":
    main()
