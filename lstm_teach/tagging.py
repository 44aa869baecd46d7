"""Sequence tagging (序列标注): part-of-speech tags for every word of a sentence (notebook 07).

What this module holds, in the order notebook 07 builds it:

* the data side: splitting CoNLL-2000 sentences into words and tags, a validation split,
  and :class:`TaggingBatches`, which adds the characters of every word to the bucketed
  batches of :class:`lstm_teach.text.BucketBatches`;
* :class:`MostFrequentTagBaseline`: each known word gets the tag it had most often in
  training; an unknown word gets the overall most frequent tag, or, with ``rules=True``, a
  tag from its shape (digits, capital letter, hyphen) and its suffix, learned from the rare
  words of training as in TnT (Brants 2000, "TnT: a statistical part-of-speech tagger");
* :class:`BiLSTMTagger`: word embeddings (optionally initialised from GloVe, Pennington et
  al. 2014) joined with a character-level feature of each word, a character CNN with max
  pooling (Ma and Hovy 2016, "End-to-end sequence labeling via bi-directional
  LSTM-CNNs-CRF"; Lample et al. 2016 use a character BiLSTM for the same purpose), read by a
  bidirectional LSTM (Graves and Schmidhuber 2005; Huang, Xu and Yu 2015, "Bidirectional
  LSTM-CRF models for sequence tagging") with a linear layer for the tag scores (no CRF:
  for POS tags the gain of a CRF is small);
* masked loss and accuracy: padded positions carry the label ``-100`` (``ignore_index``) and
  count neither in the loss nor in the accuracy;
* an explicit training loop (``train_epoch`` / ``evaluate`` / ``fit``), a detailed report
  (:func:`predict`, :func:`accuracy_report`, :func:`per_tag_accuracy`,
  :func:`mistake_counts` and :func:`top_pairs`) and :meth:`Tagger.tag` for a sentence a student types.

Shapes: batches are batch-first. ``B`` sentences, ``T`` words per (padded) sentence, ``L``
characters per (padded) word, ``K`` tags, ``H`` hidden units per direction.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .config import get_device
from .history import History, progress_bar
from .text import BucketBatches, Vocab, pad_sequences
from .train import _check_epochs, optimizer_step

__all__ = [
    "PAD_LABEL", "words_and_tags", "train_valid_split", "unseen_mask", "MostFrequentTagBaseline",
    "TaggerConfig", "TaggingBatches", "CharCNN", "BiLSTMTagger", "masked_loss",
    "masked_accuracy", "train_epoch", "evaluate", "fit", "predict", "accuracy_report",
    "per_tag_accuracy", "mistake_counts", "top_pairs", "Tagger", "build_tagger",
    "normalize_word",
]

PAD_LABEL = -100  # the label of padded positions; nn.CrossEntropyLoss ignores it by default


# ---------------------------------------------------------------- data
def words_and_tags(sentences, column: int = 1) -> tuple[list[list[str]], list[list[str]]]:
    """Split CoNLL sentences ``[(word, pos, chunk), ...]`` into word lists and tag lists.

    ``column=1`` takes the part-of-speech tags, ``column=2`` the chunk tags.
    """
    words = [[tok[0] for tok in s] for s in sentences]
    tags = [[tok[column] for tok in s] for s in sentences]
    return words, tags


def train_valid_split(sentences: Sequence, valid_fraction: float = 0.1, seed: int = 0):
    """Shuffle (with ``seed``) and cut off the last ``valid_fraction`` as validation sentences."""
    if not 0 < valid_fraction < 1:
        raise ValueError(f"valid_fraction={valid_fraction}: use a number between 0 and 1, e.g. 0.1")
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    n_valid = max(1, round(len(order) * valid_fraction))
    return [sentences[i] for i in order[n_valid:]], [sentences[i] for i in order[:n_valid]]


def normalize_word(word: str) -> str:
    """The key of a word in the word embedding: lower case (as GloVe 6B is), digits kept."""
    return word.lower()


def unseen_mask(sentences_words: Sequence[Sequence[str]], train_words) -> list[list[bool]]:
    """For every word: True when it never occurs in training, ignoring case.

    ``train_words`` is a set of lower-cased training words (or the training word lists).
    """
    if not isinstance(train_words, (set, frozenset)):
        train_words = {normalize_word(w) for s in train_words for w in s}
    return [[normalize_word(w) not in train_words for w in s] for s in sentences_words]


# ---------------------------------------------------------------- the baseline
_SHAPE_RULES = [  # (name, test): checked in this order for an unknown word
    ("number", lambda w: bool(re.fullmatch(r"[\d.,:/\-]*\d[\d.,:/\-]*", w))),
    ("capitalised", lambda w: w[:1].isupper()),
    ("hyphenated", lambda w: "-" in w),
]


class MostFrequentTagBaseline:
    """Tag each word with its most frequent training tag; guess unknown words.

    With ``rules=False`` every unknown word gets the overall most frequent tag (``NN`` on
    CoNLL-2000). With ``rules=True`` an unknown word first goes through shape rules (a number,
    a capitalised word, a hyphenated word), each mapped to the tag most frequent for that shape
    among the rare training words (seen at most ``rare`` times), and otherwise gets the tag
    most frequent for its longest suffix (up to ``max_suffix`` letters) among those rare words.
    Rare words stand in for unknown ones: both are mostly nouns, names and inflected forms.
    """

    def __init__(self, rules: bool = True, rare: int = 1, max_suffix: int = 4):
        self.rules, self.rare, self.max_suffix = rules, rare, max_suffix

    def fit(self, words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> MostFrequentTagBaseline:
        counts: dict[str, Counter] = defaultdict(Counter)
        for ws, ts in zip(words, tags):
            for w, t in zip(ws, ts):
                counts[w][t] += 1
        if not counts:
            raise ValueError("the baseline needs at least one tagged word to learn from")
        self.word_tag = {w: c.most_common(1)[0][0] for w, c in counts.items()}
        lower: dict[str, Counter] = defaultdict(Counter)
        for w, c in counts.items():
            lower[w.lower()].update(c)
        self.lower_tag = {w: c.most_common(1)[0][0] for w, c in lower.items()}
        self.default_tag = Counter(t for ts in tags for t in ts).most_common(1)[0][0]
        # shape and suffix statistics of rare words
        shape, suffix = defaultdict(Counter), defaultdict(Counter)
        for w, c in counts.items():
            if sum(c.values()) > self.rare:
                continue
            rule = self._shape(w)
            if rule is not None:
                shape[rule].update(c)
                continue
            for k in range(1, self.max_suffix + 1):
                if len(w) > k:
                    suffix[w[-k:].lower()].update(c)
        self.shape_tag = {r: c.most_common(1)[0][0] for r, c in shape.items()}
        self.suffix_tag = {s: c.most_common(1)[0][0] for s, c in suffix.items()}
        return self

    @staticmethod
    def _shape(word: str) -> str | None:
        for name, test in _SHAPE_RULES:
            if test(word):
                return name
        return None

    def guess(self, word: str) -> str:
        """The tag of a word not seen in training."""
        if not self.rules:
            return self.default_tag
        rule = self._shape(word)
        if rule is not None and rule in self.shape_tag:
            return self.shape_tag[rule]
        for k in range(min(self.max_suffix, len(word) - 1), 0, -1):
            tag = self.suffix_tag.get(word[-k:].lower())
            if tag is not None:
                return tag
        return self.default_tag

    def predict_one(self, words: Sequence[str]) -> list[str]:
        """Tags for one sentence (a list of words)."""
        if not hasattr(self, "word_tag"):
            raise RuntimeError("call fit(words, tags) before predicting")
        out = []
        for w in words:
            tag = self.word_tag.get(w) or self.lower_tag.get(w.lower())
            out.append(tag if tag is not None else self.guess(w))
        return out

    def predict(self, sentences_words: Sequence[Sequence[str]]) -> list[list[str]]:
        """Tags for many sentences."""
        return [self.predict_one(ws) for ws in sentences_words]


# ---------------------------------------------------------------- the BiLSTM tagger
@dataclass(frozen=True)
class TaggerConfig:
    """Hyperparameters of :class:`BiLSTMTagger` and of its training."""

    word_dim: int = 50  # word embedding size; 50 matches the GloVe 6B file shipped offline
    char_dim: int = 30  # character embedding size (Ma and Hovy 2016 use 30)
    char_filters: int = 50  # CNN filters = size of the character feature; 0 turns it off
    char_window: int = 3  # characters each filter sees (Ma and Hovy: 3)
    hidden_size: int = 128  # LSTM units per direction (Lample et al.: 100, Ma and Hovy: 200)
    num_layers: int = 1  # stacked BiLSTM layers; one is enough for POS tags
    dropout: float = 0.5  # on the LSTM input and output (Ma and Hovy: 0.5)
    word_dropout: float = 0.05  # chance that a training word is replaced by <unk>, so the
    #                            model also learns to tag from characters alone
    max_word_len: int = 20  # longer words keep their first 10 and last 10 characters
    epochs: int = 10  # passes over the training sentences (the best one is kept)
    batch_size: int = 16  # sentences per batch; small batches = more updates per epoch
    lr: float = 3e-3  # Adam learning rate
    clip: float | None = 5.0  # max gradient norm (Lample et al. clip at 5); None switches clipping off
    seed: int = 0  # initialisation, batch order and word dropout


def _clip_chars(word: str, max_len: int) -> str:
    if len(word) <= max_len:
        return word
    half = max_len // 2
    return word[:half] + word[-(max_len - half):]


class TaggingBatches:
    """Bucketed tagging batches ``(words, chars, lengths, tags)``.

    ``words`` ``(B, T)`` word ids, ``chars`` ``(B, T, L)`` character ids, ``lengths`` ``(B,)``,
    ``tags`` ``(B, T)`` tag ids with ``-100`` at padded positions. The grouping of sentences
    into batches is :class:`lstm_teach.text.BucketBatches`'s; this class only adds the
    characters of each word, read from the word as written (so that ``Apple`` and ``apple``
    differ in their characters while sharing a word embedding).
    """

    def __init__(self, sentences_words, sentences_tags, word_vocab: Vocab, char_vocab: Vocab,
                 tag_vocab: Vocab, batch_size: int = 32, shuffle: bool = True, seed: int = 0,
                 max_word_len: int = 20, word_dropout: float = 0.0):
        self.word_ids = [word_vocab.encode(normalize_word(w) for w in s) for s in sentences_words]
        self.char_ids = [[char_vocab.encode(_clip_chars(w, max_word_len)) for w in s]
                         for s in sentences_words]
        if sentences_tags is None:  # text to tag: no gold tags, nothing to count
            self.tag_ids = [[PAD_LABEL] * len(s) for s in sentences_words]
        else:  # a gold tag never seen in training cannot be predicted; it is not counted either
            self.tag_ids = [[tag_vocab.stoi.get(t, PAD_LABEL) for t in s] for s in sentences_tags]
        self.buckets = BucketBatches(self.word_ids, self.tag_ids, batch_size, shuffle=shuffle,
                                     seed=seed)
        self.unk_index, self.word_dropout = word_vocab.unk_index, word_dropout
        self.rng = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.buckets)

    def batch(self, idx: Sequence[int]):
        """The tensors for the sentences ``idx`` (in that order)."""
        words, lengths = pad_sequences([self.word_ids[i] for i in idx])  # (B, T)
        tags, _ = pad_sequences([self.tag_ids[i] for i in idx], PAD_LABEL)  # (B, T)
        B, T = words.shape
        L = max(len(c) for i in idx for c in self.char_ids[i])
        chars = torch.zeros(B, T, L, dtype=torch.long)  # (B, T, L), 0 = <pad>
        for b, i in enumerate(idx):
            for t, c in enumerate(self.char_ids[i]):
                chars[b, t, :len(c)] = torch.tensor(c)
        if self.word_dropout > 0:
            drop = torch.rand(words.shape, generator=self.rng) < self.word_dropout
            words = words.masked_fill(drop & (words != 0), self.unk_index)
        return words, chars, lengths, tags

    def __iter__(self):
        for idx in self.buckets.batch_indices():
            yield self.batch(idx)


class CharCNN(nn.Module):
    """One vector per word from its characters: embed, convolve, max over positions.

    ``(B, T, L)`` character ids -> ``(B, T, F)``. With ``x_j`` the embedding of character ``j``,
    filter ``f`` computes ``z_fj = b_f + sum_i W_f[:, i] . x_(j+i)`` over a window of characters
    (zeros beyond the word's ends) and keeps ``c_f = max_j z_fj`` (Ma and Hovy 2016). Padded
    characters (id 0) are masked before the max, so a word's feature does not depend on how much
    padding its batch needed.
    """

    def __init__(self, n_chars: int, char_dim: int = 30, filters: int = 50, window: int = 3):
        super().__init__()
        self.embedding = nn.Embedding(n_chars, char_dim, padding_idx=0)
        self.conv = nn.Conv1d(char_dim, filters, window, padding=window // 2)

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        B, T, L = chars.shape
        x = self.embedding(chars.reshape(B * T, L))  # (B*T, L, C)
        h = self.conv(x.transpose(1, 2))  # (B*T, F, L)
        pad = (chars.reshape(B * T, 1, L) == 0)
        h = h.masked_fill(pad, float("-inf")).amax(dim=2)  # (B*T, F)
        h = torch.where(torch.isinf(h), torch.zeros_like(h), h)  # padded words: all chars pad
        return h.reshape(B, T, -1)  # (B, T, F)


class BiLSTMTagger(nn.Module):
    """Tag scores for every word: ``[word embedding; char feature]`` -> BiLSTM -> linear.

    ``h_t = [h_t^fwd ; h_t^bwd]`` joins what the forward LSTM read up to word ``t`` with what
    the backward LSTM read from the end back to word ``t``; ``scores_t = W h_t + b``. The
    sequences are packed (``pack_padded_sequence``) so that the backward LSTM of a short
    sentence starts at its last real word, not at the padding after it.

    Why pack, when notebooks 04 and 05 measure packing as slow on a CPU: a tagger needs the
    backward state at *every* word, and packing is the one way ``nn.LSTM(bidirectional=True)``
    gives it for sentences of different lengths (05's alternative, reversing each sentence
    within its length, needs the two directions as two separate LSTMs). Bucketing keeps the
    batches nearly pad-free, and notebook 07 prints what packing costs on its batches.
    Notebook 07 writes this forward pass (and :class:`CharCNN`'s) in cells and checks them
    against these classes.
    """

    def __init__(self, n_words: int, n_chars: int, n_tags: int, cfg: TaggerConfig | None = None):
        super().__init__()
        cfg = TaggerConfig() if cfg is None else cfg
        self.cfg = cfg
        self.word_embedding = nn.Embedding(n_words, cfg.word_dim, padding_idx=0)
        self.char_cnn = (CharCNN(n_chars, cfg.char_dim, cfg.char_filters, cfg.char_window)
                         if cfg.char_filters > 0 else None)
        self.dropout = nn.Dropout(cfg.dropout)
        self.lstm = nn.LSTM(cfg.word_dim + cfg.char_filters, cfg.hidden_size, num_layers=cfg.num_layers,
                            batch_first=True, bidirectional=True,
                            dropout=cfg.dropout if cfg.num_layers > 1 else 0.0)
        self.output = nn.Linear(2 * cfg.hidden_size, n_tags)

    def forward(self, words: torch.Tensor, chars: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if words.dim() != 2 or chars.dim() != 3 or chars.shape[:2] != words.shape:
            raise ValueError(f"expected words (B, T) and chars (B, T, L), got {tuple(words.shape)} "
                             f"and {tuple(chars.shape)}; TaggingBatches makes them")
        x = self.word_embedding(words)  # (B, T, E)
        if self.char_cnn is not None:
            x = torch.cat([x, self.char_cnn(chars)], dim=-1)  # (B, T, E + F)
        x = self.dropout(x)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        h, _ = self.lstm(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=words.shape[1])
        return self.output(self.dropout(h))  # (B, T, K)


# ---------------------------------------------------------------- masked loss and accuracy
def masked_loss(scores: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the real words; positions labelled ``-100`` are ignored.

    ``scores`` ``(B, T, K)``, ``tags`` ``(B, T)``.
    """
    return nn.functional.cross_entropy(scores.reshape(-1, scores.shape[-1]), tags.reshape(-1),
                                       ignore_index=PAD_LABEL)


def masked_accuracy(scores: torch.Tensor, tags: torch.Tensor) -> tuple[int, int]:
    """``(correct, counted)``: right predictions among the positions whose label is not ``-100``.

    Returning the two counts (not their ratio) lets a caller sum them over batches of
    different sizes; the accuracy is ``correct / counted``.
    """
    mask = tags != PAD_LABEL  # (B, T)
    correct = (scores.argmax(dim=-1) == tags) & mask
    return int(correct.sum()), int(mask.sum())


# ---------------------------------------------------------------- training
def train_epoch(model: nn.Module, batches, optimizer: torch.optim.Optimizer,
                clip: float | None = 5.0, device=None, progress: bool = False) -> tuple[float, float]:
    """One pass over ``batches``; returns (mean loss per word, accuracy) on training words."""
    device = get_device(device)
    model.train()
    total_loss, correct, counted = 0.0, 0, 0
    for words, chars, lengths, tags in progress_bar(batches, "train", progress):
        words, chars, tags = words.to(device), chars.to(device), tags.to(device)
        scores = model(words, chars, lengths)  # (B, T, K)
        loss = masked_loss(scores, tags)
        optimizer_step(model, optimizer, loss, clip)
        c, n = masked_accuracy(scores, tags)
        total_loss, correct, counted = total_loss + loss.item() * n, correct + c, counted + n
    return total_loss / counted, correct / counted


@torch.no_grad()
def evaluate(model: nn.Module, batches, device=None) -> tuple[float, float]:
    """(mean loss per word, accuracy) over ``batches``, dropout off, no gradients."""
    device = get_device(device)
    model.eval()
    total_loss, correct, counted = 0.0, 0, 0
    for words, chars, lengths, tags in batches:
        words, chars, tags = words.to(device), chars.to(device), tags.to(device)
        scores = model(words, chars, lengths)
        c, n = masked_accuracy(scores, tags)
        total_loss += masked_loss(scores, tags).item() * n
        correct, counted = correct + c, counted + n
    if counted == 0:
        raise ValueError("evaluate got no tagged words: the evaluation set is empty (check the split)")
    return total_loss / counted, correct / counted


def fit(model: nn.Module, train_batches, valid_batches, cfg: TaggerConfig | None = None, device=None,
        progress: bool = True) -> History:
    """Train for ``cfg.epochs`` epochs with Adam; keep the weights of the best validation epoch.

    ``cfg`` defaults to the model's own ``model.cfg``. Returns a
    :class:`~lstm_teach.history.History`: per epoch, loss per word and token accuracy on the
    training and validation sentences, and the seconds it took; a live bar shows the progress and
    one line (:meth:`History.summary`) is printed at the end (``progress=False``: neither).
    """
    cfg = model.cfg if cfg is None else cfg
    _check_epochs(cfg.epochs)
    device = get_device(device)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    history, best_state = History(metric="accuracy"), None
    bar = progress_bar(range(cfg.epochs), "epochs", progress)
    for epoch in bar:
        start = time.perf_counter()
        train_loss, train_acc = train_epoch(model, train_batches, optimizer, cfg.clip, device)
        valid_loss, valid_acc = evaluate(model, valid_batches, device)
        history.add(train_loss, train_acc, valid_loss, valid_acc, time.perf_counter() - start)
        bar.set_postfix(train=f"{train_acc:.3f}", valid=f"{valid_acc:.3f}")
        if history.best() == epoch + 1:  # early stopping by choice of epoch (validation only, never test)
            history.best_epoch = epoch + 1
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    if progress:
        print(history.summary())
    return history


# ---------------------------------------------------------------- prediction and reports
@torch.no_grad()
def predict(model: nn.Module, batches: TaggingBatches, tag_vocab: Vocab, device=None) -> list[list[str]]:
    """Predicted tags for every sentence of ``batches`` (built with ``shuffle=False``), in order."""
    device = get_device(device)
    model.eval()
    out: list[list[str] | None] = [None] * len(batches.word_ids)
    for idx in batches.buckets.batch_indices():
        words, chars, lengths, _ = batches.batch(idx)
        best = model(words.to(device), chars.to(device), lengths).argmax(dim=-1).cpu()  # (B, T)
        for b, i in enumerate(idx):
            out[i] = tag_vocab.decode(best[b, :lengths[b]])
    return out


def accuracy_report(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]],
                    unseen: Sequence[Sequence[bool]]) -> dict[str, float]:
    """Token accuracy on all words, on words seen in training and on unseen words, with counts."""
    if not len(gold) == len(pred) == len(unseen):
        raise ValueError(f"gold, pred and unseen must hold one entry per sentence; got {len(gold)}, "
                         f"{len(pred)} and {len(unseen)} sentences")
    counts = Counter()
    for gs, ps, us in zip(gold, pred, unseen):
        if len(gs) != len(ps):
            raise ValueError(f"a sentence has {len(gs)} gold tags but {len(ps)} predicted tags")
        for g, p, u in zip(gs, ps, us):
            part = "unseen" if u else "seen"
            counts[part] += 1
            counts[part + "_correct"] += g == p
    n = counts["seen"] + counts["unseen"]
    if n == 0:
        raise ValueError("accuracy_report got no tagged words: the evaluation set is empty")
    return {
        "all": (counts["seen_correct"] + counts["unseen_correct"]) / n,
        "seen": counts["seen_correct"] / max(counts["seen"], 1),
        "unseen": counts["unseen_correct"] / max(counts["unseen"], 1),
        "n_words": n,
        "n_unseen": counts["unseen"],
    }


