"""Data sets of the course: one registry, checksummed downloads, a local cache, loaders.

Every file has an official URL and a SHA-1 checksum (the ones d2l's ``DATA_HUB`` and the data
sets' own sites publish, see ``shared/data/SOURCES.md``). :func:`fetch` returns a verified
file from the cache folder (:func:`lstm_teach.config.data_dir`), downloading it with pooch
when it is missing or corrupt; a file whose checksum is wrong is never used, and never lost:
it is moved aside to ``NAME.rejected``. With no network, the error says which file to get,
from where, and where to put it.

Files enter the cache atomically (written to a temporary file in the same folder, checked, then
``os.replace``), so a reader never sees half a file and a link in the cache is never followed
when writing. A cache folder this user may not write (a teacher's shared folder on a JupyterHub,
a read-only mount) is only read: its files are verified and used, and nothing is written there.

Loaders return plain Python objects (strings, lists, tensors); tokenizing and batching live in
:mod:`lstm_teach.text`.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import os
import re
import shutil
import tarfile
import tempfile
import time
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import torch

from .config import data_dir

__all__ = [
    "DATASETS", "DataFile", "DataError", "DataNotFoundError", "ChecksumError", "UnsafeArchiveError",
    "fetch", "is_cached", "verify", "safe_extract", "import_folder",
    "load_time_machine", "load_jaychou_lyrics", "imdb_dir", "load_imdb", "load_glove",
    "load_conll2000", "GloVe", "imdb_counts",
]

_D2L = "http://d2l-data.s3-accelerate.amazonaws.com/"
_D2L_ZH = "https://raw.githubusercontent.com/d2l-ai/d2l-zh/"
_CONLL = "https://www.clips.uantwerpen.be/conll2000/chunking/"


@dataclass(frozen=True)
class DataFile:
    """One file of the registry.

    ``sha1`` is the checksum of the file's bytes, or, when ``hashed == "gunzip"``, of its
    decompressed content (CoNLL-2000 publishes no checksum, and copies of its ``.gz`` files
    differ in their gzip headers while holding the same text).
    """

    fname: str  # path inside the cache folder
    url: str | None  # official URL; None for an offline stand-in with no download of its own
    sha1: str
    hashed: str = "file"  # "file" or "gunzip"
    about: str = ""


DATASETS: dict[str, DataFile] = {
    "timemachine": DataFile(
        "timemachine.txt", _D2L + "timemachine.txt", "090b5e7e70c295757f55df93cb0a180b9691891a",
        about="H. G. Wells, The Time Machine (d2l's copy, Project Gutenberg text)"),
    "jaychou_lyrics": DataFile(
        "jaychou_lyrics.txt.zip",
        _D2L_ZH + "abb4113be45cb2d23adeeb7b0e5a350938d7a650/data/jaychou_lyrics.txt.zip",
        "9529987e701a4f37048ab778270a5dde9a762a0b",
        about="Jay Chou lyrics, the corpus of d2l-zh 1st edition (63,282 characters)"),
    "aclImdb": DataFile(
        "aclImdb_v1.tar.gz", "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
        "01ada507287d82875905620988597833ad4e0903",
        about="IMDB Large Movie Review Dataset v1.0 (Maas et al. 2011), 25k train + 25k test"),
    "aclImdb_tiny": DataFile(
        "aclImdb_tiny.zip", _D2L_ZH + "1ae6b11826b7f9cbe6e40e3cab9250f9ec7f014f/data/aclImdb_tiny.zip",
        "ad46fc41b7af455b0b4d990a274a727a525f2c0e",
        about="40 IMDB reviews from d2l-zh, for a first look"),
    "glove.6B.100d": DataFile(
        "glove.6B.100d.zip", _D2L + "glove.6B.100d.zip", "cd43bfb07e44e6f27cbcc7bc9ae3d80284fdaf5a",
        about="GloVe 6B 100-d word vectors (Pennington et al. 2014), d2l's zip"),
    "glove.6B.50d": DataFile(
        "glove.6B.50d.zip", _D2L + "glove.6B.50d.zip", "0b8703943ccdb6eb788e6f091b8946e82231bc4d",
        about="GloVe 6B 50-d word vectors, d2l's zip"),
    "glove.6B.50d.txt.gz": DataFile(
        "glove.6B.50d.txt.gz", None, "ef8fa80e751b7e6420f243b0642ac2b11cd43369",
        about="GloVe 6B 50-d as gzip text: the offline stand-in (same vectors as the zip)"),
    "conll2000_train": DataFile(
        "conll2000/train.txt.gz", _CONLL + "train.txt.gz", "dffb6f2f0d03f5ae7060dbbe5574b5e5fcb311a0",
        hashed="gunzip", about="CoNLL-2000 training part: WSJ text with POS and chunk tags"),
    "conll2000_test": DataFile(
        "conll2000/test.txt.gz", _CONLL + "test.txt.gz", "adedf702b394e69713e2db46b8e86a1a0248cc12",
        hashed="gunzip", about="CoNLL-2000 test part"),
}


class DataError(RuntimeError):
    """A data file could not be had or was not what it should be."""


class DataNotFoundError(DataError, FileNotFoundError):
    """The file is not in the cache and could not be downloaded."""


class ChecksumError(DataError, ValueError):
    """A file's checksum does not match the registry."""


