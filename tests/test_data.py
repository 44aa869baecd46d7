"""The data layer: checksums, the cache, offline errors, safe archives, loaders."""

import gzip
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest
import torch

from lstm_teach import data


def sha1(b: bytes) -> str:
    return hashlib.sha1(b).hexdigest()


def entry_for(content: bytes, url: str, fname="sample.txt", **kw):
    return data.DataFile(fname, url + fname, sha1(content), **kw)


def test_download_verifies_and_caches(cache, server):
    www, url = server
    (www / "sample.txt").write_bytes(b"hello lstm\n")
    entry = entry_for(b"hello lstm\n", url)
    path = data.fetch("sample", entry)
    assert path == cache / "sample.txt" and path.read_bytes() == b"hello lstm\n"
    # The server's copy goes away: the verified cached copy is used without the network.
    (www / "sample.txt").unlink()
    assert data.fetch("sample", entry) == path


def test_download_with_wrong_bytes_is_rejected(cache, server):
    www, url = server
    (www / "sample.txt").write_bytes(b"tampered\n")
    entry = entry_for(b"the real content\n", url)
    with pytest.raises(data.ChecksumError, match="wrong checksum"):
        data.fetch("sample", entry)
    assert not (cache / "sample.txt").exists(), "a file with a wrong checksum must not be kept"


def test_truncated_cached_file_is_replaced(cache, server, capsys):
    www, url = server
    good = b"0123456789" * 1000
    (www / "sample.txt").write_bytes(good)
    cache.mkdir(parents=True)
    (cache / "sample.txt").write_bytes(good[:5000])  # an interrupted download
    path = data.fetch("sample", entry_for(good, url))
    assert path.read_bytes() == good
    assert "checksum mismatch" in capsys.readouterr().out


def test_corrupt_cached_file_is_never_used_offline(cache, closed_url):
    cache.mkdir(parents=True)
    (cache / "sample.txt").write_bytes(b"corrupt")
    with pytest.raises(data.DataNotFoundError):
        data.fetch("sample", entry_for(b"the real content", closed_url))
    assert not (cache / "sample.txt").exists()


def test_gunzip_hashed_file_checks_content(cache, server):
    www, url = server
    text = b"Confidence NN B-NP\n\n" * 200
    (www / "t.txt.gz").write_bytes(gzip.compress(text, mtime=0))
    entry = data.DataFile("sub/t.txt.gz", url + "t.txt.gz", sha1(text), hashed="gunzip")
    path = data.fetch("t", entry)
    assert path == cache / "sub" / "t.txt.gz"
    path.write_bytes(path.read_bytes()[:20])  # truncated gzip: detected, downloaded again
    assert data.verify(path, entry) is False
    assert gzip.decompress(data.fetch("t", entry).read_bytes()) == text


def test_missing_file_offline_says_what_to_do(cache, closed_url):
    entry = entry_for(b"x", closed_url, fname="timemachine.txt")
    with pytest.raises(data.DataNotFoundError) as err:
        data.fetch("timemachine", entry)
    message = str(err.value)
    assert "timemachine.txt" in message
    assert entry.url in message
    assert str(cache) in message
    assert "LSTM_TEACH_DATA" in message


def test_offline_switch_never_downloads(cache, server, monkeypatch):
    www, url = server
    (www / "sample.txt").write_bytes(b"abc")
    monkeypatch.setenv("LSTM_TEACH_OFFLINE", "1")
    with pytest.raises(data.DataNotFoundError, match="LSTM_TEACH_OFFLINE"):
        data.fetch("sample", entry_for(b"abc", url))


def _zip_with(names):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "x")
    return buf.getvalue()


def _tar_with(names):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = 1
            t.addfile(info, io.BytesIO(b"x"))
    return buf.getvalue()


@pytest.mark.parametrize("make,suffix", [(_zip_with, ".zip"), (_tar_with, ".tar.gz")])
@pytest.mark.parametrize("evil", ["../escape.txt", "a/../../escape.txt", "/tmp/abs_escape.txt"])
def test_archive_member_escaping_is_refused(tmp_path, make, suffix, evil):
    archive = tmp_path / ("evil" + suffix)
    archive.write_bytes(make(["ok/fine.txt", evil]))
    dest = tmp_path / "out"
    with pytest.raises(data.UnsafeArchiveError, match="refusing"):
        data.safe_extract(archive, dest)
    assert not dest.exists(), "nothing may be written from an unsafe archive"
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.parametrize("make,suffix", [(_zip_with, ".zip"), (_tar_with, ".tar.gz")])
def test_safe_extract_writes_regular_files(tmp_path, make, suffix):
    archive = tmp_path / ("good" + suffix)
    archive.write_bytes(make(["a/b.txt", "a/c.txt"]))
    written = data.safe_extract(archive, tmp_path / "out", keep=lambda n: n.endswith("b.txt"))
    assert written == [tmp_path / "out" / "a" / "b.txt"]


