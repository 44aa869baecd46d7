"""What did the LSTM learn? Recording its states, reading them, and testing the reading (notebook 08).

After Karpathy, Johnson & Fei-Fei, "Visualizing and Understanding Recurrent Networks" (2015):
record the memory cell ``c_t``, the hidden state ``h_t`` and the gates of a character LSTM for
every character of a text; look for single cells that track a property of the text (position in
the line, inside a quotation); compare with a linear probe (Alain & Bengio 2016) on all cells, and
with the same probe on an untrained network as the control; colour the text by a cell; count how
often each gate is saturated (the paper's figure 3); and break the per-character loss of the LSTM
minus that of an n-gram model down by kind of character (the paper's error analysis). One step
beyond the paper: :func:`generate_clamped` holds one cell fixed during generation, so that an
interpretation can be tested by what changes when the cell cannot move.

``notebooks/08_what_the_lstm_learned.ipynb`` writes :func:`lstm_step` and :func:`record_states`
in its cells and asserts them equal to these. Models are :class:`lstm_teach.models.RNNLM` around an
``nn.LSTM`` (``make_lstm_lm(kind="nn")``), read one sequence at a time (batch of one).

Shapes: a recorded text of T characters gives tensors of shape ``(T, L, H)`` (time, layer, unit);
a property of the text is one number per character, shape ``(T,)``, aligned with the states: the
value at t describes the text *up to and including* character t, what the state after reading
it could know.
"""

from __future__ import annotations

import html

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "lstm_step", "record_states", "line_position", "chars_to_line_end", "in_quotes", "word_position",
    "correlations", "best_cells", "ridge_probe", "r_squared", "saturation", "line_lengths",
    "generate_clamped", "clamp_experiment", "ngram_context_length", "char_class", "distance_bucket", "distance_labels",
    "loss_by_bucket", "coloured_html", "fit_with_samples",
]

GATES = ("i", "f", "g", "o")  # nn.LSTM's order: input, forget, candidate (d2l's C~), output


# ---------------------------------------------------------------- recording the states
def lstm_step(x, h, c, W_ih, W_hh, b):
    """One LSTM step in ``nn.LSTM``'s layout; returns ``h_t, c_t`` and the gates ``{"i", "f", "g", "o"}``.

    ``x`` (B, D), ``h`` and ``c`` (B, H), ``W_ih`` (4H, D), ``W_hh`` (4H, H), ``b`` (4H,) =
    ``bias_ih + bias_hh``. The equations are those of :mod:`lstm_teach.models`.
    """
    i, f, g, o = (x @ W_ih.T + h @ W_hh.T + b).chunk(4, dim=-1)  # 4 x (B, H)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g  # C_t = F_t * C_{t-1} + I_t * C~_t
    h = o * torch.tanh(c)  # H_t = O_t * tanh(C_t)
    return h, c, {"i": i, "f": f, "g": g, "o": o}


def _check_lm(model) -> nn.LSTM:
    rnn = getattr(model, "rnn", None)
    if not isinstance(rnn, nn.LSTM) or rnn.bidirectional or rnn.proj_size or not rnn.bias or not rnn.batch_first:
        raise TypeError(f"model must be an RNNLM around an nn.LSTM(batch_first=True) with biases, one direction "
                        f"and no projection (make_lstm_lm(kind='nn')), got {type(rnn).__name__} inside "
                        f"{type(model).__name__}")
    return rnn


def _inputs(model, ids: torch.Tensor) -> torch.Tensor:
    """The LSTM's input vectors for token ids (T,): the model's embedding or one-hot vectors, (T, D)."""
    if model.embedding is not None:
        return model.embedding(ids)
    return F.one_hot(ids, model.vocab_size).to(model.W_hq.dtype)


def _weights(rnn: nn.LSTM, k: int):
    return (getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}"),
            getattr(rnn, f"bias_ih_l{k}") + getattr(rnn, f"bias_hh_l{k}"))