class UnsafeArchiveError(DataError, ValueError):
    """An archive member would be written outside the target folder."""


TEACHER_COMMAND = "python -m lstm_teach download --all"  # fills a (shared) data folder


def _entry(name: str) -> DataFile:
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"name={name!r} is not a data set of this course; known: {', '.join(DATASETS)}")
    return DATASETS[name]


# ---------------------------------------------------------------- checksums and the cache
_verified: set[tuple] = set()  # (path, size, mtime) of files, and of aclImdb/: checked once per process


def _sha1(path: Path, gunzip: bool = False) -> str:
    digest = hashlib.sha1()
    opener = gzip.open if gunzip else open
    with opener(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, entry: DataFile) -> bool:
    """True when ``path`` holds exactly the registry's bytes (or decompressed content)."""
    path = Path(path)
    if not path.is_file():
        return False
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _verified:
        return True
    try:
        ok = _sha1(path, gunzip=entry.hashed == "gunzip") == entry.sha1
    except (OSError, EOFError, zlib.error):  # unreadable, truncated or damaged: not verified
        ok = False
    if ok:
        _verified.add(key)
    return ok


def _offline() -> bool:
    return os.environ.get("LSTM_TEACH_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _writable(path: Path) -> bool:
    """May this user create files in ``path`` (or, if it does not exist yet, its nearest parent)?

    ``os.access`` asks the kernel (access(2)) for the real user: it says no for a folder without
    write permission and for any folder on a read-only file system, even to root.
    """
    while not path.exists() and path != path.parent:
        path = path.parent
    return os.access(path, os.W_OK)


def _read_only_message(fname: str, folder: Path, problem: str) -> str:
    return (
        f"{fname} {problem} in the data folder {folder}, which is read-only for you (a shared cache),"
        f" so nothing was changed there.\n"
        f"  Whoever fills that folder (the teacher) runs:  LSTM_TEACH_DATA={folder} {TEACHER_COMMAND}\n"
        f"  (or set LSTM_TEACH_DATA to a folder of your own and download it there)"
    )


def _move_aside(path: Path) -> Path:
    """Rename a rejected file to ``NAME.rejected`` (``.rejected2``, ... if taken); return the new path."""
    n = 1
    while True:
        aside = path.with_name(path.name + ".rejected" + (str(n) if n > 1 else ""))
        if not (aside.exists() or aside.is_symlink()):
            os.replace(path, aside)
            return aside
        n += 1


STALE_SECONDS = 3600  # a partial download untouched this long belongs to a process that died
READABLE = 0o644  # temporary files are created private (0600); a shared cache must be readable by all


def _remove_stale_partials(folder: Path) -> None:
    """Delete partial files left by a killed process: pooch's ``tmpXXXXXXXX`` and our ``.NAME.part``.

    A download or copy in progress keeps writing, so only files untouched for an hour are removed.
    """
    if not folder.is_dir() or not _writable(folder):
        return
    for path in folder.iterdir():
        if re.fullmatch(r"tmp[a-z0-9_]{8}|\..+\.part", path.name) and path.is_file() \
                and not path.is_symlink() and time.time() - path.stat().st_mtime > STALE_SECONDS:
            path.unlink()
            print(f"removed {path}, a partial download or copy left by a process that was stopped")


def _write_atomically(target: Path, src) -> Path:
    """Copy the open binary file ``src`` to ``target`` through ``.NAME.XXXX.part`` and ``os.replace``.

    Readers see the old file or the whole new one, never half of it; a link at ``target`` is
    replaced, not followed. Returns ``target``.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(src, out)
        os.chmod(tmp, READABLE)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _missing_message(entry: DataFile, folder: Path, reason: str) -> str:
    where = entry.url or "(no download of its own: copy it from a machine that has it)"
    return (
        f"{entry.fname} is not in the data folder and could not be downloaded ({reason}).\n"
        f"  Get it from:  {where}\n"
        f"  and put it in: {folder}\n"
        f"  (`python -m lstm_teach download --from DIR` copies and checks files from a folder;"
        f" the variable LSTM_TEACH_DATA chooses another data folder)"
    )


def is_cached(name: str) -> bool:
    """True when the registry file ``name`` is in the cache and its checksum is right."""
    entry = _entry(name)
    return verify(data_dir() / entry.fname, entry)


def fetch(name: str, entry: DataFile | None = None) -> Path:
    """The path of a verified copy of the registry file ``name``, downloading it if needed.

    A cached file with the right checksum is used without touching the network. A cached
    file with a wrong checksum (truncated, corrupt, another version, a student's edited copy)
    is moved aside to ``NAME.rejected`` and downloaded again. ``LSTM_TEACH_OFFLINE=1`` forbids
    downloads. In a read-only data folder nothing is written: a missing or wrong file raises an
    error that names the folder and the command that fills it. ``entry`` replaces the registry's
    entry (tests use it to point at a local server).
    """
    import pooch  # imported here so that `import lstm_teach` stays quick
    import requests

    entry = entry or _entry(name)
    folder = data_dir()
    path = folder / entry.fname
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise DataError(f"{path} is a folder or a broken link where the data file {entry.fname} "
                            "should be; move it away and try again.")
        if verify(path, entry):
            return path
        if not os.access(path, os.R_OK):
            raise DataError(f"{path} is there but you may not read it; whoever owns the data folder "
                            f"can let everyone read it:  chmod -R a+rX {folder}")
        if not _writable(path.parent):
            raise ChecksumError(_read_only_message(entry.fname, folder, "does not match its checksum"))
        aside = _move_aside(path)
        print(f"{entry.fname}: checksum mismatch in the cache (truncated, corrupt or edited); "
              f"moved it aside to {aside} and getting a verified copy.")
    elif not _writable(path.parent):
        raise DataNotFoundError(_read_only_message(entry.fname, folder, "is missing"))
    if entry.url is None:
        raise DataNotFoundError(_missing_message(entry, folder, "it has no download URL"))
    if _offline():
        raise DataNotFoundError(_missing_message(entry, folder, "LSTM_TEACH_OFFLINE is set"))
    _remove_stale_partials(path.parent)
    known = f"sha1:{entry.sha1}" if entry.hashed == "file" else None
    try:
        pooch.retrieve(entry.url, known_hash=known, fname=path.name, path=path.parent,
                       progressbar=True)
    except ValueError as err:  # pooch: the downloaded bytes do not match the known hash
        raise ChecksumError(f"{entry.fname} downloaded from {entry.url} has the wrong checksum, "
                            f"so it was not kept: {err}") from err
    except (requests.exceptions.RequestException, OSError) as err:
        raise DataNotFoundError(_missing_message(entry, folder, type(err).__name__)) from err
    if known is None and not verify(path, entry):  # pooch checked file hashes; content hashes here
        path.unlink(missing_ok=True)
        raise ChecksumError(f"{entry.fname} downloaded from {entry.url} has the wrong content "
                            f"checksum (expected sha1 {entry.sha1}), so it was not kept.")
    path.chmod(READABLE)  # pooch renames its private temporary file into place
    return path


def _copy_verified(src: Path, target: Path, entry: DataFile) -> None:
    """Copy ``src`` into the cache at ``target`` atomically, keeping a differing old file aside."""
    _remove_stale_partials(target.parent)
    if target.exists() or target.is_symlink():
        if target.is_file() and verify(target, entry):
            return
        print(f"{target} differs from the registry; moved it aside to {_move_aside(target)}")
    with open(src, "rb") as f:
        _write_atomically(target, f)
    if not verify(target, entry):  # the source changed while it was being copied
        raise ChecksumError(f"{src} changed while it was copied to {target}; try again.")


def import_folder(folder: str | os.PathLike) -> list[str]:
    """Copy every registry file found in ``folder`` (or its sub-folders) into the cache.

    Only files whose checksum is right are copied, so a teacher can prepare a room from a
    USB stick and CI from ``shared/data``. A tarball ``aclImdb*.tar.gz`` whose checksum is one
    of :data:`IMDB_TARBALLS` (the official one, or the labelled-only repack of ``shared/data``)
    is unpacked into the cache. Each file found and rejected is printed with the reason.
    Returns the names imported (empty when nothing usable was found).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder={str(folder)!r} " + ("is a file" if folder.exists() else "does not exist")
                         + ": give the folder that holds the data files (e.g. a USB stick's copy of the cache)")
    cache = data_dir()
    if not _writable(cache):
        raise DataError(f"the data folder {cache} is read-only for you, so nothing can be copied into it; "
                        "set LSTM_TEACH_DATA to a folder of your own.")
    done = []
    for name, entry in DATASETS.items():
        candidates = [c for c in sorted(folder.rglob(Path(entry.fname).name))
                      if c.as_posix().endswith(entry.fname) and c.is_file()]
        for candidate in candidates:
            if verify(candidate, entry):
                _copy_verified(candidate, cache / entry.fname, entry)
                done.append(name)
                break
            print(f"rejected {candidate}: its checksum is not the registry's for {name} (sha1 {entry.sha1})")
    if _imdb_trusted(cache / "aclImdb"):
        done.append("aclImdb (extracted)")
        return done
    for tarball in sorted(folder.rglob("aclImdb*.tar.gz")):
        sha1 = _sha1(tarball)
        if sha1 not in IMDB_TARBALLS:
            print(f"rejected {tarball}: sha1 {sha1} is not one of the accepted IMDB archives "
                  f"({', '.join(IMDB_TARBALLS)})")
            continue
        try:
            _extract_imdb(tarball)
        except DataError as err:
            print(f"rejected {tarball}: {err}")
            continue
        done.append("aclImdb (extracted)")
        break
    return done


# ---------------------------------------------------------------- archives
def _check_member(archive: Path, name: str) -> PurePosixPath:
    member = PurePosixPath(name.replace("\\", "/"))
    if member.is_absolute() or ".." in member.parts or re.match(r"^[A-Za-z]:", name):
        raise UnsafeArchiveError(
            f"{archive.name}: member {name!r} has an absolute path or '..', so it could be "
            "written outside the target folder; refusing to extract this archive.")
    return member


def safe_extract(archive: str | os.PathLike, dest: str | os.PathLike, keep=None) -> list[Path]:
    """Extract the regular files of a ``.zip`` or ``.tar.gz`` into ``dest``.

    Every member name is checked first: an absolute path or a ``..`` part raises
    :class:`UnsafeArchiveError` and nothing is written. Links and devices are skipped.
    ``keep(name) -> bool`` selects members. Returns the paths written.
    """
    archive, dest = Path(archive), Path(dest)
    try:
        return _extract(archive, dest, keep)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise DataError(f"{archive} is not a readable .zip or .tar.gz archive (truncated, or not an "
                        f"archive at all, e.g. a web page): {type(err).__name__}: {err}") from err


def _extract(archive: Path, dest: Path, keep) -> list[Path]:
    written = []
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            infos = [i for i in z.infolist() if not i.is_dir()]
            for info in infos:
                _check_member(archive, info.filename)
            for info in infos:
                if keep is None or keep(info.filename):
                    with z.open(info) as src:
                        written.append(_write_atomically(dest / _check_member(archive, info.filename), src))
        return written
    with tarfile.open(archive, "r:*") as t:
        members = t.getmembers()
        for m in members:
            _check_member(archive, m.name)
        for m in members:
            if m.isfile() and (keep is None or keep(m.name)):
                with t.extractfile(m) as src:
                    written.append(_write_atomically(dest / _check_member(archive, m.name), src))
    return written


# ---------------------------------------------------------------- loaders
def load_time_machine(raw: bool = False) -> str:
    """The Time Machine as one string.

    By default it is preprocessed as in d2l (section 9.2): every run of characters other
    than letters becomes one space, and everything is lower case, so a character vocabulary
    has 26 letters + space (+ ``<unk>`` = 28). ``raw=True`` returns the file as it is.
    """
    text = fetch("timemachine").read_text(encoding="utf-8")
    return text if raw else re.sub("[^A-Za-z]+", " ", text).lower()


def load_jaychou_lyrics() -> str:
    """The Jay Chou lyrics corpus as one string (63,282 characters, newlines kept)."""
    with zipfile.ZipFile(fetch("jaychou_lyrics")) as z:
        return z.read("jaychou_lyrics.txt").decode("utf-8")


IMDB_PER_FOLDER = 12_500  # reviews per split and label in aclImdb v1.0
IMDB_TARBALLS = {  # sha1 of the archives accepted for IMDB
    "01ada507287d82875905620988597833ad4e0903": "aclImdb_v1.tar.gz, the official tarball (d2l's DATA_HUB)",
    "77551b0c3b9f064eb04b4a9c51abcaa4f374662d": "aclImdb_v1_labelled.tar.gz, the labelled-only repack "
                                                "of shared/data (SOURCES.md, section 3)",
}
# sha1 of the manifest (one "path size" line per labelled review, sorted) of a good aclImdb/
IMDB_MANIFESTS = {"672f3ee0e26f4220859c44f158e770fd56e6f07a": "the 50,000 labelled reviews of v1.0"}
_MANIFEST_RECORD = "MANIFEST.sha1"  # written after extracting an accepted tarball: its manifest


def _is_labelled_review(name: str) -> bool:
    return re.search(r"aclImdb/(train|test)/(pos|neg)/\d+_\d+\.txt$", name) is not None


def imdb_counts(root: Path) -> dict[str, int]:
    return {f"{s}/{l}": sum(1 for _ in (root / s / l).glob("*.txt")) if (root / s / l).is_dir() else 0
            for s in ("train", "test") for l in ("pos", "neg")}


def imdb_manifest(root: Path) -> str:
    """sha1 of the sorted lines ``aclImdb/train/pos/0_9.txt SIZE`` of the labelled reviews under
    ``root``: stronger than counts (an empty or cut review changes it), cheap (no file is read)."""
    lines = []
    for part in ("train/pos", "train/neg", "test/pos", "test/neg"):
        if (root / part).is_dir():
            with os.scandir(root / part) as entries:
                lines += [f"aclImdb/{part}/{e.name} {e.stat().st_size}\n" for e in entries
                          if _is_labelled_review(f"aclImdb/{part}/{e.name}")]
    return hashlib.sha1("".join(sorted(lines)).encode()).hexdigest()


def _imdb_trusted(root: Path) -> bool:
    """An extracted folder is trusted when its manifest is the pinned one, or the one recorded
    when this library extracted it from an accepted tarball."""
    if not root.is_dir():
        return False
    folders = [root / part for part in ("train/pos", "train/neg", "test/pos", "test/neg")]
    key = (str(root.resolve()), *(f.stat().st_mtime_ns if f.is_dir() else 0 for f in folders))
    if key in _verified:  # checked before in this process, and no review added or removed since
        return True
    manifest = imdb_manifest(root)
    record = root / _MANIFEST_RECORD
    ok = manifest in IMDB_MANIFESTS or (record.is_file() and record.read_text().split()[:1] == [manifest])
    if ok:
        _verified.add(key)
    return ok


def _extract_imdb(tarball: Path) -> Path:
    root = data_dir() / "aclImdb"
    print(f"Extracting the labelled reviews of {tarball.name} (50,000 files) ...")
    safe_extract(tarball, data_dir(), keep=_is_labelled_review)
    counts = imdb_counts(root)
    if set(counts.values()) != {IMDB_PER_FOLDER}:
        raise DataError(f"{root} is incomplete after extracting {tarball.name}: {counts}; "
                        f"expected {IMDB_PER_FOLDER} per folder. Delete it and try again.")
    (root / _MANIFEST_RECORD).write_text(f"{imdb_manifest(root)}  extracted from {tarball.name}\n")
    return root


def imdb_dir() -> Path:
    """The ``aclImdb/`` folder in the cache, extracted from the official tarball if needed.

    An already-extracted folder is accepted when its manifest (names and sizes of the 50,000
    labelled reviews) is the pinned one, or the one recorded when it was extracted here.
    """
    root = data_dir() / "aclImdb"
    if _imdb_trusted(root):
        return root
    if not _writable(data_dir()):
        raise DataNotFoundError(_read_only_message(
            "aclImdb/ (the extracted reviews)", data_dir(), "is missing or incomplete"))
    return _extract_imdb(fetch("aclImdb"))


def load_imdb(split: str = "train") -> tuple[list[str], list[int]]:
    """Texts and labels (1 = positive, 0 = negative) of one IMDB split, in file-name order."""
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r}: use 'train' or 'test'")
    root = imdb_dir() / split
    texts, labels = [], []
    for label, folder in ((1, "pos"), (0, "neg")):
        for path in sorted((root / folder).glob("*.txt")):
            texts.append(path.read_text(encoding="utf-8"))
            labels.append(label)
    empty = sum(not t.strip() for t in texts)
    if empty:
        warnings.warn(f"{empty} of the {len(texts)} IMDB {split} reviews in {root} are empty; "
                      "the real data set has none (is this folder a damaged copy?)", stacklevel=2)
    return texts, labels


