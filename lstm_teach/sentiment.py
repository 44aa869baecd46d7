"""Sentiment classification of movie reviews with a bidirectional LSTM (notebook 05).

The reference model is the course seed's, the classic one of the torchtext-era tutorials and
of d2l's ``BiRNN`` (d2l.ai section 16.2; 15.2 of the Chinese edition): GloVe embeddings with
dropout 0.5 on them, a 2-layer bidirectional LSTM (hidden 256, dropout 0.5 between the layers),
the last layer's final forward and backward hidden states concatenated, dropout 0.5, a linear
layer to one logit, trained with Adam (lr 1e-3) and ``BCEWithLogitsLoss``. Its vocabulary is the
10,000 most frequent training words plus ``<unk>`` and ``<pad>`` (built by the notebook).
Notebook 05 derives :func:`reverse_padded`, the :class:`BiLSTM` forward and :func:`train_epoch`
in its cells and asserts they equal these.

Packing (``pack_padded_sequence``) makes each direction stop at a review's real end. On a CPU
it is several times slower than plain padded batches (printed in notebook 05). This module
gets the same numbers from padded batches: pads go at the end, the forward direction's state
is read at the last real token, and the backward direction reads each review reversed
*within its length* (pads stay at the end), so neither direction ever reads a pad before a
real token. :class:`BiLSTM` does either, and notebook 05 asserts they agree with ``nn.LSTM``.

Batches are batch-first: ``x`` is ``(B, T)`` token ids, ``lengths`` is ``(B,)``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .config import get_device
from .history import History, progress_bar
from .text import Vocab, tokenize_words
from .train import _check_epochs, optimizer_step

__all__ = [
    "SentimentConfig", "reverse_padded", "BiLSTM", "SentimentLSTM", "glove_matrix",
    "train_epoch", "evaluate", "fit", "predict_sentiment", "save_model", "load_model",
]


@dataclass(frozen=True)
class SentimentConfig:
    """The model of notebook 05 and how to train it; change fields with ``dataclasses.replace``."""

    embed_dim: int = 100  # GloVe 6B 100-d (the seed); 50 when only the offline 50-d copy is there
    hidden_size: int = 256  # LSTM units per direction (the seed: 256)
    num_layers: int = 2  # stacked biLSTM layers (the seed: 2)
    dropout: float = 0.5  # between LSTM layers and before the output layer (the seed: 0.5)
    embed_dropout: float = 0.5  # dropout on the embedding output (the seed: 0.5, the same rate)
    pooling: str = "last"  # "last": final fwd/bwd states (the seed); "max": max over time
    packed: bool = False  # True: pack_padded_sequence; False: the exact padded equivalent (faster on a CPU)
    freeze_embeddings: bool = False  # True keeps the GloVe vectors as they are (the seed fine-tunes them)
    # training (sentiment.fit)
    epochs: int = 5  # passes over the training reviews
    lr: float = 1e-3  # Adam learning rate (the seed: 1e-3)
    clip: float | None = 5.0  # max gradient norm; None switches clipping off
    schedule: bool = False  # True: the learning rate decays along a cosine over the epochs
    # None: train every epoch and keep the last weights (the seed); a number: early stopping, i.e. keep the
    # best validation epoch's weights and stop after `patience` epochs without a better one
    patience: int | None = None


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each row of ``x`` (B, T, ...) within its length; pads stay where they are.

    It is its own inverse: ``reverse_padded(reverse_padded(x, n), n) == x``.
    """
    B, T = x.shape[:2]
    if lengths.shape != (B,):
        raise ValueError(f"lengths must have shape ({B},) for a batch of {B}, got {tuple(lengths.shape)}")
    t = torch.arange(T, device=x.device)[None, :]  # (1, T)
    n = lengths.to(x.device)[:, None]  # (B, 1)
    index = torch.where(t < n, n - 1 - t, t)  # (B, T)
    return x.gather(1, index.view(B, T, *([1] * (x.dim() - 2))).expand_as(x))


