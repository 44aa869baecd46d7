"""Training a language model, explicitly: epochs, perplexity, generation.

Used by notebooks 03 and 04 (The Time Machine) and 06 (Jay Chou lyrics). Any corpus of token
ids, any vocabulary size, either kind of batches from :class:`lstm_teach.text.LMBatches`:

* ``"sequential"`` (相邻采样): row r of a batch continues row r of the previous batch, so the
  final state is carried to the next batch and ``detach()``-ed there: backpropagation stops at
  the batch boundary (truncated backpropagation through time, d2l section 9.7).
* ``"random"`` (随机采样): rows are unrelated windows, so every batch starts from zeros.

Perplexity (困惑度) is ``exp`` of the mean cross-entropy per predicted token (d2l section 9.3).
Gradients are clipped to norm 1 by default, as d2l does (``gradient_clip_val``); generation
is greedy (temperature 0) or samples from ``softmax(logits / temperature)``. The update itself,
:func:`optimizer_step` (gradients, clipping, step), is the one every training loop of the
package makes (sentiment, tagging and tasks use it too).
"""

from __future__ import annotations

import copy
import functools
import math
import time
from dataclasses import dataclass
from numbers import Integral

import torch
import torch.nn.functional as F
from torch import nn

from .config import get_device
from .history import History, progress_bar
from .text import LMBatches

__all__ = [
    "TrainConfig", "detach_state", "optimizer_step", "train_epoch", "evaluate", "token_probs", "fit",
    "ensemble_perplexity", "generate", "TIME_MACHINE", "TIME_MACHINE_MODEL",
]


@dataclass(frozen=True)
class TrainConfig:
    """How to train a language model; change fields with ``dataclasses.replace(cfg, epochs=1)``."""

    epochs: int = 30  # passes over the training text
    batch_size: int = 32  # rows per batch (d2l: 32 for The Time Machine)
    num_steps: int = 35  # time steps per batch, the truncation length of BPTT (d2l: 35)
    sampling: str = "sequential"  # "sequential" (state carried, detached) or "random" (state reset)
    optimizer: str = "adam"  # "adam", or "sgd" as d2l (which then needs lr around 1 to 4)
    lr: float = 0.005  # learning rate of the first epoch
    lr_decay: float = 1.0  # the learning rate is multiplied by this after every epoch (1: constant)
    clip: float | None = 1.0  # max gradient norm (d2l clips at 1); None switches clipping off
    eval_batch_size: int = 8  # rows for the held-out text: fewer rows, fewer cold starts
    seed: int = 0  # seeds the batch order and offsets
    ema: float = 0.0  # decay of a moving average of the weights, e.g. 0.99 per step (0: off); see fit
    patience: int | None = None  # early stopping: epochs without a better held-out perplexity (None: off)
    weight_decay: float = 0.0  # decoupled weight decay (AdamW, Loshchilov & Hutter 2019; SGD: L2); 0: off


# The character language model of notebooks 03 and 04 (The Time Machine), chosen on the validation
# part by benchmarks/time_machine_sweep.py (results/time_machine_sweep.json: dropout 0.3 replaced 0.5);
# notebook 04 trains nn.LSTM with exactly the same. patience: the weights kept are those of the epoch
# with the best validation perplexity (training stops 5 epochs after it).
TIME_MACHINE = TrainConfig(epochs=20, batch_size=16, num_steps=35, lr=0.006, lr_decay=0.92, ema=0.998,
                           patience=5)
TIME_MACHINE_MODEL = dict(hidden_size=256, num_layers=2, dropout=0.3)


def _perplexity(mean_nll: float) -> float:
    """``exp(mean_nll)``, or inf where it overflows (a diverged model), or nan for a nan loss."""
    return math.exp(mean_nll) if mean_nll < 709.0 or math.isnan(mean_nll) else float("inf")