@torch.no_grad()
def record_states(model, ids) -> dict[str, torch.Tensor]:
    """Read ``ids`` (one text, from a zero state) and record, for every character, every layer's
    ``c`` and ``h`` and gates ``i``, ``f``, ``g``, ``o``: a dict of (T, L, H) tensors on the CPU.

    Also ``"logits"`` (T, V): the model's prediction of the character after each one.

    The notebook's version steps :func:`lstm_step` through the text; this one computes the same
    numbers faster. ``nn.LSTM`` runs the loop over time in C++ and gives each layer's ``h_t``; since
    the gates at step t depend only on ``x_t`` and ``h_{t-1}``, all of them follow in one product
    ``X W_ih^T + H_prev W_hh^T + b``; what is left to loop over is ``c_t = f_t * c_{t-1} + i_t * g_t``,
    two element-wise operations per step.
    """
    rnn = _check_lm(model)
    ids = torch.as_tensor(ids, dtype=torch.long).reshape(-1).to(model.W_hq.device)
    if len(ids) == 0:
        raise ValueError("ids is empty: give at least one character to read")
    X = _inputs(model, ids)  # (T, D): layer 0's input
    H = rnn.hidden_size
    record = {name: [] for name in ("c", "h") + GATES}
    for k in range(rnn.num_layers):
        W_ih, W_hh, b = _weights(rnn, k)
        layer = nn.LSTM(X.shape[1], H, batch_first=True).to(X.device)
        for name, w in (("weight_ih_l0", W_ih), ("weight_hh_l0", W_hh), ("bias_ih_l0", b)):
            getattr(layer, name).copy_(w)
        layer.bias_hh_l0.zero_()
        h_all = layer(X[None])[0][0]  # (T, H): h_1 .. h_T
        h_prev = torch.cat([h_all.new_zeros(1, H), h_all[:-1]])  # h_0 .. h_{T-1}
        i, f, g, o = (X @ W_ih.T + h_prev @ W_hh.T + b).chunk(4, dim=-1)  # (T, H) each
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c_all, c = torch.empty_like(h_all), h_all.new_zeros(H)
        ig = i * g
        for t in range(len(ids)):
            c = f[t] * c + ig[t]  # C_t = F_t * C_{t-1} + I_t * C~_t
            c_all[t] = c
        for name, value in (("c", c_all), ("h", h_all), ("i", i), ("f", f), ("g", g), ("o", o)):
            record[name].append(value)
        X = h_all  # the next layer reads this layer's h
    states = {name: torch.stack(v, dim=1).cpu() for name, v in record.items()}  # (T, L, H)
    states["logits"] = (X @ model.W_hq + model.b_q).cpu()  # (T, V)
    return states


# ---------------------------------------------------------------- properties of the text
def _check_text(text) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return text


def line_position(text: str) -> torch.Tensor:
    """For each character, its position in its line: 0 for the first character after a line
    break; a line break gets the length of the line it ends. Float (T,)."""
    out, pos = [], 0
    for ch in _check_text(text):
        out.append(float(pos))
        pos = 0 if ch == "\n" else pos + 1
    return torch.tensor(out, dtype=torch.float32)


def chars_to_line_end(text: str) -> torch.Tensor:
    """For each character, how many characters come before the next line break (0 when the next
    character is the break). At a line break: the length of the next line. Float (T,)."""
    out, left = [0.0] * len(_check_text(text)), 0
    for t in range(len(text) - 1, -1, -1):
        out[t] = left
        left = 0 if text[t] == "\n" else left + 1
    return torch.tensor(out, dtype=torch.float32)


def in_quotes(text: str, marks: str = "\"'") -> torch.Tensor:
    """1.0 inside a quotation, else 0.0, for each character (the marks themselves count as inside).

    A mark opens a quotation when the character before it is not a letter or digit (start, space,
    line break, bracket, dash) and the one after it is; it closes one when the character before
    it is not a space and the one after it is not a letter or digit. An apostrophe inside a word
    (``don't``) does neither. A blank line ends every quotation: English novels open each
    paragraph of a long quoted speech with a mark and close only the last one.
    """
    out, inside = [], False
    for t, ch in enumerate(_check_text(text)):
        before = text[t - 1] if t > 0 else " "
        after = text[t + 1] if t + 1 < len(text) else " "
        if ch == "\n" and before == "\n":
            inside = False
        if ch in marks:
            if not inside and not before.isalnum() and after.isalnum():
                inside = True
            elif inside and not before.isspace() and not after.isalnum():
                out.append(1.0)
                inside = False
                continue
        out.append(1.0 if inside else 0.0)
    return torch.tensor(out, dtype=torch.float32)


def word_position(text: str) -> torch.Tensor:
    """For each character, how many letters of the current word have been read (1 for a word's first
    letter; 0 for a character that is not a letter). Float (T,)."""
    out, n = [], 0
    for ch in _check_text(text):
        n = n + 1 if ch.isalpha() else 0
        out.append(float(n))
    return torch.tensor(out, dtype=torch.float32)