def _fake_imdb(root: Path, per_folder: int):
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            folder = root / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for i in range(per_folder):
                (folder / f"{i}_{8 if label == 'pos' else 2}.txt").write_text(f"{split} {label} {i}")


def test_imdb_accepts_extracted_folder_checked_by_manifest(cache, monkeypatch, closed_url):
    monkeypatch.setitem(data.DATASETS, "aclImdb", entry_for(b"x", closed_url, "aclImdb_v1.tar.gz"))
    _fake_imdb(cache, 3)
    monkeypatch.setattr(data, "IMDB_MANIFESTS", {data.imdb_manifest(cache / "aclImdb"): "this fake"})
    texts, labels = data.load_imdb("test")
    assert len(texts) == 6 and labels == [1, 1, 1, 0, 0, 0]
    assert texts[0] == "test pos 0"
    # One review missing: the folder is not trusted, and the tarball cannot be had.
    next((cache / "aclImdb" / "train" / "neg").glob("*.txt")).unlink()
    with pytest.raises(data.DataNotFoundError, match="aclImdb_v1.tar.gz"):
        data.load_imdb("train")


def test_imdb_extracts_labelled_reviews_from_tarball(cache, server, monkeypatch):
    www, url = server
    monkeypatch.setattr(data, "IMDB_PER_FOLDER", 2)
    names = [f"aclImdb/{s}/{l}/{i}_1.txt" for s in ("train", "test") for l in ("pos", "neg") for i in (0, 1)]
    blob = _tar_with(names + ["aclImdb/train/unsup/0_0.txt", "aclImdb/README"])
    (www / "aclImdb_v1.tar.gz").write_bytes(blob)
    monkeypatch.setitem(data.DATASETS, "aclImdb", entry_for(blob, url, "aclImdb_v1.tar.gz"))
    texts, labels = data.load_imdb("train")
    assert len(texts) == 4 and sorted(labels) == [0, 0, 1, 1]
    assert not (cache / "aclImdb" / "train" / "unsup").exists()


def test_glove_parsing_and_fallback(cache, monkeypatch, closed_url, capsys):
    rows = {"the": [0.5] * 50, "movie": [float(i) for i in range(50)]}
    lines = "".join(f"{w} {' '.join(map(str, v))}\n" for w, v in rows.items()) + "bad 3 4 5\n"
    blob = gzip.compress(lines.encode())
    cache.mkdir(parents=True)
    (cache / "glove.6B.50d.txt.gz").write_bytes(blob)
    monkeypatch.setitem(data.DATASETS, "glove.6B.50d.txt.gz",
                        data.DataFile("glove.6B.50d.txt.gz", None, sha1(blob)))
    monkeypatch.setitem(data.DATASETS, "glove.6B.100d", entry_for(b"x", closed_url, "g100.zip"))
    glove = data.load_glove(100)  # 100-d cannot be had: falls back to 50-d, and says so
    assert "GloVe 100-d could not be had" in capsys.readouterr().out
    assert (glove.dim, glove.source, glove.itos) == (50, "glove.6B.50d.txt.gz", ["the", "movie"])
    assert glove.vectors[1].tolist() == rows["movie"]  # the malformed row is skipped
    assert data.load_glove(50, words=["movie", "absent"]).itos == ["movie"]
    with pytest.raises(data.DataNotFoundError):
        data.load_glove(100, fallback=False)


def test_glove_keeps_the_vectors_of_a_word_list(cache, monkeypatch, closed_url, capsys):
    rows = {"the": [0.5] * 50, "movie": [float(i) for i in range(50)], "film": [2.0] * 50}
    blob = gzip.compress("".join(f"{w} {' '.join(map(str, v))}\n" for w, v in rows.items()).encode())
    cache.mkdir(parents=True)
    gz = cache / "glove.6B.50d.txt.gz"
    gz.write_bytes(blob)
    monkeypatch.setitem(data.DATASETS, "glove.6B.50d.txt.gz", data.DataFile("glove.6B.50d.txt.gz", None, sha1(blob)))
    monkeypatch.setitem(data.DATASETS, "glove.6B.100d", entry_for(b"x", closed_url, "g100.zip"))
    first = data.load_glove(100, words=["movie", "the", "absent"])
    assert len(list((cache / "glove_subsets").glob("glove.6B.50d.txt.gz.*.pt"))) == 1
    gz.unlink()  # the second load of the same words reads the kept subset, not the big file
    again = data.load_glove(100, words=["the", "absent", "movie", "the"])  # same set, other order
    assert "GloVe 100-d could not be had" in capsys.readouterr().out  # said again, as on the first load
    assert (again.dim, again.source, again.itos) == (50, first.source, first.itos)
    assert torch.equal(again.vectors, first.vectors)
    with pytest.raises(data.DataNotFoundError):  # other words: the big file is needed, and it is gone
        data.load_glove(50, words=["film"])
    gz.write_bytes(blob)
    assert data.load_glove(50, words=["film"]).vectors.tolist() == [rows["film"]]
    assert len(list((cache / "glove_subsets").glob("*.pt"))) == 2


