"""Bad input to the data layer and the command line: a clear message, and no file lost (issue 15).

Also the read-only shared data folder of a JupyterHub (issue 21): files there are verified and
used, nothing is ever written there, and a missing file names the folder and the command that
fills it.
"""

import gzip
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

import pytest

from lstm_teach import config, data
from lstm_teach.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
TEXT = b"Confidence NN B-NP\nin IN B-PP\n\n" * 400


def sha1(b: bytes) -> str:
    return hashlib.sha1(b).hexdigest()


def damaged_gzip() -> bytes:
    """A gzip whose header is fine but whose deflate stream is damaged (zlib.error, not OSError)."""
    blob = bytearray(gzip.compress(TEXT, mtime=0))
    blob[20:40] = b"\xff" * 20
    try:
        gzip.decompress(bytes(blob))
    except zlib.error:
        return bytes(blob)
    raise AssertionError("the damage did not give zlib.error")


@pytest.fixture
def conll(cache, monkeypatch):
    """The registry's conll2000_test entry, pointed at TEXT (offline: no URL)."""
    entry = data.DataFile("conll2000/test.txt.gz", None, sha1(TEXT), hashed="gunzip")
    monkeypatch.setitem(data.DATASETS, "conll2000_test", entry)
    return entry


# ------------------------------------------------------------- 1. a damaged gzip
def test_damaged_gzip_is_not_verified_and_is_moved_aside(cache, conll, capsys):
    path = cache / conll.fname
    path.parent.mkdir(parents=True)
    path.write_bytes(damaged_gzip())
    assert data.verify(path, conll) is False and data.is_cached("conll2000_test") is False
    assert main(["info"]) == 0
    assert "conll2000_test         present, WRONG CHECKSUM" in capsys.readouterr().out
    with pytest.raises(data.DataNotFoundError, match="conll2000/test.txt.gz is not in the data folder"):
        data.load_conll2000("test")
    assert not path.exists(), "a damaged file must not stay in the cache"
    aside = path.with_name("test.txt.gz.rejected")
    assert aside.read_bytes() == damaged_gzip()
    assert f"moved it aside to {aside}" in capsys.readouterr().out


def test_download_from_rejects_a_damaged_gzip_by_name(cache, conll, tmp_path, capsys):
    src = tmp_path / "stick" / "conll2000"
    src.mkdir(parents=True)
    (src / "test.txt.gz").write_bytes(damaged_gzip())
    assert main(["download", "--from", str(tmp_path / "stick")]) == 1
    out = capsys.readouterr()
    assert f"rejected {src / 'test.txt.gz'}: its checksum is not the registry's for conll2000_test" in out.out
    assert "nothing usable in" in out.err


# ------------------------------------------------------------- 2. atomic copies, links, stale partials
def test_copy_into_the_cache_is_atomic(cache, conll, tmp_path, monkeypatch):
    src = tmp_path / "stick" / "conll2000"
    src.mkdir(parents=True)
    (src / "test.txt.gz").write_bytes(gzip.compress(TEXT))
    target = cache / conll.fname
    seen = []
    real = shutil.copyfileobj

    def slow_copy(fsrc, fdst, length=0):  # a USB-speed source: look at the cache halfway through
        fdst.write(fsrc.read(100))
        fdst.flush()
        seen.append((target.exists(), sorted(p.name for p in target.parent.iterdir())))
        real(fsrc, fdst)

    monkeypatch.setattr(data.shutil, "copyfileobj", slow_copy)
    assert data.import_folder(tmp_path / "stick") == ["conll2000_test"]
    assert seen, "the copy did not go through the cache's writer"
    exists, names = seen[0]
    assert not exists, "a reader could see a half-copied file under its real name"
    assert len(names) == 1 and names[0].startswith(".test.txt.gz.") and names[0].endswith(".part")
    assert sorted(p.name for p in target.parent.iterdir()) == ["test.txt.gz"]
    assert gzip.decompress(target.read_bytes()) == TEXT


def test_a_link_in_the_cache_is_replaced_not_written_through(cache, conll, tmp_path):
    outside = tmp_path / "precious.txt.gz"
    outside.write_bytes(b"a file outside the cache")
    link = cache / conll.fname
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    src = tmp_path / "stick" / "conll2000"
    src.mkdir(parents=True)
    (src / "test.txt.gz").write_bytes(gzip.compress(TEXT))
    assert data.import_folder(tmp_path / "stick") == ["conll2000_test"]
    assert outside.read_bytes() == b"a file outside the cache"
    assert not link.is_symlink() and gzip.decompress(link.read_bytes()) == TEXT


