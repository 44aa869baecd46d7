"""Re-choose notebook 03's Time Machine settings on the validation part, one change at a time.

    python benchmarks/time_machine_sweep.py                    # the current setting and 6 variants
    python benchmarks/time_machine_sweep.py --jobs 4           # variants in parallel processes
    python benchmarks/time_machine_sweep.py --current-seeds 3  # the current setting from 3 seeds: its spread
    python benchmarks/time_machine_sweep.py --quick --out /tmp/sweep.json  # tiny, to check the script

``lstm_teach.train.TIME_MACHINE`` and ``TIME_MACHINE_MODEL`` (notebook 03 trains them, notebook 04
imports them) were first found by runs that measured on the last 10% of the book, which is now
the test part of ``split_three``. This script trains exactly the model notebook 03 trains (the
scratch LSTM, ``variant="hoisted"``, weights seeded by ``torch.manual_seed(seed)`` just before it is
built, as in the notebook) with the current setting and with one change each (learning rate
0.003 / 0.01, dropout 0.3, batches of 32, no weight averaging, 512 hidden units), all with the same
budget (``TIME_MACHINE.epochs`` epochs, early stopping with its patience) and seed. It reads only
the training part and the validation part (the first 90% of the book): the test part is dropped
unread. It prints a table (validation perplexity of the kept epoch, the kept epoch, minutes) and
writes ``results/time_machine_sweep.json`` with the machine, torch version, load and date;
notebook 03 cites that table (a test checks they agree).

A variant counts as better only if it beats the current setting on validation by more than the
spread between seeds: the standard deviation of the current setting's validation perplexity over
``--current-seeds`` seeds when 2 or more, else notebook 03's stored value
(``results/03_lstm_from_scratch.json``, ``valid_ppl_sd``). The script lists those variants; which one
to adopt is a person's choice, since a wider model also costs more per step on a CPU.

Device-agnostic (``lstm_teach.config.get_device()``, or ``--device``). The stored run trained its nine
runs at once on one GPU (about 6 minutes). On a CPU each training takes as long as one of notebook 03's
three (it prints their times; 12 to 14 minutes each on the shared 2-core CPU, one thread), and the
512-unit variant about 3.6 times as long per step: run it in the background with a log, one job per
free core.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import multiprocessing
import os
import platform
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results" / "time_machine_sweep.json"
QUICK_SIZES = dict(train=5_000, valid=1_000, hidden_size=16, epochs=2)


def variants(hidden_size: int) -> list[tuple[str, dict, dict]]:
    """(name, changes to the TrainConfig, changes to the model): the current setting, then one change each."""
    return [
        ("current", {}, {}),
        ("lr 0.003", dict(lr=0.003), {}),
        ("lr 0.01", dict(lr=0.01), {}),
        ("dropout 0.3", {}, dict(dropout=0.3)),
        ("batch 32", dict(batch_size=32), {}),
        ("no weight averaging (ema 0)", dict(ema=0.0), {}),
        (f"hidden {2 * hidden_size}", {}, dict(hidden_size=2 * hidden_size)),
    ]


def machine() -> dict:
    """The machine in words: processor, cores, OS, and the GPU when one is used."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return dict(cpu=cpu, cores=os.cpu_count(), system=f"{platform.system()} {platform.release()}",
                python=platform.python_version(),
                gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)


