"""Timing, and nothing else: how fast a model trains or generates (notebooks 03, 04, 05, 06).

Every measurement goes through one timer, :func:`median_seconds`, which hands the call to
``torch.utils.benchmark.Timer``: it warms up, picks how many calls to time together so the
timer's own cost is negligible, synchronises the GPU (if any) before reading the clock, and
reports the median of the blocks it timed. On top of it:

* :func:`training_throughput`: training tokens per second of a language model (forward,
  backward, clipping, Adam step), and :func:`compare_speed` / :func:`format_speed_table`, the
  speed table of notebook 03 (one row per entry of :data:`SPEED_STEPS`);
* :func:`time_products`: the matrix products every LSTM layer must do, timed alone, beside
  ``nn.LSTM``'s whole layer (a floor for any implementation, notebook 03);
* :func:`generation_speed`: characters per second, generating one step at a time (notebook 06).

Speeds are printed, never asserted: they depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import contextlib
import copy
import time
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .config import get_device
from .history import progress_bar
from .models import make_lstm_lm
from .train import detach_state, generate, optimizer_step

__all__ = [
    "median_seconds", "training_throughput", "SPEED_STEPS", "compare_speed", "format_speed_table",
    "time_products", "generation_speed",
]


def _measure(fn, min_run_time: float):
    from torch.utils.benchmark import Timer

    timer = Timer("fn()", globals={"fn": fn}, num_threads=torch.get_num_threads())
    return timer.blocked_autorange(min_run_time=min_run_time)


def median_seconds(fn, min_run_time: float = 0.2) -> float:
    """The median time of one call of ``fn()``, in seconds, from ``torch.utils.benchmark``.

    The timer runs ``fn`` until it has spent at least ``min_run_time`` seconds measuring (after a
    warm-up), at the current number of torch threads. A call that takes longer than
    ``min_run_time`` runs twice: once to warm up, once timed.
    """
    return _measure(fn, min_run_time).median


def _training_step(model: nn.Module, vocab_size: int, batch_size: int, num_steps: int, device, lr: float):
    """A function that trains ``model`` on one batch of random ids, carrying the state (detached)."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randint(vocab_size, (batch_size, num_steps), generator=gen).to(device)
    Y = torch.randint(vocab_size, (batch_size, num_steps), generator=gen).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    state = None

    def step():
        nonlocal state
        logits, state = model(X, detach_state(state))
        loss = F.cross_entropy(logits.reshape(-1, vocab_size), Y.reshape(-1))
        optimizer_step(model, optimizer, loss, clip=1.0)

    return step


def training_throughput(model: nn.Module, vocab_size: int, batch_size: int = 32, num_steps: int = 35,
                        min_run_time: float = 1.0, warmup: int = 3, device=None, lr: float = 1e-3,
                        on_copy: bool = True) -> dict:
    """Training tokens per second (forward + backward + clipping + Adam step) on random ids.

    Runs ``warmup`` untimed batches, then times sequential batches (state carried and detached,
    as in training) with the timer of :func:`median_seconds` for at least ``min_run_time``
    seconds; returns the tokens/s of the median batch (``median``) and of every timed block
    (``repeats``). Speed does not depend on the token values. The steps train a copy of
    ``model`` (on random ids), so a trained model passed in is left as it was; ``on_copy=False``
    trains ``model`` itself (for a fresh or compiled model).
    """
    device = get_device(device)
    model = (copy.deepcopy(model) if on_copy else model).to(device).train()
    step = _training_step(model, vocab_size, batch_size, num_steps, device, lr)
    for _ in range(warmup):
        step()
    measured = _measure(step, min_run_time)
    tokens = batch_size * num_steps
    return {"median": tokens / measured.median, "repeats": [tokens / s for s in measured.times]}


