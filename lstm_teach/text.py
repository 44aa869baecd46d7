"""Text to tensors: tokenizers, a vocabulary, and the two kinds of batches the course needs.

* Language models (notebooks 03, 04, 06) read one long sequence of token ids and cut it
  into ``(B, T)`` batches, by random sampling or by sequential ("adjacent", 相邻采样)
  partitioning, as in d2l section 9.3 (8.3 of the Chinese edition). Targets are the inputs
  shifted by one token.
* Classifiers and taggers (notebooks 05, 07) read many sequences of different lengths;
  :class:`BucketBatches` groups them by length so that padding stays small and no sample
  is dropped. It replaces torchtext's retired ``BucketIterator``.

Convention: batches are batch-first, ``(B, T)``; models transpose when they want ``(T, B)``.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from numbers import Integral
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "tokenize_chars", "tokenize_words", "Vocab", "lm_batches_random", "lm_batches_sequential",
    "LMBatches", "pad_sequences", "BucketBatches", "split_three",
]


# ---------------------------------------------------------------- tokenizers
def tokenize_chars(text: str) -> list[str]:
    """One token per character; works the same for English and Chinese text."""
    return list(text)


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def tokenize_words(text: str) -> list[str]:
    """Lower-cased words for English reviews: ``<br />`` removed, punctuation split off.

    >>> tokenize_words("It wasn't GOOD.<br /><br />Not at all!")
    ['it', "wasn't", 'good', '.', 'not', 'at', 'all', '!']
    """
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    return _WORD.findall(text)


# ---------------------------------------------------------------- vocabulary
class Vocab:
    """A map between tokens and indices, built from token counts.

    Specials come first (by default ``<pad>`` = 0 and ``<unk>`` = 1); then the tokens
    with at least ``min_freq`` occurrences, most frequent first, ties in sorted order, so
    the same text always gives the same vocabulary (unlike ``list(set(...))``, whose order
    changes between Python processes). ``max_size`` counts the specials too.
    """

    def __init__(self, tokens: Iterable = (), min_freq: int = 1, max_size: int | None = None,
                 specials: Sequence[str] = ("<pad>", "<unk>")):
        if max_size is not None and (not isinstance(max_size, Integral) or max_size < len(specials)):
            raise ValueError(f"max_size={max_size!r}: use None (no limit) or an int >= {len(specials)}, "
                             f"the number of specials {tuple(specials)}")
        if not isinstance(min_freq, Integral) or min_freq < 1:
            raise ValueError(f"min_freq={min_freq!r}: use an int >= 1")
        counter = tokens if isinstance(tokens, Counter) else Counter(_flatten(tokens))
        kept = sorted((t for t, n in counter.items() if n >= min_freq and t not in specials),
                      key=lambda t: (-counter[t], t))
        itos = list(specials) + kept
        if max_size is not None:
            itos = itos[:max_size]
        self._setup(itos)
        self.counts = Counter({t: counter[t] for t in itos if t in counter})

    def _setup(self, itos: list[str]) -> None:
        self.itos = itos
        self.stoi = {t: i for i, t in enumerate(itos)}
        if len(self.stoi) != len(itos):
            raise ValueError("a vocabulary's tokens must be distinct")
        self.unk_index = self.stoi.get("<unk>")
        self.pad_index = self.stoi.get("<pad>")

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        index = self.stoi.get(token, self.unk_index)
        if index is None:
            raise KeyError(f"{token!r} is not in the vocabulary, which has no <unk> token")
        return index

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.itos[:6])
        return f"Vocab(size={len(self)}: {head}{', ...' if len(self) > 6 else ''})"

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Token indices (``<unk>`` for tokens not in the vocabulary)."""
        return [self[t] for t in tokens]

    def decode(self, indices: Iterable[int]) -> list[str]:
        """Tokens for indices (ints or a tensor)."""
        indices = [int(i) for i in indices]
        bad = [i for i in indices if not 0 <= i < len(self)]
        if bad:
            raise ValueError(f"decode got indices {bad[:5]} outside this vocabulary's 0..{len(self) - 1}")
        return [self.itos[i] for i in indices]

    def unknown(self, tokens: Iterable[str]) -> list[str]:
        """The tokens not in the vocabulary, in order of first appearance."""
        return list(dict.fromkeys(t for t in tokens if t not in self.stoi))

    def save(self, path: str | Path) -> None:
        """Write the vocabulary as JSON (UTF-8, readable, order kept)."""
        data = {"itos": self.itos, "counts": [self.counts.get(t, 0) for t in self.itos]}
        Path(path).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """Read a vocabulary written by :meth:`save`."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        vocab = cls.__new__(cls)
        vocab._setup(list(data["itos"]))
        vocab.counts = Counter({t: n for t, n in zip(data["itos"], data["counts"]) if n})
        return vocab


def _flatten(tokens):
    for t in tokens:
        if isinstance(t, str):
            yield t
        else:  # a list of token lists
            yield from t


# ---------------------------------------------------------------- language-model batches
def _as_ids(corpus) -> torch.Tensor:
    ids = torch.as_tensor(corpus, dtype=torch.long)
    if ids.dim() != 1:
        raise ValueError(f"corpus must be one sequence of token ids, got shape {tuple(ids.shape)}")
    return ids


def _check_positive(**sizes) -> None:
    for name, value in sizes.items():
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}={value!r}: use a whole number >= 1")


def _check_sizes(n: int, batch_size: int, num_steps: int, per_row: int) -> None:
    _check_positive(batch_size=batch_size, num_steps=num_steps)
    if per_row < 1:
        raise ValueError(f"a corpus of {n} tokens is too short for one batch of "
                         f"batch_size={batch_size} x num_steps={num_steps}")


def split_three(ids, valid: float = 0.1, test: float = 0.1):
    """Cut one long text into train / validation / test parts, in this order (no shuffling).

    The test part is the last ``test`` fraction, the validation part the ``valid`` fraction before
    it: every choice (n-gram order, model size, epoch to keep, mixture weight) is made on the
    validation part, and the test part is read once, at the end.
    """
    for name, value in (("valid", valid), ("test", test)):
        if not isinstance(value, float | int) or isinstance(value, bool) or not 0 < value < 1:
            raise ValueError(f"{name}={value!r}: use a fraction between 0 and 1, e.g. 0.1")
    if valid + test >= 1:
        raise ValueError(f"valid={valid} + test={test} leaves nothing to train on: keep the sum below 1")
    n = len(ids)
    a, b = round(n * (1 - valid - test)), round(n * (1 - test))
    if not 0 < a < b < n:
        raise ValueError(f"a text of {n} tokens is too short to split into three parts")
    return ids[:a], ids[a:b], ids[b:]


def lm_batches_random(corpus, batch_size: int, num_steps: int,
                      generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Random sampling: non-overlapping windows of ``num_steps`` tokens, shuffled.

    A random offset in ``[0, num_steps)`` is dropped first, so each epoch sees different
    windows. Neighbouring rows of a batch are unrelated, so the state is reset per batch.
    Yields ``X, Y`` of shape ``(B, T)`` with ``Y`` = ``X`` shifted by one token.
    """
    _check_positive(batch_size=batch_size, num_steps=num_steps)
    ids = _as_ids(corpus)
    offset = int(torch.randint(num_steps, (1,), generator=generator))
    ids = ids[offset:]
    n_windows = (len(ids) - 1) // num_steps
    _check_sizes(len(ids), batch_size, num_steps, n_windows // batch_size)
    starts = torch.arange(n_windows) * num_steps
    starts = starts[torch.randperm(n_windows, generator=generator)]
    for b in range(n_windows // batch_size):
        s = starts[b * batch_size:(b + 1) * batch_size]
        index = s[:, None] + torch.arange(num_steps)  # (B, T)
        yield ids[index], ids[index + 1]


def lm_batches_sequential(corpus, batch_size: int, num_steps: int,
                          generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Sequential ("adjacent") partitioning: row ``r`` of batch ``i + 1`` continues row ``r`` of batch ``i``.

    The corpus (after a random offset) is cut into ``B`` long rows; batch ``i`` is the
    columns ``[i*T, (i+1)*T)``. The final state of one batch is therefore the right initial
    state of the next: carry it, and ``detach()`` it so backpropagation stops at the batch
    boundary (truncated BPTT). Yields ``X, Y`` of shape ``(B, T)``.
    """
    _check_positive(batch_size=batch_size, num_steps=num_steps)
    ids = _as_ids(corpus)
    offset = int(torch.randint(num_steps, (1,), generator=generator))
    n = ((len(ids) - offset - 1) // batch_size) * batch_size
    _check_sizes(len(ids), batch_size, num_steps, n // batch_size // num_steps)
    xs = ids[offset:offset + n].reshape(batch_size, -1)  # (B, n / B)
    ys = ids[offset + 1:offset + 1 + n].reshape(batch_size, -1)
    for i in range(xs.shape[1] // num_steps):
        yield xs[:, i * num_steps:(i + 1) * num_steps], ys[:, i * num_steps:(i + 1) * num_steps]


class LMBatches:
    """A re-iterable language-model loader: ``for X, Y in loader`` once per epoch.

    ``sampling`` is ``"sequential"`` or ``"random"``; the seed makes every epoch's offsets
    and order reproducible (epoch ``k`` of two runs is the same).
    """

    def __init__(self, corpus, batch_size: int, num_steps: int, sampling: str = "sequential",
                 seed: int = 0):
        if sampling not in ("sequential", "random"):
            raise ValueError(f"sampling={sampling!r}: use 'sequential' or 'random'")
        _check_positive(batch_size=batch_size, num_steps=num_steps)
        self.corpus = _as_ids(corpus)
        self.batch_size, self.num_steps, self.sampling = batch_size, num_steps, sampling
        self.generator = torch.Generator().manual_seed(seed)
        _check_sizes(len(self.corpus), batch_size, num_steps, len(self))

    def __len__(self) -> int:
        """Batches per epoch (the smallest over the possible offsets)."""
        usable = len(self.corpus) - self.num_steps  # worst-case offset
        return max(0, usable // (self.batch_size * self.num_steps))

    def __iter__(self):
        make = lm_batches_sequential if self.sampling == "sequential" else lm_batches_random
        # the same number of batches every epoch, whatever the random offset
        return itertools.islice(make(self.corpus, self.batch_size, self.num_steps, self.generator), len(self))


# ---------------------------------------------------------------- classifier batches
def pad_sequences(seqs: Sequence[Sequence[int]], pad_index: int = 0,
                  max_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad id sequences into ``(B, T)`` and return it with the lengths ``(B,)``.

    Sequences longer than ``max_len`` are cut to their first ``max_len`` tokens. An empty
    sequence is an error (a model cannot read zero tokens; drop or replace it first).
    """
    lengths = [min(len(s), max_len) if max_len else len(s) for s in seqs]
    if not lengths:  # no sequences: an empty batch
        return torch.full((0, 0), pad_index, dtype=torch.long), torch.zeros(0, dtype=torch.long)
    if any(n == 0 for n in lengths):
        raise ValueError("pad_sequences got an empty sequence; every sample needs >= 1 token")
    batch = torch.full((len(seqs), max(lengths)), pad_index, dtype=torch.long)
    for row, (s, n) in enumerate(zip(seqs, lengths)):
        batch[row, :n] = torch.as_tensor(list(s[:n]), dtype=torch.long)
    return batch, torch.tensor(lengths)


class BucketBatches:
    """Length-bucketed batches ``(X, lengths, y)`` with ``X`` of shape ``(B, T)``.

    Each epoch, the samples are shuffled, cut into pools of ``pool`` batches, each pool is
    sorted by length and cut into batches, and the batches are shuffled. Every sample is in
    exactly one batch per epoch (the last batch may be smaller), and samples of similar
    length share a batch, so padding is small without the cost of packed sequences on CPU.
    ``labels`` may hold one label per sample or one label sequence per sample (tagging);
    label sequences are padded with ``label_pad``.
    """

    def __init__(self, seqs: Sequence[Sequence[int]], labels: Sequence, batch_size: int,
                 pad_index: int = 0, shuffle: bool = True, seed: int = 0, pool: int = 50,
                 max_len: int | None = None, label_pad: int = -100):
        if len(seqs) != len(labels):
            raise ValueError(f"{len(seqs)} sequences but {len(labels)} labels")
        _check_positive(batch_size=batch_size, pool=pool)
        self.seqs, self.labels = seqs, labels
        self.batch_size, self.pad_index, self.shuffle = batch_size, pad_index, shuffle
        self.pool, self.max_len, self.label_pad = pool, max_len, label_pad
        self.rng = random.Random(seed)

    def __len__(self) -> int:
        return -(-len(self.seqs) // self.batch_size)

    def batch_indices(self) -> list[list[int]]:
        """One epoch's batches as lists of sample indices."""
        order = list(range(len(self.seqs)))
        if self.shuffle:
            self.rng.shuffle(order)
        size = self.batch_size * self.pool
        batches = []
        for start in range(0, len(order), size):
            chunk = sorted(order[start:start + size], key=lambda i: len(self.seqs[i]))
            batches += [chunk[j:j + self.batch_size] for j in range(0, len(chunk), self.batch_size)]
        if self.shuffle:
            self.rng.shuffle(batches)
        return batches

    def __iter__(self):
        for idx in self.batch_indices():
            x, lengths = pad_sequences([self.seqs[i] for i in idx], self.pad_index, self.max_len)
            labels = [self.labels[i] for i in idx]
            if np.ndim(labels[0]) == 0:  # one label per sample: a Python, NumPy or 0-d torch number
                y = torch.as_tensor(np.array([np.asarray(l) for l in labels]))
            else:
                y, _ = pad_sequences(labels, self.label_pad, self.max_len)
            yield x, lengths, y
