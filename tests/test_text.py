"""Tokenizers, Vocab, and the language-model and bucketed batches."""

import random

import pytest
import torch

from lstm_teach.text import (BucketBatches, LMBatches, Vocab, lm_batches_random,
                             lm_batches_sequential, pad_sequences, tokenize_chars, tokenize_words)


def test_word_tokenizer_on_a_review():
    review = "This movie wasn't GOOD...<br /><br />Not at all, 10/10?"
    assert tokenize_words(review) == ["this", "movie", "wasn't", "good", ".", ".", ".", "not",
                                      "at", "all", ",", "10", "/", "10", "?"]


def test_char_tokenizer_english_and_chinese():
    assert tokenize_chars("time machine")[:4] == ["t", "i", "m", "e"]
    assert tokenize_chars("分开 不分开") == ["分", "开", " ", "不", "分", "开"]


def test_vocab_order_specials_min_freq_and_max_size():
    tokens = list("aaabbbccd")
    v = Vocab(tokens, min_freq=2)
    assert v.itos == ["<pad>", "<unk>", "a", "b", "c"]  # ties in sorted order, d dropped
    assert (v.pad_index, v.unk_index) == (0, 1)
    assert v["d"] == v.unk_index and v.encode("abz") == [2, 3, 1]
    assert v.decode(torch.tensor([4, 2])) == ["c", "a"]
    assert Vocab(tokens, max_size=3).itos == ["<pad>", "<unk>", "a"]
    assert v.unknown("zazy") == ["z", "y"]


def test_vocab_without_unk_raises_a_clear_error():
    v = Vocab("分开分", specials=())
    assert v.itos == ["分", "开"]
    with pytest.raises(KeyError, match="no <unk>"):
        v["不"]


def test_vocab_from_nested_token_lists_is_deterministic():
    docs = [["b", "a"], ["a", "c"]]
    assert Vocab(docs).itos == Vocab([["a", "c"], ["b", "a"]]).itos == ["<pad>", "<unk>", "a", "b", "c"]


def test_vocab_save_load_round_trip(tmp_path):
    v = Vocab(list("周杰伦的歌词的词") + ["<br>"], specials=("<pad>", "<unk>", "<bos>"))
    v.save(tmp_path / "vocab.json")
    w = Vocab.load(tmp_path / "vocab.json")
    assert w.itos == v.itos and w.stoi == v.stoi and w.counts == v.counts
    assert (w.pad_index, w.unk_index) == (0, 1)
    assert "周" in (tmp_path / "vocab.json").read_text(encoding="utf-8")  # readable UTF-8


def collect(batches):
    return [(x.clone(), y.clone()) for x, y in batches]


@pytest.mark.parametrize("batch_size,num_steps", [(2, 5), (4, 3), (1, 7)])
def test_sequential_batches_continue_each_other(batch_size, num_steps):
    corpus = torch.arange(100)  # token id = position, so continuity is easy to see
    g = torch.Generator().manual_seed(1)
    batches = collect(lm_batches_sequential(corpus, batch_size, num_steps, g))
    assert len(batches) >= 2
    for x, y in batches:
        assert x.shape == y.shape == (batch_size, num_steps)
        assert torch.equal(y, x + 1)  # targets are the inputs shifted by one
    for (x0, _), (x1, _) in zip(batches, batches[1:]):
        assert torch.equal(x1[:, 0], x0[:, -1] + 1)  # row r of batch i+1 continues row r of batch i


def test_random_batches_cover_the_corpus_once():
    corpus = torch.arange(1000)
    g = torch.Generator().manual_seed(0)
    batches = collect(lm_batches_random(corpus, 4, 10, g))
    windows = torch.cat([x for x, _ in batches])
    starts = sorted(windows[:, 0].tolist())
    offset = starts[0]
    assert 0 <= offset < 10
    grid = list(range(offset, 1000 - 10, 10))  # every full window after the offset
    assert len(set(starts)) == len(starts) and set(starts) <= set(grid)  # no window twice
    assert len(grid) - len(starts) < 4  # fewer than one batch of windows left out
    assert all(torch.equal(y, x + 1) for x, y in batches)
    first = [x[:, 0].tolist() for x, _ in batches]
    assert first != sorted(first), "windows should come in random order"