def test_conll_parser(cache, monkeypatch):
    text = "Confidence NN B-NP\nin IN B-PP\n\nHe PRP B-NP\n.  . O\n\n"
    blob = gzip.compress(text.encode())
    target = cache / "conll2000" / "train.txt.gz"
    target.parent.mkdir(parents=True)
    target.write_bytes(blob)
    monkeypatch.setitem(data.DATASETS, "conll2000_train",
                        data.DataFile("conll2000/train.txt.gz", None, sha1(text.encode()), hashed="gunzip"))
    assert data.load_conll2000("train") == [
        [("Confidence", "NN", "B-NP"), ("in", "IN", "B-PP")], [("He", "PRP", "B-NP"), (".", ".", "O")]]


def test_import_folder_copies_only_verified_files(cache, tmp_path, monkeypatch):
    src = tmp_path / "stick"
    (src / "conll2000").mkdir(parents=True)
    (src / "timemachine.txt").write_bytes(b"not the book")
    text = b"w T O\n"
    (src / "conll2000" / "test.txt.gz").write_bytes(gzip.compress(text))
    monkeypatch.setitem(data.DATASETS, "conll2000_test",
                        data.DataFile("conll2000/test.txt.gz", None, sha1(text), hashed="gunzip"))
    done = data.import_folder(src)
    assert "conll2000_test" in done and "timemachine" not in done
    assert (cache / "conll2000" / "test.txt.gz").exists()
    assert not (cache / "timemachine.txt").exists()


# ------------------------------------------------------------- the real data sets, when present
shared = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not shared.is_dir(), reason="no ../shared/data beside the checkout")


@needs_shared
def test_registry_checksums_match_the_offline_copies():
    for name, rel in [("timemachine", "timemachine.txt"), ("jaychou_lyrics", "jaychou_lyrics.txt.zip"),
                      ("aclImdb_tiny", "aclImdb_tiny.zip"), ("glove.6B.50d.txt.gz", "glove.6B.50d.txt.gz"),
                      ("conll2000_train", "conll2000/train.txt.gz"), ("conll2000_test", "conll2000/test.txt.gz")]:
        assert data.verify(shared / rel, data.DATASETS[name]), name


def test_real_corpora_load_with_published_sizes():
    """The loaders on the real files, from the data folder that ./course.sh fills."""
    wanted = ["timemachine", "jaychou_lyrics", "conll2000_train", "conll2000_test"]
    missing = [n for n in wanted if not data.is_cached(n)]
    if missing:
        pytest.skip(f"not in the data folder: {missing} (./course.sh copies them from ../shared/data)")
    from lstm_teach.text import Vocab
    book = data.load_time_machine()
    assert book.startswith("the time machine by h g wells")
    assert len(Vocab(book, specials=("<unk>",))) == 28  # d2l: 26 letters, space, <unk>
    lyrics = data.load_jaychou_lyrics()
    assert (len(lyrics), len(set(lyrics))) == (63_282, 2_583)
    assert len(set(lyrics.replace("\n", " ").replace("\r", " ")[:10_000])) == 1_027  # d2l-zh 6.3
    train, test = data.load_conll2000("train"), data.load_conll2000("test")
    assert (len(train), sum(map(len, train))) == (8_936, 211_727)
    assert (len(test), sum(map(len, test))) == (2_012, 47_377)
    if data._imdb_trusted(data.data_dir() / "aclImdb"):
        texts, labels = data.load_imdb("test")
        assert len(texts) == 25_000 and sum(labels) == 12_500


def test_glove_vectors_for_words():
    glove = data.GloVe(2, "test", ["the", "movie"], torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    vectors, found = glove.vectors_for(["movie", "zzqx", "the"])
    assert vectors.tolist() == [[3.0, 4.0], [0.0, 0.0], [1.0, 2.0]]
    assert found.tolist() == [True, False, True]
