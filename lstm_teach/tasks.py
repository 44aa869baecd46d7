"""A long-range memory task, and the small training routine that compares RNN, GRU and LSTM on it.

The task ("recall the first symbol", 记住第一个符号) is a version of the long-time-lag
problems of Hochreiter & Schmidhuber (1997), section 5: a sequence of ``T`` tokens starts with
one of ``n_symbols`` signal symbols, followed by ``T - 1`` noise tokens drawn from a separate
alphabet; after reading the whole sequence the model must name the first symbol. Nothing
after step 1 carries information, so a model can only solve it by keeping one piece of
information for ``T - 1`` steps, and the only learning signal for that reaches step 1 through
``T - 1`` steps of backpropagation through time. Chance is ``1 / n_symbols``.

The models are ``nn.RNN``, ``nn.GRU`` and ``nn.LSTM`` used directly, reading one-hot tokens,
with a linear layer on the last hidden state. Notebook 01 uses the accuracy-vs-``T`` curves,
notebook 02 the forget-gate bias experiment (Gers, Schmidhuber & Cummins 2000; Jozefowicz,
Zaremba & Sutskever 2015) and the gradient heatmap over training.

Convention: batches are batch-first, ``x: (B, T, V)`` one-hot floats, ``y: (B,)`` labels.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import nn
from torch.nn import functional as F

from .config import get_device
from .history import History, format_seconds, progress_bar
from .train import optimizer_step

__all__ = [
    "RecallConfig", "recall_first_batch", "RecurrentClassifier", "set_forget_bias",
    "train_recall", "accuracy_vs_T",
]

KINDS = ("rnn", "gru", "lstm")


@dataclass(frozen=True)
class RecallConfig:
    """Hyperparameters of the recall-the-first-symbol experiment."""

    n_symbols: int = 4  # signal alphabet; chance accuracy is 1 / n_symbols
    n_noise: int = 4  # noise alphabet, disjoint from the signal alphabet
    hidden_size: int = 32  # hidden units of every model; small is enough, the task needs one memory
    steps: int = 400  # optimizer steps (fresh random batch each step: no overfitting possible)
    batch_size: int = 64  # sequences per step
    lr: float = 3e-3  # Adam learning rate
    clip: float = 1.0  # gradient clipping by global norm (clip_grad_norm_), on by default
    eval_size: int = 1000  # sequences in the held-out evaluation batch
    forget_bias: float | None = 3.0  # LSTM b_f / GRU b_z at init (f = 0.95); None: PyTorch's 0 (f = 0.5)
    seed: int = 0  # seeds the model init and the data stream

    @property
    def vocab(self) -> int:
        """Input width: signal symbols + noise symbols."""
        return self.n_symbols + self.n_noise


def recall_first_batch(batch_size: int, T: int, n_symbols: int = 4, n_noise: int = 4,
                       generator: torch.Generator | None = None, device=None):
    """A batch of the task: ``x`` one-hot ``(B, T, n_symbols + n_noise)``, ``y`` ``(B,)``.

    Token ids ``0 .. n_symbols - 1`` are signal symbols (only at step 1, the label);
    ``n_symbols .. n_symbols + n_noise - 1`` are noise (steps 2 .. T).
    """
    if T < 1 or batch_size < 1:
        raise ValueError(f"need T >= 1 and batch_size >= 1, got T={T}, batch_size={batch_size}")
    y = torch.randint(n_symbols, (batch_size,), generator=generator)  # (B,)
    noise = torch.randint(n_symbols, n_symbols + n_noise, (batch_size, T - 1), generator=generator)
    ids = torch.cat([y[:, None], noise], dim=1)  # (B, T)
    x = F.one_hot(ids, n_symbols + n_noise).float()  # (B, T, V)
    return x.to(device), y.to(device)


class RecurrentClassifier(nn.Module):
    """``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` (one layer, batch-first) + linear layer on ``h_T``."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, n_classes: int):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind]
        self.rnn = layer(input_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, n_classes)

    def forward(self, x):  # x: (B, T, V)
        out, _ = self.rnn(x)  # (B, T, H)
        return self.head(out[:, -1])  # (B, n_classes), from h_T only


def set_forget_bias(rnn: nn.LSTM | nn.LSTMCell | nn.GRU | nn.GRUCell, value: float) -> None:
    """Set the bias of the gate that keeps the memory to ``value``, in every layer.

    That gate is the LSTM's forget gate f (stacked i, f, g, o) and the GRU's update gate z
    (stacked r, z, n; PyTorch's GRU keeps ``z * h_{t-1}``): the second block of H rows in both.
    PyTorch keeps two bias vectors, ``bias_ih`` and ``bias_hh``, and the gate sees their sum,
    so we put ``value`` in ``bias_ih``'s block and 0 in ``bias_hh``'s.
    """
    if not isinstance(rnn, (nn.LSTM, nn.LSTMCell, nn.GRU, nn.GRUCell)):
        raise TypeError(f"set_forget_bias needs an LSTM or GRU (layer or cell), got {type(rnn).__name__}")
    H = rnn.hidden_size
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            if name.startswith("bias_ih"):
                p[H:2 * H] = value
            elif name.startswith("bias_hh"):
                p[H:2 * H] = 0.0


@dataclass
class RecallResult:
    """What one training run returns: plain numbers, ready to print or plot."""

    kind: str
    T: int
    accuracy: float  # on the held-out batch after training
    history: History  # per step: loss and accuracy on that step's batch; the held-out accuracy at the last step
    model: RecurrentClassifier | None = None


def train_recall(kind: str, T: int, cfg: RecallConfig | None = None, device=None,
                 callback=None, progress: bool = False) -> RecallResult:
    """Train one model on the task with sequence length ``T``; return its held-out accuracy.

    ``callback(step, model)`` is called before the first step and after every step (the
    heatmap of notebook 02 records gradient norms with it). ``progress=True`` shows a live bar
    and prints one summary line at the end.
    """
    cfg = RecallConfig() if cfg is None else cfg
    device = get_device(device)
    torch.manual_seed(cfg.seed)
    model = RecurrentClassifier(kind, cfg.vocab, cfg.hidden_size, cfg.n_symbols).to(device)
    if kind in ("lstm", "gru") and cfg.forget_bias is not None:
        set_forget_bias(model.rnn, cfg.forget_bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    data = torch.Generator().manual_seed(cfg.seed + 1)
    history = History(metric="accuracy", unit="step")
    if callback is not None:
        callback(0, model)
    model.train()
    for step in progress_bar(range(1, cfg.steps + 1), f"{kind} T={T}", progress):
        start = time.perf_counter()
        x, y = recall_first_batch(cfg.batch_size, T, cfg.n_symbols, cfg.n_noise, data, device)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer_step(model, optimizer, loss, cfg.clip)
        history.add(loss.item(), (logits.argmax(1) == y).float().mean().item(), seconds=time.perf_counter() - start)
        if callback is not None:
            callback(step, model)
    accuracy = evaluate_recall(model, T, cfg, device)
    if history.valid_metric:
        history.valid_metric[-1] = accuracy  # held out, measured once, after the last step
    if progress:
        print(f"{kind.upper()} T={T}: {history.summary()}")
    return RecallResult(kind, T, accuracy, history, model)


@torch.no_grad()
def evaluate_recall(model: RecurrentClassifier, T: int, cfg: RecallConfig, device=None) -> float:
    """Accuracy on ``cfg.eval_size`` fresh sequences (a fixed seed, never seen in training)."""
    device = get_device(device)
    model.eval()
    data = torch.Generator().manual_seed(10_000 + cfg.seed)
    x, y = recall_first_batch(cfg.eval_size, T, cfg.n_symbols, cfg.n_noise, data, device)
    return (model(x).argmax(1) == y).float().mean().item()


def accuracy_vs_T(Ts: Sequence[int], kinds: Sequence[str] = KINDS, cfg: RecallConfig | None = None,
                  seeds: Sequence[int] = (0,), device=None, progress: bool = True) -> dict[str, list[float]]:
    """Held-out accuracy of each kind of model at each ``T``, averaged over ``seeds``.

    Returns ``{kind: [mean accuracy at Ts[0], at Ts[1], ...]}``. ``progress=True`` shows a live
    bar over the runs and prints one summary line at the end.
    """
    cfg = RecallConfig() if cfg is None else cfg
    results = {kind: [] for kind in kinds}
    runs = [(kind, T) for kind in kinds for T in Ts]
    start = time.perf_counter()
    for kind, T in progress_bar(runs, "models x T", progress):
        accs = [train_recall(kind, T, replace(cfg, seed=s), device).accuracy for s in seeds]
        results[kind].append(sum(accs) / len(accs))
    if progress:
        best = ", ".join(f"{kind.upper()} {max(accs):.2f}" for kind, accs in results.items())
        n = len(runs) * len(seeds)
        print(f"{n} run{'s' if n > 1 else ''} of {cfg.steps} steps ({len(kinds)} models x {len(Ts)} T x "
              f"{len(seeds)} seed(s)) in {format_seconds(time.perf_counter() - start)}; best held-out accuracy: {best}")
    return results