def test_lm_loader_epochs_have_equal_length_and_are_reproducible():
    corpus = torch.arange(537)
    for sampling in ("sequential", "random"):
        a, b = LMBatches(corpus, 3, 7, sampling, seed=5), LMBatches(corpus, 3, 7, sampling, seed=5)
        for _ in range(3):
            ea, eb = collect(a), collect(b)
            assert len(ea) == len(a) and all(torch.equal(p[0], q[0]) for p, q in zip(ea, eb))


def test_lm_loader_rejects_bad_input():
    with pytest.raises(ValueError, match="too short"):
        LMBatches(torch.arange(20), batch_size=4, num_steps=10)
    with pytest.raises(ValueError, match="one sequence"):
        LMBatches(torch.zeros(3, 4, dtype=torch.long), 1, 1)
    with pytest.raises(ValueError, match="sampling"):
        LMBatches(torch.arange(100), 2, 2, sampling="shuffled")


def test_pad_sequences():
    x, lengths = pad_sequences([[5, 6, 7], [8]], pad_index=0)
    assert x.tolist() == [[5, 6, 7], [8, 0, 0]] and lengths.tolist() == [3, 1]
    x, lengths = pad_sequences([[5, 6, 7], [8]], max_len=2)
    assert x.tolist() == [[5, 6], [8, 0]] and lengths.tolist() == [2, 1]
    with pytest.raises(ValueError, match="empty"):
        pad_sequences([[1], []])


def test_bucketing_keeps_every_sample_and_pads_little():
    rng = random.Random(0)
    seqs = [[i + 1] * rng.randint(5, 500) for i in range(1000)]  # sample i is made of id i+1
    labels = [i % 2 for i in range(1000)]
    loader = BucketBatches(seqs, labels, batch_size=32, seed=0)
    seen, real, padded = [], 0, 0
    for x, lengths, y in loader:
        ids = x[:, 0] - 1
        seen += ids.tolist()
        assert torch.equal(lengths, torch.tensor([len(seqs[i]) for i in ids]))
        assert torch.equal(y, torch.tensor([labels[i] for i in ids]))
        real += int(lengths.sum())
        padded += x.numel()
    assert sorted(seen) == list(range(1000)) and len(seen) == 1000
    # Random batches of lengths 5..500 are about half padding; bucketed ones are not.
    assert padded / real < 1.1, f"padding overhead {padded / real:.2f}"
    assert len(loader) == 32


def test_bucketing_pads_tag_sequences_with_ignore_index():
    seqs = [[1, 2, 3], [4]]
    tags = [[7, 8, 9], [6]]
    (x, lengths, y), = BucketBatches(seqs, tags, batch_size=2, shuffle=False)
    assert x.tolist() == [[4, 0, 0], [1, 2, 3]]
    assert y.tolist() == [[6, -100, -100], [7, 8, 9]]
    with pytest.raises(ValueError, match="labels"):
        BucketBatches(seqs, [1], batch_size=2)


def test_split_three_keeps_order_and_sizes():
    from lstm_teach.text import split_three
    train, valid, test = split_three(list(range(1000)), valid=0.1, test=0.1)
    assert (len(train), len(valid), len(test)) == (800, 100, 100)
    assert train + valid + test == list(range(1000))  # nothing lost, nothing shuffled


@pytest.mark.parametrize("kwargs, words", [
    (dict(valid=0), "valid=0"), (dict(test=1.5), "test=1.5"), (dict(valid=0.6, test=0.4), "nothing to train"),
])
def test_split_three_bad_fractions(kwargs, words):
    from lstm_teach.text import split_three
    with pytest.raises(ValueError, match=words):
        split_three(list(range(100)), **kwargs)