def test_stale_partial_downloads_are_removed_fresh_ones_kept(cache, server, capsys):
    www, url = server
    (www / "sample.txt").write_bytes(b"abc")
    cache.mkdir(parents=True)
    old = time.time() - 2 * data.STALE_SECONDS
    for name in ("tmpab12cd_3", "tmpzz99yy00", ".sample.txt.x1y2.part"):
        (cache / name).write_bytes(b"partial")
    os.utime(cache / "tmpzz99yy00", (old, old))
    os.utime(cache / ".sample.txt.x1y2.part", (old, old))
    data.fetch("sample", data.DataFile("sample.txt", url + "sample.txt", sha1(b"abc")))
    assert sorted(p.name for p in cache.iterdir()) == ["sample.txt", "tmpab12cd_3"]
    assert f"removed {cache / 'tmpzz99yy00'}, a partial download" in capsys.readouterr().out


# ------------------------------------------------------------- 3. download --from with nothing usable
def test_download_from_a_missing_folder_or_a_file(cache, tmp_path, capsys):
    assert main(["download", "--from", str(tmp_path / "nowhere")]) == 1
    assert f"folder='{tmp_path / 'nowhere'}' does not exist" in capsys.readouterr().err
    (tmp_path / "f.txt").write_text("x")
    assert main(["download", "--from", str(tmp_path / "f.txt")]) == 1
    assert f"folder='{tmp_path / 'f.txt'}' is a file" in capsys.readouterr().err


def test_download_from_an_empty_folder_or_wrong_files_fails(cache, tmp_path, capsys):
    stick = tmp_path / "stick"
    stick.mkdir()
    assert main(["download", "--from", str(stick)]) == 1
    err = capsys.readouterr().err
    assert f"nothing usable in {stick}" in err and "timemachine.txt" in err
    (stick / "timemachine.txt").write_text("not the book")
    (stick / "aclImdb_v1.tar.gz").write_bytes(b"<html>404 Not Found</html>")
    assert main(["download", "--from", str(stick)]) == 1
    out = capsys.readouterr().out
    assert f"rejected {stick / 'timemachine.txt'}: its checksum is not the registry's" in out
    assert f"rejected {stick / 'aclImdb_v1.tar.gz'}: sha1 {sha1(b'<html>404 Not Found</html>')} is not one of" in out
    assert not (cache / "timemachine.txt").exists()


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            t.addfile(info, io.BytesIO(content))
    return buf.getvalue()


@pytest.mark.parametrize("blob", [
    _tar({"a.txt": b"x" * 5000})[:60],
    b"<html><body>Please log in</body></html>"], ids=["truncated", "web page"])
def test_safe_extract_names_an_unreadable_archive(tmp_path, blob):
    archive = tmp_path / "data.tar.gz"
    archive.write_bytes(blob)
    with pytest.raises(data.DataError, match=rf"{archive} is not a readable \.zip or \.tar\.gz archive"):
        data.safe_extract(archive, tmp_path / "out")


# ------------------------------------------------------------- 4. IMDB by checksum and manifest
def test_imdb_tarball_of_empty_reviews_is_rejected(cache, tmp_path, capsys):
    names = [f"aclImdb/{s}/{l}/{i}_1.txt" for s in ("train", "test") for l in ("pos", "neg") for i in range(3)]
    stick = tmp_path / "stick"
    stick.mkdir()
    blob = _tar({n: b"" for n in names})
    (stick / "aclImdb_v1_labelled.tar.gz").write_bytes(blob)
    assert data.import_folder(stick) == []
    assert f"sha1 {sha1(blob)} is not one of the accepted IMDB archives" in capsys.readouterr().out
    assert not (cache / "aclImdb").exists()


def _fake_imdb(root: Path, per_folder: int, text=lambda s, l, i: f"{s} {l} {i}"):
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            folder = root / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for i in range(per_folder):
                (folder / f"{i}_{8 if label == 'pos' else 2}.txt").write_text(text(split, label, i))


