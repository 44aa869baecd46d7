"""Helpers of notebook 06 (Jay Chou lyrics, 周杰伦歌词): the classic setup, memorisation, honest comparisons.

* :func:`classic_text`: the course material's training text (d2l-zh 1st ed. section 6.3, and its
  PyTorch port Dive-into-DL-PyTorch): the first 10,000 characters with newlines made spaces.
* :func:`longest_verbatim`: the longest part of a generated line found word for word in the
  training text, the measure of memorisation (记忆) that a training perplexity near 1 hides.
* :func:`continue_lyrics`: generation from a text prefix (greedy, temperature, top-k) with a clear
  error for characters the vocabulary lacks.
* :func:`backward_without_detach`: what happens when a carried state is not ``detach()``-ed.
* :func:`interpolate`: the perplexity of a mixture ``lam * P_lstm + (1 - lam) * P_ngram`` (linear
  interpolation of language models, Jelinek & Mercer 1980), and the best ``lam`` on a validation part.

Notebook 06 also uses :func:`lstm_teach.models.to_nn_lstm_lm` and
:func:`lstm_teach.speed.generation_speed` (generation speed, scratch LSTM vs ``nn.LSTM``) and
:func:`lstm_teach.plots.use_cjk_font` (a font with Chinese glyphs for its plots).
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn

__all__ = [
    "classic_text", "CLASSIC_CHARS", "longest_verbatim", "memorisation", "check_prefix", "continue_lyrics",
    "backward_without_detach", "interpolate", "best_interpolation",
]

CLASSIC_CHARS = 10_000  # d2l-zh 1st ed.: corpus_chars[0:10000]


def classic_text(text: str, n: int = CLASSIC_CHARS) -> str:
    """The course material's text: newlines and carriage returns become spaces, then the first ``n``."""
    return text.replace("\n", " ").replace("\r", " ")[:n]


# ---------------------------------------------------------------- memorisation
def longest_verbatim(line: str, corpus: str) -> str:
    """The longest substring of ``line`` that occurs verbatim in ``corpus`` ("" if none).

    For each start, a match longer than the best so far is extended while it still occurs: if a
    string does not occur, no longer string with the same start does.
    """
    best = ""
    for i in range(len(line)):
        n = len(best) + 1  # only a longer match than the best so far is interesting
        while i + n <= len(line) and line[i:i + n] in corpus:
            best, n = line[i:i + n], n + 1
    return best


def memorisation(lines: dict[str, str], corpus: str, prefixes: dict[str, str] | None = None) -> list[dict]:
    """For each generated line (prefix removed when ``prefixes`` names it), its longest verbatim part.

    Returns rows with the label, the generated text, the longest verbatim substring, and the share
    of the generated characters that this one substring covers.
    """
    rows = []
    for label, line in lines.items():
        prefix = (prefixes or {}).get(label, "")
        new = line[len(prefix):] if prefix and line.startswith(prefix) else line
        match = longest_verbatim(new, corpus)
        rows.append({"label": label, "generated": new, "verbatim": match,
                     "share": len(match) / max(1, len(new))})
    return rows


# ---------------------------------------------------------------- generation from text
def check_prefix(vocab, prefix: str) -> list[int]:
    """The ids of ``prefix``; a ``ValueError`` naming every character the vocabulary lacks."""
    if not prefix:
        raise ValueError("the prefix is empty: give at least one character to start from")
    unknown = vocab.unknown(prefix)
    if unknown:
        shown = ", ".join(repr(c) for c in unknown)
        raise ValueError(f"the prefix {prefix!r} has {len(unknown)} character(s) that never occur in the "
                         f"training text: {shown}. The model has no input for them; use characters of the "
                         "lyrics (e.g. vocab.itos[:50] lists the most frequent ones).")
    return vocab.encode(prefix)


def continue_lyrics(model: nn.Module, vocab, prefix: str, num_chars: int = 50, temperature: float = 0.0,
                    top_k: int | None = None, seed: int | None = 0, device=None) -> str:
    """``prefix`` and ``num_chars`` generated characters: greedy when ``temperature == 0``, else
    sampled from ``softmax(logits / temperature)``, from the ``top_k`` best only when given."""
    from .train import generate

    ids = check_prefix(vocab, prefix)
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    out = generate(model, ids, num_chars, temperature=temperature, generator=gen, device=device, top_k=top_k)
    return "".join(vocab.decode(out))


# ---------------------------------------------------------------- why detach()
def backward_without_detach(model: nn.Module, batches, num_batches: int = 3, retain_graph: bool = False,
                            detach: bool = False, device=None) -> dict:
    """Train on sequential batches carrying the state WITHOUT ``detach()``; report what happens.

    With ``retain_graph=False`` (the usual ``loss.backward()``) the second backward pass has to go
    back through the first batch's graph, whose buffers the first pass already freed: PyTorch
    raises ``RuntimeError: Trying to backward through the graph a second time``, returned here as
    ``error``. With ``retain_graph=True`` it runs, but every backward pass goes back to the very
    first batch: ``seconds`` (per batch) grows with the number of batches seen. ``detach=True``
    is the right way, for comparison: every backward pass stops at its own batch. Only gradients
    are computed (no optimizer step), so ``model`` is left unchanged.
    """
    from .config import get_device

    device = get_device(device)
    model.to(device).train()
    state, seconds, error = None, [], None
    for i, (X, Y) in enumerate(batches):
        if i == num_batches:
            break
        start = time.perf_counter()
        try:
            if detach and state is not None:
                state = tuple(s.detach() for s in state)
            logits, state = model(X.to(device), state)  # without detach: the graph reaches batch 1
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1).to(device))
            model.zero_grad(set_to_none=True)
            loss.backward(retain_graph=retain_graph)
        except RuntimeError as e:
            error = f"batch {i + 1}: RuntimeError: {str(e).splitlines()[0]}"
            break
        seconds.append(time.perf_counter() - start)
    model.zero_grad(set_to_none=True)
    return {"error": error, "seconds": seconds}


# ---------------------------------------------------------------- mixing an LSTM and an n-gram
def interpolate(p_lstm: torch.Tensor, p_ngram: torch.Tensor, lam: float) -> float:
    """Perplexity of the mixture ``lam * p_lstm + (1 - lam) * p_ngram`` of per-token probabilities."""
    if p_lstm.shape != p_ngram.shape:
        raise ValueError(f"the two models scored different tokens: {tuple(p_lstm.shape)} vs {tuple(p_ngram.shape)}")
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam={lam} must lie in [0, 1]")
    p = lam * p_lstm.double() + (1 - lam) * p_ngram.double()
    return math.exp(-p.log().mean().item())


def best_interpolation(p_lstm: torch.Tensor, p_ngram: torch.Tensor, grid=None) -> tuple[float, dict]:
    """The ``lam`` with the lowest mixture perplexity on these tokens (a validation part), and the curve."""
    grid = [i / 20 for i in range(21)] if grid is None else grid
    curve = {lam: interpolate(p_lstm, p_ngram, lam) for lam in grid}
    return min(curve, key=curve.get), curve
