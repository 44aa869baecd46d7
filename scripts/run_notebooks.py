"""Re-execute the notebooks, record their run times, and rebuild README's results table.

    python scripts/run_notebooks.py              # every notebook, full mode, outputs stored in place
    python scripts/run_notebooks.py 05 06        # only these (by number or name)
    python scripts/run_notebooks.py --quick      # quick mode into a temporary copy: records quick times only

A full run takes a while on a CPU: start it in the background with a log,

    nohup python scripts/run_notebooks.py > full-run.log 2>&1 &

Each notebook's full run writes ``results/<name>.json`` through
``lstm_teach.config.save_results`` (headline number, published anchor, hardware); this script
adds the run time, refreshes the set-up cell that quotes it (``colab_cells.py``), and then
rewrites the table in README.md (see ``results_table.py``).
The stored notebooks keep the full run's outputs: CI runs them in quick mode and compares
only the cells marked ``# NBVAL_CHECK_OUTPUT``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
RESULTS = ROOT / "results"
sys.path.insert(0, str(Path(__file__).resolve().parent))
import colab_cells  # noqa: E402
import results_table  # noqa: E402


def pick(names: list[str]) -> list[Path]:
    """Notebook paths for names given as numbers ("05") or file names; all when empty."""
    every = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return every
    chosen = []
    for name in names:
        found = [p for p in every if p.stem == name or p.name == name or p.stem.startswith(f"{name}_")]
        if len(found) != 1:
            raise SystemExit(f"no single notebook matches {name!r}; choose from {[p.stem for p in every]}")
        chosen += found
    return chosen


# glibc's malloc returns large freed blocks to the system and takes them back on the next batch, a
# page fault per 4 KiB page: on this course's 2-core CPU machine a quarter of a training step went to the
# kernel. These thresholds (read by glibc at start-up, ignored elsewhere) keep freed memory for reuse:
# 8 training steps of notebook 05's BiLSTM took 16.9 s instead of 23.0 s (3 runs each, 2026-12-01).
# The price is memory, and it grows: in 05's full run the kernel's heap held 20 GB after three epochs
# (1.9 GB of it in use) and kept growing. So it is not the default: --keep-freed-memory, on a machine
# with memory to spare, watched.
MALLOC_KEEP = {"MALLOC_MMAP_THRESHOLD_": str(4 << 30), "MALLOC_TRIM_THRESHOLD_": str(16 << 30),
               "MALLOC_TOP_PAD_": str(1 << 30)}


def execute(notebook: Path, quick: bool, keep_freed_memory: bool = False) -> float:
    """Run ``notebook`` top to bottom with nbconvert; return the wall time in seconds."""
    env = {**(MALLOC_KEEP if keep_freed_memory else {}), **os.environ,
           "LSTM_TEACH_QUICK": "1" if quick else "0", "LSTM_TEACH_RESULTS": str(RESULTS)}
    with tempfile.TemporaryDirectory() as tmp:
        target = notebook if not quick else Path(shutil.copy(notebook, Path(tmp) / notebook.name))
        command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                   "--ExecutePreprocessor.timeout=7200", str(target)]
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True)
        return time.perf_counter() - start


def strip_solution_outputs(notebook: Path) -> int:
    """Remove the outputs of the collapsed solution cells ("# Solution to exercise N"): a student
    opening the stored notebook should not see the answer printed below a hidden cell. Returns
    how many cells were cleared."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cleared = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "".join(cell["source"]).startswith("# Solution to exercise"):
            cleared += bool(cell["outputs"])
            cell["outputs"], cell["execution_count"] = [], None
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return cleared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="quick mode into a temporary copy")
    parser.add_argument("--keep-freed-memory", action="store_true",
                        help="glibc keeps freed memory: faster training on a CPU, a growing heap (see MALLOC_KEEP)")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    for notebook in pick(args.names):
        print(f"{time.strftime('%H:%M:%S')} {notebook.stem}: {'quick' if args.quick else 'full'} run ...", flush=True)
        seconds = execute(notebook, args.quick, keep_freed_memory=args.keep_freed_memory)
        if not args.quick:
            strip_solution_outputs(notebook)
        path = RESULTS / f"{notebook.stem}.json"
        record = json.loads(path.read_text()) if path.exists() else {"notebook": notebook.stem}
        record["quick_seconds" if args.quick else "full_seconds"] = round(seconds, 1)
        path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        print(f"{time.strftime('%H:%M:%S')} {notebook.stem}: {seconds / 60:.1f} min", flush=True)
        if not args.quick:
            colab_cells.rewrite(notebook)  # its set-up cell quotes the full run's time (outputs kept)
    results_table.update_readme()
    print("README results table rewritten from results/*.json")


if __name__ == "__main__":
    main()