class BiLSTM(nn.Module):
    """A stacked bidirectional LSTM over right-padded batches, packed or not.

    Each layer has a forward and a backward one-directional ``nn.LSTM``. With ``packed``
    false, the backward one reads :func:`reverse_padded` input, so both directions see only
    real tokens before their last real one: the result equals ``nn.LSTM(bidirectional=True)``
    on packed sequences (:meth:`from_nn_lstm` copies such a module's weights to check it).
    Returns the top layer's outputs ``(B, T, 2H)`` (zeros at pads) and the final states
    ``(B, 2H)`` (forward at the last real token, backward at the first).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 2, dropout: float = 0.0):
        super().__init__()
        sizes = [input_size] + [2 * hidden_size] * (num_layers - 1)
        self.fwd = nn.ModuleList(nn.LSTM(d, hidden_size, batch_first=True) for d in sizes)
        self.bwd = nn.ModuleList(nn.LSTM(d, hidden_size, batch_first=True) for d in sizes)
        self.dropout = nn.Dropout(dropout)
        self.hidden_size = hidden_size

    def _run(self, lstm: nn.LSTM, x: torch.Tensor, lengths: torch.Tensor, packed: bool) -> torch.Tensor:
        if not packed:
            return lstm(x)[0]
        seq = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        return pad_packed_sequence(lstm(seq)[0], batch_first=True, total_length=x.shape[1])[0]

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, packed: bool = False):
        if x.dim() != 3:
            raise ValueError(f"BiLSTM expects embeddings of shape (B, T, D), got {tuple(x.shape)}")
        for k, (fwd, bwd) in enumerate(zip(self.fwd, self.bwd)):
            if k > 0:
                x = self.dropout(x)  # between layers only, like nn.LSTM's dropout
            out_f = self._run(fwd, x, lengths, packed)  # (B, T, H)
            out_b = reverse_padded(self._run(bwd, reverse_padded(x, lengths), lengths, packed), lengths)
            x = torch.cat([out_f, out_b], dim=2)  # (B, T, 2H)
        mask = torch.arange(x.shape[1], device=x.device)[None, :] < lengths.to(x.device)[:, None]
        x = x * mask[..., None]  # (B, T, 2H), zeros at pads
        last = x[torch.arange(x.shape[0], device=x.device), lengths.to(x.device) - 1, :self.hidden_size]
        return x, torch.cat([last, x[:, 0, self.hidden_size:]], dim=1)  # (B, T, 2H), (B, 2H)

    @torch.no_grad()
    def from_nn_lstm(self, lstm: nn.LSTM) -> BiLSTM:
        """Copy the weights of a bidirectional, batch-first ``nn.LSTM`` of the same sizes."""
        if not (lstm.bidirectional and lstm.num_layers == len(self.fwd) and lstm.hidden_size == self.hidden_size):
            raise ValueError("from_nn_lstm needs a bidirectional nn.LSTM with the same layers and hidden size")
        for k, (fwd, bwd) in enumerate(zip(self.fwd, self.bwd)):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(fwd, f"{name}_l0").copy_(getattr(lstm, f"{name}_l{k}"))
                getattr(bwd, f"{name}_l0").copy_(getattr(lstm, f"{name}_l{k}_reverse"))
        return self


class SentimentLSTM(nn.Module):
    """Embedding -> :class:`BiLSTM` -> pooling -> dropout -> one logit per review."""

    def __init__(self, vocab_size: int, cfg: SentimentConfig, pad_index: int = 0):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(vocab_size, cfg.embed_dim, padding_idx=pad_index)
        self.embedding.weight.requires_grad_(not cfg.freeze_embeddings)
        self.embed_dropout = nn.Dropout(cfg.embed_dropout)
        self.encoder = BiLSTM(cfg.embed_dim, cfg.hidden_size, cfg.num_layers, cfg.dropout)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(2 * cfg.hidden_size, 1)
        if cfg.pooling not in ("last", "max"):
            raise ValueError(f"pooling={cfg.pooling!r}: use 'last' or 'max'")

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2:
            raise ValueError(f"expected token ids of shape (B, T), got {tuple(x.shape)}")
        e = self.embed_dropout(self.embedding(x))  # (B, T, E)
        outputs, last = self.encoder(e, lengths, packed=self.cfg.packed)  # (B, T, 2H), (B, 2H)
        if self.cfg.pooling == "max":
            pad = torch.arange(x.shape[1], device=x.device)[None, :] >= lengths.to(x.device)[:, None]
            last = outputs.masked_fill(pad[..., None], float("-inf")).max(dim=1).values  # (B, 2H)
        return self.fc(self.dropout(last)).squeeze(1)  # (B,) logits


def glove_matrix(vocab: Vocab, glove) -> tuple[torch.Tensor, float]:
    """An embedding matrix for ``vocab`` from GloVe vectors, and the share of words found.

    Words GloVe does not know get small random vectors; ``<pad>`` and ``<unk>`` get zeros.
    """
    vectors, found = glove.vectors_for(vocab.itos)
    weights = torch.where(found[:, None], vectors, torch.randn(len(vocab), glove.dim) * 0.1)
    for special in (vocab.pad_index, vocab.unk_index):
        if special is not None:
            weights[special] = 0.0
    return weights, found.float().mean().item()


def train_epoch(model, batches, optimizer, device=None, clip: float | None = 5.0, desc="train",
                progress: bool = True) -> dict:
    """One pass over ``batches`` of ``(x, lengths, y)``; returns loss, accuracy, samples/s."""
    device = get_device(device)
    model.train()
    loss_fn = nn.BCEWithLogitsLoss()
    total, correct, loss_sum, start = 0, 0, 0.0, time.perf_counter()
    for x, lengths, y in progress_bar(batches, desc, progress):
        x, y = x.to(device), y.to(device).float()
        logits = model(x, lengths)
        loss = loss_fn(logits, y)
        optimizer_step(model, optimizer, loss, clip)
        total += len(y)
        loss_sum += loss.item() * len(y)
        correct += ((logits > 0) == (y > 0.5)).sum().item()
    return {"loss": loss_sum / total, "acc": correct / total,
            "samples_per_s": total / (time.perf_counter() - start)}


@torch.no_grad()
def evaluate(model, batches, device=None, return_predictions: bool = False) -> dict:
    """Loss and accuracy on ``batches``; with ``return_predictions``, the probabilities,
    labels and lengths too (in batch order)."""
    device = get_device(device)
    model.eval()
    loss_fn = nn.BCEWithLogitsLoss(reduction="sum")
    probs, labels, lens, loss_sum = [], [], [], 0.0
    for x, lengths, y in batches:
        logits = model(x.to(device), lengths)
        loss_sum += loss_fn(logits, y.to(device).float()).item()
        probs.append(torch.sigmoid(logits).cpu())
        labels.append(y)
        lens.append(lengths)
    if not probs:
        raise ValueError("evaluate got no batches: the evaluation set is empty (check the split)")
    p, y, n = torch.cat(probs), torch.cat(labels), torch.cat(lens)
    result = {"loss": loss_sum / len(y), "acc": ((p > 0.5) == (y > 0.5)).float().mean().item()}
    if return_predictions:
        result.update(probs=p, labels=y, lengths=n)
    return result


def fit(model, train_batches, valid_batches, cfg: SentimentConfig | None = None, device=None,
        progress: bool = True) -> History:
    """Train with Adam for ``cfg.epochs``, measuring validation accuracy after each epoch.

    ``cfg`` (default: the model's own ``model.cfg``) gives the training fields: ``lr``, ``clip``,
    ``schedule`` (a cosine decay of the learning rate over the epochs) and ``patience``: None
    trains every epoch and keeps the last weights (the seed's way); a number is early stopping,
    which keeps the weights of the best validation epoch (``History.best_epoch``) and stops after
    ``patience`` epochs without a better one. Returns a :class:`~lstm_teach.history.History` of
    loss and accuracy per epoch; a live bar shows the progress and one line
    (:meth:`History.summary`) is printed at the end (``progress=False``: neither).
    """
    cfg = model.cfg if cfg is None else cfg
    _check_epochs(cfg.epochs)
    if cfg.patience is not None and (isinstance(cfg.patience, bool) or not isinstance(cfg.patience, int)
                                     or cfg.patience < 1):
        raise ValueError(f"patience must be None (no early stopping) or a whole number >= 1, got {cfg.patience!r}")
    device = get_device(device)
    model.to(device)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, cfg.epochs) if cfg.schedule else None
    history, best_state = History(metric="accuracy"), None
    bar = progress_bar(range(cfg.epochs), "epochs", progress)
    for epoch in bar:
        start = time.perf_counter()
        tr = train_epoch(model, train_batches, optimizer, device, cfg.clip, f"epoch {epoch + 1}/{cfg.epochs}",
                         progress)
        va = evaluate(model, valid_batches, device)
        if scheduler:
            scheduler.step()
        history.add(tr["loss"], tr["acc"], va["loss"], va["acc"], time.perf_counter() - start,
                    samples_per_s=tr["samples_per_s"])
        bar.set_postfix(train=f"{tr['acc']:.3f}", valid=f"{va['acc']:.3f}")
        if cfg.patience is None:
            continue  # no early stopping: the last epoch's weights are the model's
        if history.best() == epoch + 1:
            history.best_epoch = epoch + 1
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif epoch + 1 - history.best_epoch >= cfg.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    if progress:
        print(history.summary())
    return history


@torch.no_grad()
def predict_sentiment(model, vocab: Vocab, text: str, device=None) -> float:
    """The probability that ``text`` is a positive review.

    An empty text, or one whose words are all unknown to the vocabulary, has nothing to
    judge: that raises a ``ValueError`` that says so, rather than returning a guess.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string (one review), got {type(text).__name__}")
    device = next(model.parameters()).device if device is None else get_device(device)  # default: the model's
    tokens = tokenize_words(text)
    if not tokens:
        raise ValueError("the text is empty (or only spaces and markup): there is nothing to classify")
    ids = vocab.encode(tokens)
    if all(i == vocab.unk_index for i in ids):
        raise ValueError(f"none of the words {tokens[:10]} is in the vocabulary, so the model "
                         "would only see <unk>: try a text with ordinary English words")
    model.eval()
    x = torch.tensor([ids], device=device)  # (1, T)
    return torch.sigmoid(model(x, torch.tensor([len(ids)]))).item()


def save_model(model: SentimentLSTM, vocab: Vocab, folder: str | Path) -> Path:
    """Save the weights (``model.pt``), the configuration and the vocabulary in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "config": dataclasses.asdict(model.cfg),
                "vocab_size": model.embedding.num_embeddings, "vocab_sha1": _vocab_sha1(vocab)},
               folder / "model.pt")
    vocab.save(folder / "vocab.json")
    return folder


def _vocab_sha1(vocab: Vocab) -> str:
    """A fingerprint of the vocabulary's tokens in order: the weights are only right for it."""
    return hashlib.sha1("\n".join(vocab.itos).encode("utf-8")).hexdigest()


def load_model(folder: str | Path, device=None) -> tuple[SentimentLSTM, Vocab]:
    """Load what :func:`save_model` wrote, with ``torch.load(weights_only=True)``.

    Refuses, naming the file, a ``model.pt`` that is not what ``save_model`` writes (random
    bytes, a bare ``state_dict``), a ``vocab.json`` that is not JSON, and a vocabulary other than
    the one the weights were saved with (compared by a fingerprint of its tokens).
    """
    folder = Path(folder)
    device = torch.device("cpu") if device is None else get_device(device)  # default: the CPU
    weights, words = folder / "model.pt", folder / "vocab.json"
    for path in (weights, words):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: load_model reads the folder save_model wrote")
    try:
        blob = torch.load(weights, map_location=device, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as err:
        raise ValueError(f"{weights} is not a model saved by save_model (torch.load: "
                         f"{str(err).splitlines()[0][:120]})") from err
    if not isinstance(blob, dict) or not {"state_dict", "config", "vocab_size"} <= blob.keys():
        raise ValueError(f"{weights} holds {'a bare state_dict' if isinstance(blob, dict) else type(blob).__name__}"
                         ", not what save_model writes (weights, config and vocabulary size): "
                         "save the model with save_model(model, vocab, folder)")
    try:
        vocab = Vocab.load(words)
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{words} is not a vocabulary written by Vocab.save ({type(err).__name__}: "
                         f"{str(err)[:120]})") from err
    if blob.get("vocab_size") != len(vocab):
        raise ValueError(f"{folder}: the weights are for a vocabulary of {blob.get('vocab_size')} "
                         f"words but vocab.json has {len(vocab)}; save them together again")
    if blob.get("vocab_sha1", _vocab_sha1(vocab)) != _vocab_sha1(vocab):
        raise ValueError(f"{words} is not the vocabulary {weights} was trained with (same size, other "
                         "words or order: from another run?); save them together again")
    model = SentimentLSTM(len(vocab), SentimentConfig(**blob["config"]), pad_index=vocab.pad_index or 0)
    try:
        model.load_state_dict(blob["state_dict"])
    except RuntimeError as err:
        raise ValueError(f"{folder}/model.pt does not match this model ({err})") from err
    return model.to(device), vocab
