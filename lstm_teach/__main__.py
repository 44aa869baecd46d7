"""Command line: ``python -m lstm_teach {info,download}``.

``download`` prepares a machine before class (data sets fetched and verified, or copied from a
folder with ``--from``); ``info`` prints what a teacher checks first.
"""

from __future__ import annotations

import argparse
import platform
import sys

from tqdm.auto import tqdm

from . import __version__, config, data


def _info() -> int:
    import numpy
    import torch

    print(f"lstm_teach {__version__}  python {platform.python_version()}  torch {torch.__version__}"
          f"  numpy {numpy.__version__}")
    device = config.get_device()
    gpu = f" ({torch.cuda.get_device_name(0)})" if device.type == "cuda" else ""
    print(f"device: {device.type}{gpu}")
    print(f"quick mode: {'on' if config.quick_mode() else 'off'}")
    print(f"data folder: {config.data_dir()}")
    for name, entry in data.DATASETS.items():
        state = "present, verified" if data.is_cached(name) else (
            "present, WRONG CHECKSUM" if (config.data_dir() / entry.fname).exists() else "missing")
        print(f"  {name:22s} {state:20s} {entry.about}")
    root = config.data_dir() / "aclImdb"
    state = "extracted, complete" if data._imdb_complete(root) else (
        f"incomplete {data._imdb_counts(root)}" if root.exists() else "not extracted")
    print(f"  {'aclImdb/ (folder)':22s} {state}")
    return 0


def _download(names: list[str], everything: bool, source: str | None) -> int:
    if source:
        done = data.import_folder(source)
        print(f"copied and verified from {source}: {', '.join(done) or 'nothing'}")
        if not names and not everything:
            return 0
    if everything:
        names = [n for n, e in data.DATASETS.items() if e.url]
    unknown = [n for n in names if n not in data.DATASETS]
    if unknown:
        print(f"unknown data set(s): {', '.join(unknown)}; known: {', '.join(data.DATASETS)}")
        return 2
    failed = 0
    for name in tqdm(names, desc="data sets", unit="set"):
        try:
            path = data.imdb_dir() if name == "aclImdb" else data.fetch(name)
            tqdm.write(f"ok  {name}: {path}")
        except data.DataError as err:
            failed += 1
            tqdm.write(f"FAILED {name}: {err}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_teach", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, device, quick mode, data folder and data sets")
    dl = sub.add_parser("download", help="fetch and verify data sets ahead of a class")
    dl.add_argument("names", nargs="*", help=f"data sets: {', '.join(data.DATASETS)}")
    dl.add_argument("--all", action="store_true", help="every data set with a download URL")
    dl.add_argument("--from", dest="source", metavar="DIR",
                    help="copy verified files from this folder instead of downloading")
    args = parser.parse_args(argv)
    if args.command == "info":
        return _info()
    if not (args.names or args.all or args.source):
        parser.error("name data sets, or use --all or --from DIR")
    return _download(args.names, args.all, args.source)


if __name__ == "__main__":
    sys.exit(main())