def load() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def train_one(job: dict) -> dict:
    """Train one setting (run in a worker process); return what the table and the JSON need."""
    from lstm_teach.models import make_lstm_lm
    from lstm_teach.train import TrainConfig, fit

    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(job["threads"])
    cfg, model_size = TrainConfig(**job["cfg"]), job["model"]
    start = time.perf_counter()
    torch.manual_seed(job["seed"])  # as notebook 03: the weights and dropout masks from this seed
    model = make_lstm_lm(job["vocab_size"], **model_size, kind="scratch", variant="hoisted")
    history = fit(model, job["train_ids"], job["valid_ids"], cfg, job["device"], progress=False)
    kept = history.best_epoch or len(history)
    row = dict(name=job["name"], seed=job["seed"], cfg_changes=job["cfg_changes"], model_changes=job["model_changes"],
               valid_ppl=history.valid_metric[kept - 1], kept_epoch=kept, epochs_run=len(history),
               train_ppl=history.train_metric[kept - 1], valid_curve=list(history.valid_metric),
               minutes=(time.perf_counter() - start) / 60)
    print(f"done: {row['name']} (seed {row['seed']}): validation {row['valid_ppl']:.3f} at epoch {kept}, "
          f"{row['minutes']:.1f} min", flush=True)
    return row


def spread_of(rows: list[dict], fallback: float | None) -> tuple[float | None, str]:
    """The seed-to-seed standard deviation to beat, and where it came from."""
    current = [r["valid_ppl"] for r in rows if r["name"] == "current"]
    if len(current) >= 2:
        return statistics.stdev(current), f"sd of the current setting over {len(current)} seeds in this sweep"
    if fallback is not None:
        return fallback, "notebook 03's stored sd over its seeds (results/03_lstm_from_scratch.json)"
    return None, "unknown (one seed and no stored value)"


def decide(rows: list[dict], spread: float | None) -> dict | None:
    """The setting with the lowest validation perplexity among the runs of the first seed, and whether it
    beats the current setting of the same seed by more than ``spread`` (None when the current setting was
    not trained). Whether to adopt it is left to a person: the table's minutes, and the cost of a
    variant on a CPU (a wider model costs more per step), matter too."""
    first = {r["name"]: r for r in rows if r["seed"] == rows[0]["seed"]}
    if "current" not in first:
        return None
    best = min(first.values(), key=lambda r: r["valid_ppl"])
    gain = first["current"]["valid_ppl"] - best["valid_ppl"]
    beating = sorted((r["name"] for r in first.values() if first["current"]["valid_ppl"] - r["valid_ppl"] > spread),
                     key=lambda name: first[name]["valid_ppl"]) if spread is not None else []
    return dict(seed=rows[0]["seed"], best=best["name"], current_valid_ppl=first["current"]["valid_ppl"], gain=gain,
                spread=spread, beat_current_by_more_than_spread=beating)