@dataclass
class GloVe:
    """Pre-trained word vectors: ``vectors[i]`` belongs to ``itos[i]``."""

    dim: int
    source: str  # which registry file the vectors came from
    itos: list[str]
    vectors: torch.Tensor  # (N, dim)

    @functools.cached_property
    def stoi(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.itos)}

    def vectors_for(self, words) -> tuple[torch.Tensor, torch.Tensor]:
        """The vectors of ``words`` (N, dim), zeros where GloVe has none, and the mask (N,)
        of the words it has. Notebooks 05 and 07 initialise their embeddings with it."""
        rows = torch.tensor([self.stoi.get(w, -1) for w in words], dtype=torch.long)
        found = rows >= 0
        out = torch.zeros(len(rows), self.dim)
        out[found] = self.vectors[rows[found]]
        return out, found


def _glove_lines(name: str):
    path = fetch(name)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            member = next(n for n in z.namelist() if n.endswith(".txt"))
            with z.open(member) as f:
                for raw in f:
                    yield raw.decode("utf-8")
    else:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            yield from f


def _glove_subset_path(name: str, words) -> Path | None:
    """Where :func:`load_glove` keeps the vectors of one word list read from ``name``."""
    if words is None:
        return None
    key = hashlib.sha1("\n".join([name, _entry(name).sha1, *sorted(set(words))]).encode()).hexdigest()
    return data_dir() / "glove_subsets" / f"{name}.{key[:16]}.pt"