# ---------------------------------------------------------------- single cells and a linear probe
def _check_xy(X, y):
    X, y = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    if X.dim() != 2 or y.dim() != 1 or len(X) != len(y):
        raise ValueError(f"need X of shape (T, N) and y of shape (T,), got {tuple(X.shape)} and {tuple(y.shape)}")
    return X, y


def correlations(X, y) -> torch.Tensor:
    """Pearson's r between each column of ``X`` (T, N) and ``y`` (T,); 0 for a column that never moves."""
    X, y = _check_xy(X, y)
    Xc, yc = X - X.mean(0), y - y.mean()
    denominator = Xc.norm(dim=0) * yc.norm()
    r = (Xc.T @ yc) / denominator
    return torch.where(denominator > 0, r, torch.zeros_like(r))


def best_cells(X, y, top: int = 1):
    """The ``top`` columns of ``X`` most correlated with ``y`` (by |r|): ``(indices, r)`` tensors."""
    r = correlations(X, y)
    order = r.abs().argsort(descending=True)[:top]
    return order, r[order]


def ridge_probe(X_train, y_train, alpha: float = 1.0):
    """A linear read-out ``y ≈ X w + b`` fitted by ridge regression; returns ``predict(X) -> y`` (float64).

    With ``X`` and ``y`` centred on their training means, ``w = (X^T X + alpha I)^{-1} X^T y``: the
    penalty ``alpha`` keeps ``w`` small along directions in which the cells hardly vary, so a cell
    that is nearly constant on the training text (a saturated ``tanh(c)``) gets almost no weight and
    cannot blow up on new text. The columns are not rescaled, for that reason.
    """
    X, y = _check_xy(X_train, y_train)
    if alpha < 0:
        raise ValueError(f"alpha={alpha} must be >= 0")
    mean, b = X.mean(0), y.mean()
    Xc = X - mean
    w = torch.linalg.solve(Xc.T @ Xc + alpha * torch.eye(X.shape[1], dtype=X.dtype), Xc.T @ (y - b))

    def predict(X_new):
        return (torch.as_tensor(X_new, dtype=torch.float64) - mean) @ w + b

    return predict


def r_squared(y_true, y_pred) -> float:
    """The coefficient of determination ``1 - SS_res / SS_tot`` (1 is perfect, 0 is the mean)."""
    y_true, y_pred = (torch.as_tensor(v, dtype=torch.float64) for v in (y_true, y_pred))
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {tuple(y_true.shape)} and y_pred {tuple(y_pred.shape)} differ in shape")
    total = ((y_true - y_true.mean()) ** 2).sum()
    return float(1 - ((y_true - y_pred) ** 2).sum() / total) if total > 0 else float("nan")


# ---------------------------------------------------------------- gate statistics (paper, figure 3)
def saturation(gate, low: float = 0.1, high: float = 0.9):
    """Per unit, the fraction of time steps where the gate is left-saturated (< ``low``) and
    right-saturated (> ``high``). ``gate`` is (T, ...); returns two tensors of shape ``gate.shape[1:]``."""
    gate = torch.as_tensor(gate)
    if not 0 <= low < high <= 1:
        raise ValueError(f"need 0 <= low < high <= 1, got low={low}, high={high}")
    return (gate < low).double().mean(0), (gate > high).double().mean(0)


# ---------------------------------------------------------------- a causal test: clamp a cell
def line_lengths(text: str) -> list[int]:
    """The lengths of the complete lines of ``text`` (the part after the last line break is not one)."""
    return [len(line) for line in _check_text(text).split("\n")[:-1]]