def per_tag_accuracy(gold, pred) -> dict[str, tuple[float, int]]:
    """For each gold tag: (accuracy on the words that carry it, how many there are)."""
    right, total = Counter(), Counter()
    for gs, ps in zip(gold, pred):
        for g, p in zip(gs, ps):
            total[g] += 1
            right[g] += g == p
    return {t: (right[t] / total[t], total[t]) for t in sorted(total, key=lambda t: -total[t])}


def mistake_counts(gold, pred) -> Counter:
    """How often each gold tag was predicted as another: ``{(gold tag, predicted tag): count}``."""
    return Counter((g, p) for gs, ps in zip(gold, pred) for g, p in zip(gs, ps) if g != p)


def top_pairs(mistakes: Counter, top: int = 10) -> list[tuple[str, str, int]]:
    """The ``top`` most frequent mistakes of :func:`mistake_counts` as ``(gold, predicted, count)``.

    Ties are broken by the tag names, so the list (and a figure drawn from it) is the same every run.
    """
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise ValueError(f"top={top!r}: give a whole number of pairs of at least 1, e.g. top=8")
    ranked = sorted(mistakes.items(), key=lambda item: (-item[1], item[0]))
    return [(g, p, n) for (g, p), n in ranked[:top]]


class Tagger:
    """A trained tagger with everything needed to tag new text: model and vocabularies."""

    def __init__(self, model: BiLSTMTagger, word_vocab: Vocab, char_vocab: Vocab,
                 tag_vocab: Vocab, train_words: set[str], device=None):
        self.model, self.word_vocab, self.char_vocab = model, word_vocab, char_vocab
        self.tag_vocab, self.train_words = tag_vocab, train_words
        self.device = get_device(device)

    def batches(self, sentences_words, sentences_tags=None, batch_size: int = 64) -> TaggingBatches:
        """Batches in this tagger's vocabularies, in order (for :func:`predict`/:func:`evaluate`)."""
        return TaggingBatches(sentences_words, sentences_tags, self.word_vocab, self.char_vocab,
                              self.tag_vocab, batch_size, shuffle=False,
                              max_word_len=self.model.cfg.max_word_len)

    def predict(self, sentences_words) -> list[list[str]]:
        """Tags for many tokenised sentences."""
        return predict(self.model, self.batches(sentences_words), self.tag_vocab, self.device)

    def tag(self, sentence, verbose: bool = True) -> list[tuple[str, str]]:
        """Tag one sentence: a string (split at spaces, punctuation split off) or a word list.

        Returns ``[(word, tag), ...]``. Words never seen in training are tagged from their
        characters (and their GloVe vector, if they have one) and, with ``verbose``, named.
        """
        if isinstance(sentence, str):  # split as the Penn Treebank does: "don't" -> do n't
            sentence = re.sub(r"(\w)(n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1 \2", sentence)
            words = re.findall(r"(?:[A-Za-z]\.){2,}|\w+(?:[-'.]\w+)*|n't|'\w+|[^\w\s]", sentence)
        elif isinstance(sentence, (list, tuple)) and all(isinstance(w, str) for w in sentence):
            words = list(sentence)
        else:
            raise TypeError(f"tag() takes a sentence as a string or a list of words (strings), got "
                            f"{type(sentence).__name__} {str(sentence)[:40]!r}")
        if not words:
            raise ValueError("tag() got an empty sentence: give it some words, e.g. "
                             "tag('The cat sat on the mat .')")
        tags = self.predict([words])[0]
        if verbose:
            unseen = [w for w in words if normalize_word(w) not in self.train_words]
            no_vector = [w for w in unseen if normalize_word(w) not in self.word_vocab]
            if unseen:
                print(f"unseen in training ({len(unseen)}): {', '.join(unseen)}")
            if no_vector:
                print(f"  not in the word table, tagged from characters and context: {', '.join(no_vector)}")
        return list(zip(words, tags))


