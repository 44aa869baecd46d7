"""Command line: ``python -m lstm_teach {info,download,test,hub-link}``.

``download`` prepares a machine before class (data sets fetched and verified, or copied from a
folder with ``--from``); ``info`` prints what a teacher checks first; ``test`` runs the test
suite of a checkout (unit tests + every notebook) wherever the package is installed, e.g. on
Colab's GPU; ``hub-link`` prints the nbgitpuller link that hands the course to a JupyterHub's
students (:mod:`lstm_teach.hub`).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from pathlib import Path

from tqdm.auto import tqdm

from . import __version__, config, data, hub


def _info() -> int:
    import numpy
    import torch

    print(f"lstm_teach {__version__}  python {platform.python_version()}  torch {torch.__version__}"
          f"  numpy {numpy.__version__}")
    device = config.get_device()
    gpu = f" ({torch.cuda.get_device_name(0)})" if device.type == "cuda" else ""
    print(f"device: {device.type}{gpu}")
    print(f"quick mode: {'on' if config.quick_mode() else 'off'}")
    hub = " (JupyterHub detected: one per kernel unless OMP_NUM_THREADS is set)" if config.on_jupyterhub() else ""
    print(f"torch threads: {torch.get_num_threads()}{hub}")
    folder = config.data_dir()
    print(f"data folder: {folder}" + ("" if data._writable(folder) else " (read-only for you: a shared cache)"))
    for name, entry in data.DATASETS.items():
        state = "present, verified" if data.is_cached(name) else (
            "present, WRONG CHECKSUM" if (config.data_dir() / entry.fname).exists() else "missing")
        print(f"  {name:22s} {state:20s} {entry.about}")
    root = config.data_dir() / "aclImdb"
    state = "extracted, verified" if data._imdb_trusted(root) else (
        f"NOT VERIFIED (reviews per folder: {data.imdb_counts(root)})" if root.exists() else "not extracted")
    print(f"  {'aclImdb/ (folder)':22s} {state}")
    return 0


def _download(names: list[str], everything: bool, source: str | None) -> int:
    unknown = [n for n in names if n not in data.DATASETS]
    if unknown:
        print(f"unknown data set(s): {', '.join(unknown)}; known: {', '.join(data.DATASETS)}")
        return 2
    if source:
        done = data.import_folder(source)
        if not done:
            wanted = ", ".join([e.fname for e in data.DATASETS.values()] + ["aclImdb*.tar.gz"])
            print(f"nothing usable in {source}: no file there has a registry checksum "
                  f"(looked for {wanted}).", file=sys.stderr)
            return 1
        print(f"copied and verified from {source}: {', '.join(done)}")
        if not names and not everything:
            return 0
    if everything:
        names = [n for n, e in data.DATASETS.items() if e.url]
    failed = 0
    for name in tqdm(names, desc="data sets", unit="set"):
        try:
            path = data.imdb_dir() if name == "aclImdb" else data.fetch(name)
            tqdm.write(f"ok  {name}: {path}")
        except data.DataError as err:
            failed += 1
            tqdm.write(f"FAILED {name}: {err}")
    return 1 if failed else 0


def _test(full: bool, pytest_args: list[str]) -> int:
    root = next((p for p in [Path.cwd(), *Path.cwd().parents]
                 if (p / "pyproject.toml").is_file() and (p / "notebooks").is_dir()
                 and 'name = "lstm-teach"' in (p / "pyproject.toml").read_text()), None)
    if root is None:
        print("Run this inside a checkout of the repository (git clone it, then cd into it).")
        return 2
    try:
        import nbval  # noqa: F401
    except ImportError:
        print('The test tools are missing: pip install -e ".[test]" in the checkout first.')
        return 2
    env = dict(os.environ, LSTM_TEACH_QUICK="0" if full else "1")
    print(f"running the test suite in {'full' if full else 'quick'} mode on {config.get_device()}")
    return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], cwd=root, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_teach", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, device, quick mode, data folder and data sets")
    dl = sub.add_parser("download", help="fetch and verify data sets ahead of a class")
    dl.add_argument("names", nargs="*", help=f"data sets: {', '.join(data.DATASETS)}")
    dl.add_argument("--all", action="store_true", help="every data set with a download URL")
    dl.add_argument("--from", dest="source", metavar="DIR",
                    help="copy verified files from this folder instead of downloading")
    test = sub.add_parser("test", help="run the test suite of this checkout (quick mode unless --full)")
    test.add_argument("--full", action="store_true", help="run the notebooks in full mode")
    link = sub.add_parser("hub-link", help="print the nbgitpuller link that opens the course on a JupyterHub")
    link.add_argument("--hub", required=True, metavar="URL", help="the hub's address, e.g. https://hub.example.org")
    link.add_argument("--notebook", metavar="NN", help="open this notebook, e.g. 03 (default: the notebooks folder)")
    link.add_argument("--branch", help="the branch to hand out (default: the repository's default branch)")
    link.add_argument("--repo", metavar="URL", help="the repository to clone (default: this course's)")
    args, rest = parser.parse_known_args(argv)
    if args.command == "test":
        return _test(args.full, rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "hub-link":
        try:
            print(hub.hub_link(args.hub, repo=args.repo, notebook=args.notebook, branch=args.branch))
        except ValueError as err:
            parser.error(str(err))
        return 0
    if args.command == "download" and not (args.names or args.all or args.source):
        parser.error("name data sets, or use --all or --from DIR")
    try:
        return _info() if args.command == "info" else _download(args.names, args.all, args.source)
    except (ValueError, OSError, data.DataError) as err:  # a bad folder or file: its message, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