@torch.no_grad()
def generate_clamped(model, prefix: list[int], num_chars: int, clamp: dict | None = None,
                     temperature: float = 1.0, seed: int = 0) -> list[int]:
    """Continue ``prefix`` by ``num_chars`` sampled ids, with cells held fixed: ``clamp`` maps
    ``(layer, unit)`` to the value that ``c_t`` of that unit is set to after every step (from the
    first step of the prefix on), so the cell cannot move while the rest of the network runs as usual.
    ``clamp=None`` is plain sampling. Returns prefix + new ids."""
    rnn = _check_lm(model)
    if not prefix:
        raise ValueError("generate_clamped needs a prefix of at least one id")
    if temperature <= 0:
        raise ValueError(f"temperature={temperature} must be > 0 (this function samples)")
    clamp = clamp or {}
    for (layer, unit) in clamp:
        if not (0 <= layer < rnn.num_layers and 0 <= unit < rnn.hidden_size):
            raise ValueError(f"clamp key {(layer, unit)} is not a (layer, unit) of this model "
                             f"({rnn.num_layers} layers of {rnn.hidden_size} units)")
    model.eval()
    device = model.W_hq.device
    gen = torch.Generator().manual_seed(seed)
    weights = [_weights(rnn, k) for k in range(rnn.num_layers)]
    h = [torch.zeros(1, rnn.hidden_size, device=device) for _ in weights]
    c = [torch.zeros(1, rnn.hidden_size, device=device) for _ in weights]
    out = list(prefix)

    def step(token):
        x = _inputs(model, torch.tensor([token], device=device))  # (1, D)
        for k, (W_ih, W_hh, b) in enumerate(weights):
            h[k], c[k], gates = lstm_step(x, h[k], c[k], W_ih, W_hh, b)
            held = [(unit, value) for (layer, unit), value in clamp.items() if layer == k]
            if held:
                c[k] = c[k].clone()
                for unit, value in held:
                    c[k][0, unit] = value
                h[k] = gates["o"] * torch.tanh(c[k])  # h_t from the clamped c_t
            x = h[k]
        return x @ model.W_hq + model.b_q  # (1, V)

    for token in prefix:
        logits = step(token)
    for _ in range(num_chars):
        probs = torch.softmax(logits[0].double() / temperature, dim=-1).cpu()
        token = int(torch.multinomial(probs, 1, generator=gen))
        out.append(token)
        logits = step(token)
    return out


def clamp_experiment(model, vocab, prefix: str, cells: dict, seeds=range(5), num_chars: int = 400,
                     temperature: float = 1.0) -> list[dict]:
    """Mean length of the generated lines, per seed, with no clamp and with each clamp in ``cells``.

    ``cells`` maps a label to a ``clamp`` dict of :func:`generate_clamped`. Every condition uses the
    same prefix and the same seeds, so a seed's conditions differ only by the clamp. Rows:
    ``{"label", "seed", "mean_line", "lines"}`` (lines: the number of complete generated lines; a run
    without one has ``mean_line`` = the number of generated characters).
    """
    prefix_ids = vocab.encode(prefix)
    rows = []
    for label, clamp in {"no clamp": None, **cells}.items():
        for seed in seeds:
            ids = generate_clamped(model, prefix_ids, num_chars, clamp, temperature, seed)
            new = "".join(vocab.decode(ids[len(prefix_ids):]))
            lengths = line_lengths(new)[1:]  # the first line continues the prefix's line
            mean = sum(lengths) / len(lengths) if lengths else float(num_chars)
            rows.append({"label": label, "seed": seed, "mean_line": mean, "lines": len(lengths)})
    return rows


# ---------------------------------------------------------------- where the LSTM beats the n-gram
def ngram_context_length(lm, ids) -> torch.Tensor:
    """For each predicted id ``ids[t]``, t >= 1: how many of the characters before it the n-gram model
    ``lm`` (a fitted :class:`lstm_teach.ngram.KneserNeyLM`) can use, i.e. the length of the longest
    context ``ids[t-k:t]`` (k <= order - 1) that it saw in training. ``order - 1`` means its top order
    speaks; less means it had to back off to shorter contexts. Long (len(ids) - 1,)."""
    ids = [int(i) for i in torch.as_tensor(ids).tolist()]
    out = []
    for t in range(1, len(ids)):
        k = min(lm.order - 1, t)
        while k > 0 and lm.context_total[k + 1].get(tuple(ids[t - k:t]), 0) == 0:
            k -= 1
        out.append(k)
    return torch.tensor(out, dtype=torch.long)


def char_class(ch: str) -> str:
    """A coarse class of one character: line break, space, letter (Latin), Chinese, digit, punctuation."""
    if ch == "\n":
        return "line break"
    if ch.isspace():
        return "space"
    if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
        return "Chinese"
    if ch.isascii() and ch.isalpha():
        return "letter"
    if ch.isdigit():
        return "digit"
    return "punctuation" if not ch.isalpha() else "other letter"


DISTANCE_EDGES = (0, 1, 3, 6, 11, 21, 41)


def distance_labels(edges=DISTANCE_EDGES) -> list[str]:
    """The labels of :func:`distance_bucket` in order: ``["0", "1-2", ..., "41+"]``."""
    return [f"{lo}" if hi == lo + 1 else f"{lo}-{hi - 1}" for lo, hi in zip(edges, edges[1:])] + [f"{edges[-1]}+"]


def distance_bucket(position: float, edges=DISTANCE_EDGES) -> str:
    """A label for a position in the line: ``"0"``, ``"1-2"``, ``"3-5"``, ... , ``"41+"`` for the edges given."""
    position = int(position)
    for lo, hi in zip(edges, edges[1:]):
        if lo <= position < hi:
            return f"{lo}" if hi == lo + 1 else f"{lo}-{hi - 1}"
    return f"{edges[-1]}+"