def build_tagger(train_sents, cfg: TaggerConfig | None = None, glove=None, extra_words=(),
                 device=None) -> tuple[Tagger, dict]:
    """Vocabularies from the training sentences, a fresh :class:`BiLSTMTagger`, GloVe rows.

    The word vocabulary holds every training word (lower-cased) plus the ``extra_words``
    that have a GloVe vector; a GloVe vector initialises each word's embedding that has one.
    Returns the :class:`Tagger` (not trained yet) and a few counts for the notebook.
    """
    cfg = TaggerConfig() if cfg is None else cfg
    words, tags = words_and_tags(train_sents)
    train_words = {normalize_word(w) for s in words for w in s}
    extra = sorted({normalize_word(w) for w in extra_words} - train_words)
    extra = [w for w in extra if glove is not None and w in glove.stoi]
    word_vocab = Vocab([[normalize_word(w) for w in s] for s in words] + [extra])
    char_vocab = Vocab([list(w) for s in words for w in s])
    tag_vocab = Vocab(tags, specials=())
    torch.manual_seed(cfg.seed)
    model = BiLSTMTagger(len(word_vocab), len(char_vocab), len(tag_vocab), cfg)
    n_init = 0
    if glove is not None:
        if glove.dim != cfg.word_dim:
            raise ValueError(f"GloVe vectors have {glove.dim} dimensions but cfg.word_dim="
                             f"{cfg.word_dim}; use dataclasses.replace(cfg, word_dim={glove.dim})")
        vectors, found = glove.vectors_for(word_vocab.itos)
        with torch.no_grad():
            model.word_embedding.weight[found] = vectors[found]
        n_init = int(found.sum())
    info = {"words": len(word_vocab), "train_words": len(train_words), "extra_glove_words": len(extra),
            "glove_initialised": n_init, "chars": len(char_vocab), "tags": len(tag_vocab)}
    return Tagger(model, word_vocab, char_vocab, tag_vocab, train_words, device), info