def detach_state(state):
    """Cut the graph behind a state (a tensor or a tuple of tensors), keeping its values."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return tuple(s.detach() for s in state)


def _make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    if not cfg.weight_decay >= 0:  # also catches nan
        raise ValueError(f"weight_decay={cfg.weight_decay}: use a decay >= 0, e.g. 0.1 (0 switches it off)")
    if cfg.optimizer == "adam":
        if cfg.weight_decay:  # Adam's own weight_decay is an L2 term that Adam rescales; AdamW decays directly
            return torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        return torch.optim.Adam(model.parameters(), lr=cfg.lr)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise ValueError(f"optimizer={cfg.optimizer!r}: use 'adam' or 'sgd'")


def _check_epochs(epochs) -> None:
    if not isinstance(epochs, Integral) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs={epochs!r}: fit trains for a whole number of epochs >= 1")


def optimizer_step(model: nn.Module, optimizer: torch.optim.Optimizer, loss: torch.Tensor,
                   clip: float | None = 1.0) -> float:
    """One update, as every training loop of the package makes it: the gradients of ``loss``,
    clipped to total norm ``clip`` (None: not clipped), then the optimizer's step.

    Returns the total gradient norm before clipping (nan when ``clip`` is None; ``math.inf``
    measures it without clipping).
    """
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), clip).item() if clip is not None else math.nan
    optimizer.step()
    return norm


def train_epoch(model: nn.Module, batches, optimizer: torch.optim.Optimizer, clip: float | None = 1.0,
                sequential: bool = True, device=None, grad_norms: list | None = None,
                after_step=None) -> tuple[float, float]:
    """One pass over ``batches`` of ``(X, Y)`` (B, T). Returns (perplexity, tokens per second).

    ``sequential=True`` carries the state from batch to batch (detached); False starts every
    batch from zeros. A list passed as ``grad_norms`` gets each step's total gradient norm,
    measured before clipping (notebook 06 plots it). ``after_step()``, if given, is called after
    every optimizer step (``fit`` updates its moving average of the weights there).
    """
    device = get_device(device)
    model.train()
    state, total_loss, total_tokens = None, 0.0, 0
    start = time.perf_counter()
    for X, Y in batches:
        X, Y = X.to(device), Y.to(device)
        state = detach_state(state) if sequential else None  # truncated BPTT / fresh start
        logits, state = model(X, state)  # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))
        measure = clip if clip is not None or grad_norms is None else math.inf  # inf: measures, clips nothing
        norm = optimizer_step(model, optimizer, loss, measure)  # the norm before clipping
        if grad_norms is not None:
            grad_norms.append(norm)
        if after_step is not None:
            after_step()
        total_loss += loss.item() * Y.numel()
        total_tokens += Y.numel()
    if total_tokens == 0:
        raise ValueError("no batches: the training text is shorter than one batch")
    seconds = time.perf_counter() - start
    return _perplexity(total_loss / total_tokens), total_tokens / seconds


def _heldout_chunks(model: nn.Module, ids, batch_size: int, num_steps: int, device):
    """Yield ``(logits, Y)`` for held-out ``ids`` cut into ``batch_size`` contiguous rows, read
    left to right ``num_steps`` at a time with the state carried (shared by evaluate and token_probs)."""
    ids = torch.as_tensor(ids, dtype=torch.long)
    n = (len(ids) - 1) // batch_size
    if n < 1:
        raise ValueError(f"{len(ids)} tokens are too few to evaluate with batch_size={batch_size}")
    X = ids[:n * batch_size].reshape(batch_size, n)  # (B, n)
    Y = ids[1:n * batch_size + 1].reshape(batch_size, n)
    model.eval()
    state = None
    for s in range(0, n, num_steps):
        logits, state = model(X[:, s:s + num_steps].to(device), state)  # (B, t, V)
        yield logits, Y[:, s:s + num_steps].to(device)  # (B, t, V), (B, t)


@torch.no_grad()
def evaluate(model: nn.Module, ids, batch_size: int = 8, num_steps: int = 35, device=None) -> float:
    """Perplexity of ``model`` on a sequence of token ids, every token after the first predicted.

    The text is cut into ``batch_size`` contiguous rows read left to right with the state
    carried, so each row starts cold once; no random offset, so the number is reproducible.
    """
    device = get_device(device)
    total, count = 0.0, 0
    for logits, Y in _heldout_chunks(model, ids, batch_size, num_steps, device):
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1), reduction="sum").item()
        count += Y.numel()
    return _perplexity(total / count)


@torch.no_grad()
def token_probs(model: nn.Module, ids, batch_size: int = 8, num_steps: int = 35, device=None) -> torch.Tensor:
    """The probability the model gives to each predicted token, in the order of ``ids``.

    Reads ``ids`` exactly as :func:`evaluate` does, so ``exp(-log(p).mean())`` is its perplexity;
    the result (float64) holds the probabilities of ``ids[1 : 1 + n * batch_size]`` with
    ``n = (len(ids) - 1) // batch_size`` (all but at most ``batch_size - 1`` tokens at the end).
    """
    device = get_device(device)
    chunks = [torch.softmax(logits.double(), dim=-1).gather(-1, Y[..., None])[..., 0].cpu()  # (B, t)
              for logits, Y in _heldout_chunks(model, ids, batch_size, num_steps, device)]
    return torch.cat(chunks, dim=1).reshape(-1)  # row by row = the order of ids


def fit(model: nn.Module, train_ids, valid_ids=None, cfg: TrainConfig | None = None, device=None,
        progress: bool = True, carry_state: bool | None = None, callback=None) -> History:
    """Train for ``cfg.epochs`` epochs; after each, measure held-out perplexity on ``valid_ids``.

    Returns a :class:`~lstm_teach.history.History` of perplexities (``train_metric``,
    ``valid_metric``) and mean cross-entropies (``train_loss``, ``valid_loss``), with training
    tokens per second in ``extra["tokens_per_s"]``. A live bar shows the epochs; at the end one
    line (:meth:`History.summary`) is printed (``progress=False``: neither).

    ``cfg.patience`` (needs ``valid_ids``) switches on early stopping: training stops after that
    many epochs without a new best held-out perplexity, and the best epoch's weights are put back
    (``history.best_epoch``). ``carry_state`` overrides whether the state is carried between
    batches (default: carried exactly when ``cfg.sampling == "sequential"``). ``callback(epoch,
    model)``, if given, is called after every epoch (1-based), e.g. to generate a sample.

    ``cfg.ema > 0`` also keeps an exponential moving average of the weights, updated after every
    step (``avg = ema * avg + (1 - ema) * w``, starting from the weights after the first step;
    Polyak & Juditsky 1992 average the iterates in the same spirit). Held-out perplexity
    (``valid_metric``, and early stopping) then uses the averaged weights,
    ``extra["raw_valid_perplexity"]`` the weights Adam moved, and the model ends with the
    averaged weights.
    """
    cfg = TrainConfig() if cfg is None else cfg
    _check_epochs(cfg.epochs)
    if not 0.0 <= cfg.ema < 1.0:
        raise ValueError(f"ema={cfg.ema}: use a decay in [0, 1), e.g. 0.99 (0 switches averaging off)")
    if cfg.patience is not None and valid_ids is None:
        raise ValueError("early stopping (cfg.patience) needs valid_ids to watch")
    device = get_device(device)
    model.to(device)
    batches = LMBatches(train_ids, cfg.batch_size, cfg.num_steps, cfg.sampling, seed=cfg.seed)
    optimizer = _make_optimizer(model, cfg)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=cfg.lr_decay)
    averaged, after_step = None, None
    if cfg.ema:
        averaged = torch.optim.swa_utils.AveragedModel(
            model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(cfg.ema), use_buffers=True)
        after_step = functools.partial(averaged.update_parameters, model)
    judged = averaged.module if averaged is not None else model  # the weights held-out perplexity is measured on
    carry = cfg.sampling == "sequential" if carry_state is None else carry_state

    def heldout(m):
        return evaluate(m, valid_ids, cfg.eval_batch_size, cfg.num_steps, device) if valid_ids is not None else math.nan

    history, best_state = History(metric="perplexity"), None
    bar = progress_bar(range(cfg.epochs), "epochs", progress)
    for epoch in bar:
        start = time.perf_counter()
        ppl, speed = train_epoch(model, batches, optimizer, cfg.clip, carry, device, after_step=after_step)
        schedule.step()
        valid = heldout(judged)
        extra = {"tokens_per_s": speed}
        if averaged is not None:
            extra["raw_valid_perplexity"] = heldout(model)
        history.add(math.log(ppl), ppl, math.log(valid), valid, time.perf_counter() - start, **extra)
        bar.set_postfix(train=f"{ppl:.2f}", **({"valid": f"{valid:.2f}"} if valid_ids is not None else {}))
        if callback is not None:
            callback(epoch + 1, model)
        if cfg.patience is not None:
            if history.best() == epoch + 1:
                history.best_epoch, best_state = epoch + 1, copy.deepcopy(judged.state_dict())
            elif history.best_epoch is not None and epoch + 1 - history.best_epoch >= cfg.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    elif averaged is not None:
        model.load_state_dict(averaged.module.state_dict())
    if progress:
        print(history.summary())
    return history


def ensemble_perplexity(models, ids, batch_size: int = 8, num_steps: int = 35, device=None) -> float:
    """Perplexity of the average of several models' predicted distributions (an ensemble).

    Each model reads ``ids`` as :func:`evaluate` does; the probabilities each gives to the true
    next token are averaged, token by token, before the log: ``exp(-mean(log(mean_m p_m)))``.
    """
    probs = torch.stack([token_probs(m, ids, batch_size, num_steps, device) for m in models])  # (M, N)
    return _perplexity(-probs.mean(0).log().mean().item())


@torch.no_grad()
def generate(model: nn.Module, prefix: list[int], num_preds: int, temperature: float = 0.0,
             generator: torch.Generator | None = None, device=None, top_k: int | None = None) -> list[int]:
    """Continue ``prefix`` (token ids) by ``num_preds`` tokens; returns prefix + new ids.

    The prefix warms up the state; then each step feeds the last token back in.
    ``temperature=0`` picks the most likely token (greedy); ``temperature > 0`` samples from
    ``softmax(logits / temperature)``: below 1 sharper, above 1 flatter. ``top_k`` keeps only
    the k most likely tokens before sampling (Fan, Lewis & Dauphin 2018).
    """
    if torch.is_tensor(prefix) and prefix.dim() == 1:
        prefix = prefix.tolist()
    if isinstance(prefix, str) or not isinstance(prefix, (list, tuple)) \
            or not all(isinstance(i, Integral) and not isinstance(i, bool) for i in prefix):
        raise TypeError(f"prefix must be a list of token ids (ints), got {type(prefix).__name__} "
                        f"{str(prefix)[:40]!r}; for text use vocab.encode(tokenize_chars(text))")
    prefix = [int(i) for i in prefix]
    if not prefix:
        raise ValueError("generate needs a prefix of at least one token")
    vocab_size = getattr(model, "vocab_size", None)
    if vocab_size is not None and not all(0 <= i < vocab_size for i in prefix):
        raise ValueError(f"prefix holds ids {[i for i in prefix if not 0 <= i < vocab_size][:5]} outside "
                         f"the model's vocabulary 0..{vocab_size - 1}")
    if not isinstance(num_preds, Integral) or num_preds < 0:
        raise ValueError(f"num_preds={num_preds!r}: use a whole number >= 0 of tokens to add")
    if not temperature >= 0 or math.isinf(temperature):  # also catches nan
        raise ValueError(f"temperature={temperature}: use 0 (greedy) or a finite number > 0")
    if top_k is not None and (not isinstance(top_k, Integral) or top_k < 1):
        raise ValueError(f"top_k={top_k!r} must be an int >= 1 (or None for the whole vocabulary)")
    device = get_device(device)
    model.eval()
    out = list(prefix)
    logits, state = model(torch.tensor([prefix], device=device), None)  # warm-up on the prefix
    for _ in range(num_preds):
        last = logits[0, -1]  # (V,)
        if temperature == 0:
            token = int(last.argmax())
        else:
            last = last.double() / temperature
            if top_k is not None and top_k < last.numel():  # exactly k stay, also when logits tie
                kept = torch.full_like(last, float("-inf"))
                best = torch.topk(last, top_k).indices
                last = kept.index_copy(0, best, last[best])
            probs = torch.softmax(last, dim=-1).cpu()
            token = int(torch.multinomial(probs, 1, generator=generator))
        out.append(token)
        logits, state = model(torch.tensor([[token]], device=device), state)
    return out