def loss_by_bucket(nll_lstm, nll_ngram, labels, order=None) -> list[dict]:
    """Mean negative log-likelihood (nats per character) of two models per bucket, and their difference.

    ``labels`` holds one bucket label per predicted character. Rows ``{"bucket", "count", "lstm",
    "ngram", "diff"}`` (diff = LSTM minus n-gram: below zero where the LSTM predicts better), in the
    order of ``order`` (labels not in it come last) or else of each label's first appearance.
    """
    a, b = (torch.as_tensor(v, dtype=torch.float64).reshape(-1) for v in (nll_lstm, nll_ngram))
    labels = list(labels)
    if not len(a) == len(b) == len(labels):
        raise ValueError(f"nll_lstm, nll_ngram and labels must have one entry per character, got "
                         f"{len(a)}, {len(b)} and {len(labels)}")
    buckets = list(dict.fromkeys(labels))
    if order is not None:
        rank = {label: i for i, label in enumerate(order)}
        buckets.sort(key=lambda label: rank.get(label, len(rank)))
    rows = []
    for bucket in buckets:
        mask = torch.tensor([lab == bucket for lab in labels])
        rows.append({"bucket": bucket, "count": int(mask.sum()), "lstm": a[mask].mean().item(),
                     "ngram": b[mask].mean().item(), "diff": (a[mask] - b[mask]).mean().item()})
    return rows


# ---------------------------------------------------------------- text coloured by a cell
def _rgb(value: float, vmin: float, vmax: float, cmap: str = "coolwarm") -> tuple[int, int, int]:
    import matplotlib

    x = 0.5 if vmax == vmin else min(1.0, max(0.0, (value - vmin) / (vmax - vmin)))
    r, g, b, _ = matplotlib.colormaps[cmap](x)
    return round(255 * r), round(255 * g), round(255 * b)


def coloured_html(text: str, values, vmin: float = -1.0, vmax: float = 1.0, cmap: str = "coolwarm",
                  title: str = "") -> str:
    """HTML that shows ``text`` with each character's background coloured by its value (the paper's
    figures): blue for ``vmin``, red for ``vmax``. Line breaks are shown as ↵ and kept."""
    values = torch.as_tensor(values, dtype=torch.float64).reshape(-1).tolist()
    if len(values) != len(_check_text(text)):
        raise ValueError(f"one value per character: {len(text)} characters, {len(values)} values")
    parts = []
    for ch, v in zip(text, values):
        r, g, b = _rgb(v, vmin, vmax, cmap)
        shown = "↵" if ch == "\n" else ("&nbsp;" if ch == " " else html.escape(ch))
        parts.append(f'<span style="background-color: rgb({r},{g},{b}); color: black" title="{v:+.2f}">{shown}</span>')
        if ch == "\n":
            parts.append("<br>")
    head = f"<div><b>{html.escape(title)}</b></div>" if title else ""
    return (f'{head}<div style="font-family: monospace; font-size: 14px; line-height: 1.5; '
            f'white-space: nowrap">{"".join(parts)}</div>')


# ---------------------------------------------------------------- training with samples along the way
def fit_with_samples(model, train_ids, valid_ids, cfg, prefix: list[int], sample_at=(1, 2, 5, 10, 20, 40),
                     num_chars: int = 120, temperature: float = 0.7, seed: int = 0, device=None,
                     progress: bool = True):
    """Train with :func:`lstm_teach.train.fit`, and after the epochs in ``sample_at`` (and the last)
    generate ``num_chars`` from ``prefix`` (same seed every time, so the samples differ only by what
    the model learned). The weights of the epoch with the best validation perplexity are kept at
    the end. Returns ``(history, samples)`` with ``samples`` ``{epoch: ids}`` and ``history`` a
    :class:`lstm_teach.history.History` (``best_epoch`` set).
    """
    import dataclasses

    from .train import fit, generate

    samples = {}

    def sample(epoch, model):
        if epoch in sample_at or epoch == cfg.epochs:
            gen = torch.Generator().manual_seed(seed)
            samples[epoch] = generate(model, prefix, num_chars, temperature, gen, device)

    keep_best = dataclasses.replace(cfg, patience=cfg.patience or cfg.epochs)  # patience = epochs: never stops early
    history = fit(model, train_ids, valid_ids, keep_best, device, progress, callback=sample)
    return history, samples
