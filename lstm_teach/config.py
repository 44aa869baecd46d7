"""Run-time settings shared by every notebook: quick mode, seeds, device, data folder.

Quick mode follows the Pyro tutorials' ``smoke_test`` idea: one switch, read here and
nowhere else, that shrinks data, epochs and model sizes but never changes the code path.
"""

from __future__ import annotations

import json
import os
import platform
import random
from pathlib import Path

import numpy as np
import torch

__all__ = ["quick_mode", "seed_everything", "get_device", "data_dir", "describe_run", "hardware", "save_results",
           "on_jupyterhub", "default_threads",
           "full_run_notice", "course_results"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def quick_mode() -> bool:
    """True when notebooks should run their small, fast version.

    ``LSTM_TEACH_QUICK=1`` turns it on and ``LSTM_TEACH_QUICK=0`` turns it off. When the
    variable is not set, quick mode is on exactly when ``CI`` is set (CI runs every
    notebook as a test and must finish in minutes).
    """
    value = os.environ.get("LSTM_TEACH_QUICK")
    if value is None:
        return bool(os.environ.get("CI"))
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"LSTM_TEACH_QUICK={value!r}: use 1 (quick mode) or 0 (full mode)")


def seed_everything(seed: int = 0) -> int:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and every GPU); return the seed.

    Two CPU runs of the same notebook with the same seed print the same numbers. On a GPU
    some cuDNN kernels are not bit-for-bit reproducible, so expect small differences there.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


def get_device(device: str | torch.device | None = None) -> torch.device:
    """The device to train on: ``device`` if given, else CUDA when present, else the CPU.

    Every function of the package that takes ``device=None`` starts with ``device = get_device(device)``.
    """
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def data_dir() -> Path:
    """The folder where data sets are cached (created if missing).

    ``LSTM_TEACH_DATA`` chooses it; otherwise it is the per-user cache folder of the
    operating system (e.g. ``~/.cache/lstm_teach`` on Linux).
    """
    folder = os.environ.get("LSTM_TEACH_DATA")
    if folder:
        path = Path(folder).expanduser()
    else:
        import pooch  # only needed here; keeps `import lstm_teach.config` light

        path = Path(pooch.os_cache("lstm_teach"))
    if path.exists() and not path.is_dir():
        raise ValueError(f"LSTM_TEACH_DATA={str(path)!r} is a file, not a folder: point it at a folder "
                         "(it is created if missing)")
    if not path.is_dir():  # a read-only shared folder exists already and is never written to
        try:
            path.mkdir(parents=True)
        except OSError as err:
            raise PermissionError(f"the data folder {path} does not exist and cannot be created "
                                  f"({err.strerror}); set LSTM_TEACH_DATA to a folder you can write") from err
    return path


def on_jupyterhub() -> bool:
    """True inside a JupyterHub user server (JupyterHub sets these variables for it)."""
    return bool(os.environ.get("JUPYTERHUB_API_URL") or os.environ.get("JUPYTERHUB_USER"))


def default_threads() -> None:
    """On a JupyterHub, one torch thread per kernel, unless ``OMP_NUM_THREADS`` says otherwise.

    Many students share the hub's cores; with torch's default (one thread per core) each kernel
    would fight the others for all of them, and our small models gain nothing from threads.
    ``import lstm_teach`` calls this; elsewhere torch's own default stays.
    """
    if on_jupyterhub() and not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(1)


def describe_run(seed: int | None = None) -> str:
    """One line for the top of a notebook's output: mode, device, versions, seed."""
    device = get_device()
    where = hardware(device)
    mode = "QUICK mode (small data, few epochs: numbers are not the real results)" if quick_mode() else "full mode"
    parts = [mode, f"device: {device.type} [{where}]", f"torch {torch.__version__}"]
    if seed is not None:
        parts.append(f"seed {seed}")
    return " | ".join(parts)


def hardware(device: torch.device | None = None) -> str:
    """The device in words: the GPU's name, or the CPU's core count."""
    device = get_device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({os.cpu_count()} cores)"


def save_results(notebook: str, headline: str, anchor: str, **metrics) -> None:
    """Write a full run's headline numbers to ``$LSTM_TEACH_RESULTS/<notebook>.json``.

    ``headline`` is our measured result in words, ``anchor`` the published figure we compare
    with (and where it is from). ``scripts/run_notebooks.py`` sets ``LSTM_TEACH_RESULTS`` and
    builds README's results table from these files. Anywhere else (a student's run, quick
    mode) nothing is written, so a notebook can always call it. It returns nothing, so the
    cell shows no path.
    """
    folder = os.environ.get("LSTM_TEACH_RESULTS")
    if not folder or quick_mode():
        return
    path = Path(folder) / f"{notebook}.json"
    old = json.loads(path.read_text()) if path.exists() else {}  # keeps the run times the script wrote
    device = get_device()
    old.update(notebook=notebook, headline=headline, anchor=anchor, metrics=metrics, device=device.type,
               hardware=hardware(device), machine=platform.machine(), torch=torch.__version__)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(old, indent=1, ensure_ascii=False) + "\n")


def full_run_notice(minutes: float, measured_on: str) -> bool:
    """Before a full run on a CPU, say how long the stored full run took and how to go faster.

    Called by each notebook's set-up cell (written by ``scripts/colab_cells.py`` from
    ``results/<notebook>.json``). Prints nothing in quick mode or with a GPU; returns whether it printed.
    """
    if quick_mode() or get_device().type != "cpu":
        return False
    print(f"Full mode on a CPU: the stored full run of this notebook took about {minutes:.0f} min on a "
          f"{measured_on}. For a first look set QUICK = True in the set-up cell and run it again, or in "
          "Colab choose a GPU (Runtime > Change runtime type).")
    return True


def course_results(name: str) -> dict:
    """A measured table of the course, ``results/<name>.json`` (e.g. the ablation that notebook 05
    cites): from this checkout when there is one, else from the course repository.

    Benchmarks write these files (``benchmarks/``); a notebook reads one when re-running what it
    measured would take hours on a CPU.
    """
    local = Path(__file__).resolve().parents[1] / "results" / f"{name}.json"
    if local.is_file():
        return json.loads(local.read_text())
    import urllib.request
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = dict(u.split(", ", 1) for u in metadata("lstm-teach").get_all("Project-URL") or [])
    except PackageNotFoundError:
        urls = {}
    repo = urls.get("Repository", "https://github.com/lstm-teach/lstm-teach").rstrip("/")
    url = repo.replace("https://github.com/", "https://raw.githubusercontent.com/") + f"/main/results/{name}.json"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())
    except (OSError, ValueError) as err:
        raise FileNotFoundError(f"results/{name}.json is not in this copy of the course and could not be read from "
                                f"{url} ({err}); clone the repository, or run the benchmark that writes it") from err