def test_extracted_imdb_with_right_counts_but_wrong_content_is_not_trusted(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(data, "IMDB_PER_FOLDER", 3)
    _fake_imdb(tmp_path / "good", 3)
    monkeypatch.setattr(data, "IMDB_MANIFESTS", {data.imdb_manifest(tmp_path / "good" / "aclImdb"): "fake"})
    assert data._imdb_trusted(tmp_path / "good" / "aclImdb")
    _fake_imdb(cache, 3)
    (cache / "aclImdb" / "test" / "pos" / "1_8.txt").write_text("")  # emptied: counts unchanged
    assert data.imdb_counts(cache / "aclImdb")["test/pos"] == 3
    assert not data._imdb_trusted(cache / "aclImdb")
    monkeypatch.setenv("LSTM_TEACH_OFFLINE", "1")
    with pytest.raises(data.DataNotFoundError, match="aclImdb_v1.tar.gz is not in the data folder"):
        data.load_imdb("test")


def test_the_pinned_imdb_manifest_is_the_real_one():
    root = data.data_dir() / "aclImdb"
    if not root.is_dir():
        pytest.skip("no extracted aclImdb/ in the data folder")
    assert data.imdb_manifest(root) in data.IMDB_MANIFESTS


def test_empty_reviews_are_warned_about(cache, monkeypatch):
    _fake_imdb(cache, 2, text=lambda s, l, i: "" if (s, l, i) == ("train", "neg", 1) else "fine")
    monkeypatch.setattr(data, "IMDB_MANIFESTS", {data.imdb_manifest(cache / "aclImdb"): "this fake"})
    with pytest.warns(UserWarning, match=r"1 of the 4 IMDB train reviews in .* are empty"):
        texts, _ = data.load_imdb("train")
    assert texts.count("") == 1


# ------------------------------------------------------------- 5. a changed file offline is kept
def test_offline_a_changed_cached_file_is_moved_aside(cache, monkeypatch, closed_url, capsys):
    monkeypatch.setenv("LSTM_TEACH_OFFLINE", "1")
    cache.mkdir()
    (cache / "timemachine.txt").write_text("my annotated copy")
    entry = data.DataFile("timemachine.txt", closed_url + "timemachine.txt", sha1(b"the book"))
    with pytest.raises(data.DataNotFoundError, match="LSTM_TEACH_OFFLINE is set"):
        data.fetch("timemachine", entry)
    assert (cache / "timemachine.txt.rejected").read_text() == "my annotated copy"
    assert f"moved it aside to {cache / 'timemachine.txt.rejected'}" in capsys.readouterr().out
    (cache / "timemachine.txt").write_text("a second edit")  # a second rejection keeps the first
    with pytest.raises(data.DataNotFoundError):
        data.fetch("timemachine", entry)
    assert (cache / "timemachine.txt.rejected2").read_text() == "a second edit"
    assert (cache / "timemachine.txt.rejected").read_text() == "my annotated copy"


# ------------------------------------------------------------- 6. names and folders
def test_unknown_data_set_names_list_the_known_ones(cache):
    for call in (data.fetch, data.is_cached):
        with pytest.raises(ValueError, match=r"name='timemachin' is not a data set of this course; "
                                             r"known: timemachine, jaychou_lyrics"):
            call("timemachin")


def test_data_folder_that_is_a_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "data").write_text("oops")
    monkeypatch.setenv("LSTM_TEACH_DATA", str(tmp_path / "data"))
    with pytest.raises(ValueError, match=r"LSTM_TEACH_DATA='.*/data' is a file, not a folder"):
        config.data_dir()
    assert main(["info"]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err
    monkeypatch.setenv("LSTM_TEACH_DATA", "/proc/no-such-folder/data")  # cannot be created, even by root
    with pytest.raises(PermissionError, match=r"the data folder /proc/no-such-folder/data does not exist "
                                              r"and cannot be created \(.*\); set LSTM_TEACH_DATA"):
        config.data_dir()


def test_a_folder_where_a_file_should_be(cache):
    (cache / "timemachine.txt").mkdir(parents=True)
    with pytest.raises(data.DataError, match=r"timemachine.txt is a folder or a broken link where the "
                                             r"data file timemachine.txt should be"):
        data.fetch("timemachine")
    assert (cache / "timemachine.txt").is_dir()


# ------------------------------------------------------------- issue 21: a read-only shared folder
READ_ONLY_SCRIPT = r"""
import os, sys
from pathlib import Path
from lstm_teach import data
folder = Path(os.environ["LSTM_TEACH_DATA"])
try:
    (folder / "probe").write_text("x")
    sys.exit("this user can write the folder: the test would prove nothing")
except OSError:
    pass
assert not data._writable(folder)
print("book", len(data.load_time_machine()))
print("imdb", len(data.load_imdb("test")[0]))
for name in ("jaychou_lyrics", "conll2000_test"):
    try:
        data.fetch(name)
    except data.DataError as err:
        print(f"--- {name}: {type(err).__name__}: {err}")
try:
    data.import_folder(folder)
except data.DataError as err:
    print(f"--- import: {err}")
os.environ["LSTM_TEACH_DATA"] = sys.argv[1]  # a folder holding a file only its owner may read
try:
    data.fetch("timemachine")
except data.DataError as err:
    print(f"--- private: {err}")
"""


def _reader() -> list[str]:
    """The command prefix for a reader to whom permission bits apply.

    Root writes and reads through any permission bits, so as root the reader is root without the
    two capabilities that override them (``setpriv --bounding-set``); ``os.access`` then says no
    too, as it does for a student. (Switching to ``nobody`` instead needs this Python to be
    outside a private /root.) Any other user is already bound by the bits.
    """
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root and setpriv is missing: cannot drop privileges")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def _run_read_only(folder: Path, private: Path, prefix: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, LSTM_TEACH_DATA=str(folder), PYTHONPATH=str(ROOT), HOME="/nonexistent")
    env.pop("LSTM_TEACH_OFFLINE", None)
    return subprocess.run([*prefix, sys.executable, "-c", READ_ONLY_SCRIPT, str(private)],
                          capture_output=True, text=True, env=env, timeout=300, cwd="/")


def _listing(folder: Path):
    return sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*"))


def test_read_only_shared_folder_is_used_and_never_written(tmp_path, monkeypatch):
    if not data.is_cached("timemachine"):
        pytest.skip("the data folder has no verified timemachine.txt to share")
    stick = tmp_path / "stick"
    stick.mkdir()
    shutil.copy(data.data_dir() / "timemachine.txt", stick / "timemachine.txt")
    shared = Path(tempfile.mkdtemp(prefix="lstm-teach-shared-"))  # in /tmp: reachable by another user
    try:
        shared.chmod(0o755)
        monkeypatch.setenv("LSTM_TEACH_DATA", str(shared))
        assert data.import_folder(stick) == ["timemachine"]  # the teacher fills it with the library
        assert (shared / "timemachine.txt").stat().st_mode & 0o777 == 0o644, "students could not read it"
        _fake_imdb(shared, 2)
        root = shared / "aclImdb"
        (root / data._MANIFEST_RECORD).write_text(f"{data.imdb_manifest(root)}  extracted by the teacher\n")
        (shared / "conll2000").mkdir()
        (shared / "conll2000" / "test.txt.gz").write_bytes(damaged_gzip())
        private = shared / "private"
        private.mkdir()
        (private / "timemachine.txt").write_bytes((stick / "timemachine.txt").read_bytes())
        (private / "timemachine.txt").chmod(0o600)
        if os.geteuid() == 0:
            os.chown(private / "timemachine.txt", 65534, 65534)  # another user's private file
        prefix = _reader()
        for p in [shared, *shared.rglob("*")]:  # the reader owns the folder: no write permission
            if p.is_dir():
                p.chmod(0o555)
        before = _listing(shared)
        run = _run_read_only(shared, private, prefix)
        assert run.returncode == 0, run.stdout + run.stderr
        out = run.stdout
        assert f"book {len(data.load_time_machine())}\n" in out
        assert "imdb 4" in out
        assert (f"--- jaychou_lyrics: DataNotFoundError: jaychou_lyrics.txt.zip is missing in the data "
                f"folder {shared}, which is read-only for you") in out
        assert f"LSTM_TEACH_DATA={shared} python -m lstm_teach download --all" in out
        assert (f"--- conll2000_test: ChecksumError: conll2000/test.txt.gz does not match its checksum in "
                f"the data folder {shared}, which is read-only") in out
        assert f"--- import: the data folder {shared} is read-only for you" in out
        if os.geteuid() == 0:  # the file belongs to nobody, the reader is root without overrides
            assert (f"--- private: {private / 'timemachine.txt'} is there but you may not read it; "
                    f"whoever owns the data folder can let everyone read it:  chmod -R a+rX {private}") in out
        assert _listing(shared) == before, "something was written in the read-only folder"
    finally:
        for p in [shared, *shared.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(shared)


def test_jupyterhub_kernels_default_to_one_torch_thread():
    code = "import torch, lstm_teach; print(torch.get_num_threads())"
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "JUPYTERHUB_USER",
                                                            "JUPYTERHUB_API_URL")}
    env["PYTHONPATH"] = str(ROOT)
    hub = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(env, JUPYTERHUB_USER="student7"))
    assert hub.stdout.strip() == "1", hub.stderr
    chosen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env=dict(env, JUPYTERHUB_API_URL="http://hub:8081/hub/api", OMP_NUM_THREADS="2"))
    assert chosen.stdout.strip() == "2", chosen.stderr