def table(record: dict) -> str:
    """The sweep as a Markdown table (printed, and quoted in notebook 03: a test compares the two)."""
    lines = ["| setting | seed | validation perplexity | kept epoch | minutes |", "|---|---|---|---|---|"]
    for r in record["runs"]:
        lines.append(f"| {r['name']} | {r['seed']} | {r['valid_ppl']:.3f} | {r['kept_epoch']} of {r['epochs_run']} "
                     f"| {r['minutes']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"tiny (train/valid {QUICK_SIZES['train']:,}/{QUICK_SIZES['valid']:,} characters, "
                             f"hidden {QUICK_SIZES['hidden_size']}, {QUICK_SIZES['epochs']} epochs): checks the script")
    parser.add_argument("--jobs", type=int, default=1, help="trainings run at once, each in its own process")
    parser.add_argument("--current-seeds", type=int, default=1,
                        help="train the current setting from this many seeds (0, 1, ...) to measure the spread")
    parser.add_argument("--only", action="append", default=None, metavar="NAME",
                        help="train only this setting (repeatable), e.g. --only current to time one training")
    parser.add_argument("--device", default=None, help="default: lstm_teach.config.get_device()")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"JSON to write (default {RESULTS.relative_to(ROOT)}; --quick writes only with --out)")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.current_seeds < 1:
        parser.error(f"--jobs {args.jobs} and --current-seeds {args.current_seeds} must be >= 1")

    from lstm_teach.config import get_device, hardware
    from lstm_teach.data import load_time_machine
    from lstm_teach.text import Vocab, split_three, tokenize_chars
    from lstm_teach.train import TIME_MACHINE, TIME_MACHINE_MODEL

    device = get_device(args.device)
    threads = int(os.environ.get("OMP_NUM_THREADS", 0)) or (1 if args.jobs > 1 else torch.get_num_threads())
    text = load_time_machine()
    vocab = Vocab(tokenize_chars(text), specials=("<unk>",))  # notebook 03's vocabulary: 28 symbols
    train_ids, valid_ids, _ = split_three(vocab.encode(text), valid=0.1, test=0.1)  # the test part is never read
    cfg, model_size = dataclasses.asdict(TIME_MACHINE), dict(TIME_MACHINE_MODEL)
    if args.quick:
        train_ids, valid_ids = train_ids[:QUICK_SIZES["train"]], valid_ids[:QUICK_SIZES["valid"]]
        cfg["epochs"], model_size["hidden_size"] = QUICK_SIZES["epochs"], QUICK_SIZES["hidden_size"]
    print(f"{'QUICK (to check the script; not a result) | ' if args.quick else ''}device {device} "
          f"[{hardware(device)}] | torch {torch.__version__} | {args.jobs} job(s) x {threads} thread(s) | "
          f"load {load()} | {len(train_ids):,} training, {len(valid_ids):,} validation characters", flush=True)
    print("current setting:", cfg, model_size, flush=True)

    chosen = variants(model_size["hidden_size"])
    if args.only:
        unknown = sorted(set(args.only) - {name for name, _, _ in chosen})
        if unknown:
            parser.error(f"--only {unknown}: choose from {[name for name, _, _ in chosen]}")
        chosen = [v for v in chosen if v[0] in args.only]
    jobs = []
    for name, cfg_changes, model_changes in chosen:
        for seed in range(args.current_seeds if name == "current" else 1):
            jobs.append(dict(name=name, seed=seed, cfg_changes=cfg_changes, model_changes=model_changes,
                             cfg={**cfg, **cfg_changes, "seed": seed}, model={**model_size, **model_changes},
                             vocab_size=len(vocab), train_ids=list(train_ids), valid_ids=list(valid_ids),
                             device=str(device), threads=threads))
    started, load_start = time.perf_counter(), load()
    if args.jobs == 1:
        rows = [train_one(job) for job in jobs]
    else:
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            rows = list(pool.map(train_one, jobs))

    stored = ROOT / "results" / "03_lstm_from_scratch.json"
    fallback = json.loads(stored.read_text())["metrics"].get("valid_ppl_sd") if stored.exists() else None
    spread, spread_source = spread_of(rows, fallback)
    record = dict(
        date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"), quick=args.quick,
        device=str(device), hardware=hardware(device), machine=machine(), torch=torch.__version__,
        jobs=args.jobs, threads_per_job=threads, load_start=load_start, load_end=load(),
        total_minutes=(time.perf_counter() - started) / 60,
        budget=dict(epochs=cfg["epochs"], patience=cfg["patience"], train_characters=len(train_ids),
                    valid_characters=len(valid_ids), test_characters_read=0),
        current=dict(cfg=cfg, model=model_size), runs=rows, spread=spread, spread_source=spread_source,
        decision=decide(rows, spread))
    print("\n" + table(record))
    d = record["decision"]
    if d is not None:
        print(f"\nbest: {d['best']}, {d['gain']:.3f} below the current setting's {d['current_valid_ppl']:.3f} "
              f"(seed {d['seed']}); spread to beat: {'unknown' if spread is None else f'{spread:.3f}'} "
              f"({spread_source}); beat it by more than that: "
              f"{', '.join(d['beat_current_by_more_than_spread']) or 'none'}")
    print(f"{record['total_minutes']:.1f} min in all; load {record['load_start']} at the start, "
          f"{record['load_end']} at the end")
    out = args.out if args.out is not None else (None if args.quick else RESULTS)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(record, indent=1, default=float) + "\n")
        print("written:", out)
    return record


if __name__ == "__main__":
    main()