# the rows of notebook 03's speed table: (label, make_lstm_lm keyword arguments, compile?)
SPEED_STEPS = (
    ("naive (d2l, 8 products per step)", dict(kind="scratch", variant="naive"), False),
    ("fused gates (.chunk(4))", dict(kind="scratch", variant="fused"), False),
    ("hoisted input product", dict(kind="scratch", variant="hoisted", ids_in=False), False),
    ("+ lookup instead of one-hot", dict(kind="scratch", variant="hoisted"), False),
    ("+ hand-written BPTT (oneDNN)", dict(kind="scratch", variant="handwritten"), False),
    ("torch.compile(hoisted + lookup)", dict(kind="scratch", variant="hoisted"), True),
    # the fair peer of "+ lookup": nn.LSTM reading rows of an nn.Embedding instead of one-hot vectors
    ("nn.LSTM + embedding lookup (256)", dict(kind="nn", embed_size=256), False),
    ("nn.LSTM (one-hot input, as d2l)", dict(kind="nn"), False),
)


def compare_speed(vocab_size: int, hidden_size: int = 256, batch_size: int = 32, num_steps: int = 35,
                  steps=SPEED_STEPS, min_run_time: float = 1.0, warmup: int = 2,
                  device=None, progress: bool = True) -> list[dict]:
    """Training tokens/s of each model in ``steps`` (same sizes, same data), and ratio to the last row.

    A compiled model's first two batches (tracing + code generation, for a zero and for a
    carried state; the on-disk compile cache switched off) are timed apart, as ``compile_s``; its
    tokens/s is the steady state after that. A compile that fails is recorded with its error and
    the table goes on. Rows are dicts with label, tokens_per_s (median), repeats (tokens/s of
    every timed block), compile_s, error, ratio (to the last row, ``nn.LSTM`` fed one-hot vectors)
    and ratio_peer (to the first ``nn.LSTM`` row that reads an embedding, the fair peer of the
    scratch models that look up rows of ``W_x``; nan when ``steps`` has none).
    """
    device = get_device(device)
    rows = []
    for label, kwargs, compiled in progress_bar(steps, "models", progress):
        torch.manual_seed(0)
        model = make_lstm_lm(vocab_size, hidden_size, **kwargs)
        row = {"label": label, "tokens_per_s": float("nan"), "repeats": [], "compile_s": None, "error": None}
        try:
            if compiled:
                model = torch.compile(model)
                step = _training_step(model.to(device), vocab_size, batch_size, num_steps, device, 1e-3)
                start = time.perf_counter()  # a one-off duration, not a repeated measurement
                with _cold_compile():  # time a first compile, not a load from the on-disk cache
                    step()  # from a zero state
                    step()  # from a carried one: compiled again
                row["compile_s"] = time.perf_counter() - start
            r = training_throughput(model, vocab_size, batch_size, num_steps, min_run_time, warmup, device,
                                    on_copy=False)
            row["tokens_per_s"], row["repeats"] = r["median"], r["repeats"]
        except Exception as error:  # e.g. no C compiler for torch.compile: report it, go on
            row["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        rows.append(row)
    base = rows[-1]["tokens_per_s"]
    peers = [r["tokens_per_s"] for r, (_, kwargs, _) in zip(rows, steps)
             if kwargs.get("kind") == "nn" and kwargs.get("embed_size")]
    peer = peers[0] if peers else float("nan")
    for row in rows:
        row["ratio"], row["ratio_peer"] = row["tokens_per_s"] / base, row["tokens_per_s"] / peer
    return rows


@contextlib.contextmanager
def _cold_compile():
    try:
        import torch._inductor.config as inductor_config

        patch = inductor_config.patch(force_disable_caches=True)
    except (ImportError, AttributeError):
        patch = contextlib.nullcontext()
    with patch, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*force_disable_caches")  # says what we asked for
        yield


def format_speed_table(rows: list[dict]) -> str:
    """The rows of :func:`compare_speed` as a text table: the ratio to ``nn.LSTM`` fed one-hot
    vectors and, when the rows have a fair peer, to ``nn.LSTM`` fed by an embedding lookup."""
    peer = any(r.get("ratio_peer") == r.get("ratio_peer") for r in rows)  # nan != nan: no peer row
    head = f" {'x lookup':>9}" if peer else ""
    lines = [f"{'model':<36} {'tokens/s':>10} {'x nn.LSTM':>9}{head}  {'compile':>8}"]
    for r in rows:
        compile_s = f"{r['compile_s']:.0f} s" if r["compile_s"] is not None else ""
        if r["error"]:
            lines.append(f"{r['label']:<36} {'failed':>10} {'':>9}  {r['error']}")
        else:
            second = f" {r['ratio_peer']:>8.2f}x" if peer else ""
            lines.append(f"{r['label']:<36} {r['tokens_per_s']:>10,.0f} {r['ratio']:>8.2f}x{second}  {compile_s:>8}")
    return "\n".join(lines)


def time_products(hidden_size: int = 256, batch_size: int = 32, num_steps: int = 35, input_size: int = 28,
                  min_run_time: float = 1.0) -> dict:
    """A floor for any LSTM layer's time: its matrix products alone, beside ``nn.LSTM``'s whole layer.

    Per batch, every LSTM layer (ours or ``nn.LSTM``) multiplies by ``W_h`` (H, 4H) once per
    step going forward (``H_{t-1} W_h``), once per step going back (``dG_t W_h^T``), and forms
    ``dW_h`` once. Returns medians from :func:`median_seconds`: ``products_ms``, those products
    and nothing else; ``nn_lstm_ms``, ``nn.LSTM``'s forward + backward on ``input_size`` inputs;
    ``left_us``, what is left of ``nn_lstm_ms`` per time step (forward or backward) for all other
    work, to tie with it; ``sigmoid_us``, one ``sigmoid`` on the (B, 4H) gates, the size of a
    typical element-wise call of one step.
    """
    H, B, T = hidden_size, batch_size, num_steps
    W_h, h_prev, dG = torch.randn(H, 4 * H), torch.randn(B, H), torch.randn(B, 4 * H)
    H_all, dG_all = torch.randn(T * B, H), torch.randn(T * B, 4 * H)

    def products_only():
        for _ in range(T):
            h_prev @ W_h  # forward: H_{t-1} W_h
        for _ in range(T):
            dG @ W_h.T  # backward: dG_t W_h^T
        H_all.T @ dG_all  # backward, once for all steps: dW_h

    layer, X = nn.LSTM(input_size, H), torch.randn(T, B, input_size)

    def nn_lstm_layer():
        outputs, _ = layer(X)
        outputs.sum().backward()

    products_ms = 1e3 * median_seconds(products_only, min_run_time)
    nn_lstm_ms = 1e3 * median_seconds(nn_lstm_layer, min_run_time)
    return {"products_ms": products_ms, "nn_lstm_ms": nn_lstm_ms,
            "left_us": 1e3 * (nn_lstm_ms - products_ms) / (2 * T),
            "sigmoid_us": 1e6 * median_seconds(lambda: torch.sigmoid(dG), min_run_time)}


@torch.no_grad()
def generation_speed(model: nn.Module, reference: nn.Module, prefix: list[int], num_chars: int = 200,
                     min_run_time: float = 0.2, device=None) -> dict:
    """Characters per second of greedy generation, one step at a time, for two models.

    Both must compute the same function (e.g. a scratch LSTM and ``nn.LSTM`` with copied weights):
    the generated ids are compared and returned as ``same_text``. Each is timed with
    :func:`median_seconds` (``num_chars`` characters per call).
    """
    rates, texts = {}, {}
    for name, m in (("model", model), ("reference", reference)):
        texts[name] = generate(m, prefix, num_chars, device=device)
        rates[name] = num_chars / median_seconds(lambda m=m: generate(m, prefix, num_chars, device=device),
                                                 min_run_time)
    return {"model": rates["model"], "reference": rates["reference"],
            "ratio": rates["model"] / rates["reference"], "same_text": texts["model"] == texts["reference"]}