def _save_glove_subset(path: Path, glove: GloVe) -> None:
    """Keep ``glove`` at ``path`` for the next load; skipped in a read-only cache."""
    if _writable(path.parent):
        buffer = io.BytesIO()
        torch.save({"itos": glove.itos, "vectors": glove.vectors}, buffer)
        buffer.seek(0)
        _write_atomically(path, buffer)


def load_glove(dim: int = 100, words=None, fallback: bool = True) -> GloVe:
    """GloVe 6B vectors of size ``dim`` (50 or 100), only for ``words`` if given.

    For 100-d the official zip is used (from the cache, else downloaded). When it cannot be
    had and ``fallback`` is true, the 50-d vectors are used instead and that is printed:
    offline copies of this course carry only the 50-d file.

    Reading the 400,000 lines of a GloVe file takes a while, so the vectors of a given word list
    are also kept in the cache (``glove_subsets/``, named by the file, its checksum and the words);
    asking again for the same words reads that small file instead.
    """
    candidates = {100: ["glove.6B.100d"], 50: ["glove.6B.50d.txt.gz", "glove.6B.50d"]}
    if dim not in candidates:
        raise ValueError(f"dim={dim}: this course registers GloVe 6B with dim 50 or 100")
    names = candidates[dim] + (candidates[50] if dim == 100 and fallback else [])
    # The asked-for size first; among files of one size, a verified cached one (no network).
    names.sort(key=lambda n: (f"{dim}d" not in n, not is_cached(n)))
    errors = []
    for name in names:
        subset = _glove_subset_path(name, words)
        kept = subset is not None and subset.is_file()
        try:
            if not kept:
                fetch(name)
        except DataError as err:
            errors.append(str(err))
            continue
        got = 50 if "50d" in name else 100
        if got != dim:
            reason = errors[0].splitlines()[0] if errors else ""
            print(f"GloVe {dim}-d could not be had ({reason}); using the {got}-d vectors "
                  f"from {name} instead. Results with 50-d are a little lower.")
        if kept:
            saved = torch.load(subset, weights_only=True)
            return GloVe(got, name, saved["itos"], saved["vectors"])
        wanted = None if words is None else set(words)
        itos, rows = [], []
        for line in _glove_lines(name):
            word, _, rest = line.rstrip("\n").partition(" ")
            if wanted is not None and word not in wanted:
                continue
            values = rest.split(" ")
            if len(values) != got:
                continue
            itos.append(word)
            rows.append([float(v) for v in values])
        glove = GloVe(got, name, itos, torch.tensor(rows, dtype=torch.float32).reshape(-1, got))
        if subset is not None:
            _save_glove_subset(subset, glove)
        return glove
    raise DataNotFoundError("No GloVe vectors could be had:\n" + "\n".join(errors))


def load_conll2000(split: str = "train") -> list[list[tuple[str, str, str]]]:
    """CoNLL-2000 sentences: each a list of ``(word, pos_tag, chunk_tag)``."""
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r}: use 'train' or 'test'")
    sentences, current = [], []
    with gzip.open(fetch(f"conll2000_{split}"), "rt", encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if not parts:
                if current:
                    sentences.append(current)
                current = []
            else:
                current.append(tuple(parts))
    if current:
        sentences.append(current)
    return sentences
