"""Check functions for the notebooks' exercises: each says whether an answer is right.

A check never raises on a wrong answer (a student should keep going); it prints what is right
or what to look at again, and returns ``True`` or ``False`` so a notebook can also assert it.
"""

from __future__ import annotations

__all__ = ["report"]


def report(ok: bool, right: str, wrong: str) -> bool:
    """Print ``right`` or ``wrong`` with a mark, and return ``ok``."""
    print(("✔ " + right) if ok else ("✘ " + wrong))
    return bool(ok)


# ---------------------------------------------------------------- notebook 01
__all__ += ["check_steps_to_vanish", "check_clip_by_norm"]


def check_steps_to_vanish(answer: int, gain: float = 0.5, ratio: float = 1e-6) -> bool:
    """Exercise 01: the fewest steps back k after which the BPTT bound guarantees
    ||dL/dh_{T-k}|| <= ratio * ||dL/dh_T|| for W_hh = gain * (orthogonal), i.e. gain^k <= ratio."""
    import math

    right = math.ceil(math.log(ratio) / math.log(gain) - 1e-12)
    return report(int(answer) == right,
                  f"Right: {gain}^{right} = {gain ** right:.2e} <= {ratio:g}, and {gain}^{right - 1} is not.",
                  f"Not quite: solve {gain}^k <= {ratio:g} for the smallest whole k (take logarithms; "
                  f"dividing by ln {gain} < 0 flips the inequality).")


def check_clip_by_norm(clip_fn) -> bool:
    """Exercise 01: ``clip_fn(grads, max_norm)`` must return the list of gradients rescaled as
    ``torch.nn.utils.clip_grad_norm_`` does (one global norm over all tensors)."""
    import torch

    g = torch.Generator().manual_seed(1)
    ok = True
    for max_norm in (0.5, 100.0):
        grads = [torch.randn(3, 4, generator=g), torch.randn(5, generator=g) * 10]
        params = [torch.nn.Parameter(t.clone()) for t in grads]
        for p, t in zip(params, grads):
            p.grad = t.clone()
        torch.nn.utils.clip_grad_norm_(params, max_norm)
        got = clip_fn([t.clone() for t in grads], max_norm)
        ok = ok and len(got) == 2 and all(torch.allclose(a, p.grad, atol=1e-6) for a, p in zip(got, params))
    return report(ok, "Right: one norm over all gradients, and no change when it is already small.",
                  "Not quite: compute ONE norm over all tensors together, scale every tensor by "
                  "max_norm / norm, and only when norm > max_norm.")


# ---------------------------------------------------------------- notebook 02
__all__ += ["check_lstm_param_count", "check_lstm_step", "check_forget_bias_for_memory"]


def check_lstm_param_count(answer: int, input_size: int, hidden_size: int, kind: str = "lstm") -> bool:
    """Exercise 02: parameters of a one-layer ``nn.LSTM`` (4 blocks) or ``nn.GRU`` (3 blocks)."""
    blocks = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    right = blocks * (hidden_size * (input_size + hidden_size) + 2 * hidden_size)
    return report(int(answer) == right, f"Right: {right} parameters.",
                  f"Not quite: each of the {blocks} blocks has W_x ({hidden_size}x{input_size}), "
                  f"W_h ({hidden_size}x{hidden_size}) and, in PyTorch, two bias vectors of {hidden_size}.")


def check_lstm_step(step_fn) -> bool:
    """Exercise 02: ``step_fn(x, h_prev, c_prev, weight_ih, weight_hh, bias)`` must return
    ``(h_t, c_t)`` equal to ``nn.LSTMCell`` (weights stacked i, f, g, o; bias = b_ih + b_hh)."""
    import torch

    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(3, 4).double()
    x, h, c = (torch.randn(2, n, dtype=torch.float64) for n in (3, 4, 4))
    h_ref, c_ref = cell(x, (h, c))
    with torch.no_grad():
        got = step_fn(x, h, c, cell.weight_ih, cell.weight_hh, cell.bias_ih + cell.bias_hh)
    ok = (isinstance(got, tuple) and len(got) == 2 and got[0].shape == h_ref.shape
          and torch.allclose(got[0], h_ref, atol=1e-10) and torch.allclose(got[1], c_ref, atol=1e-10))
    return report(ok, "Right: your step equals nn.LSTMCell.",
                  "Not quite: check the order of the blocks (i, f, g, o), tanh for g and for C_t in H_t, "
                  "and that you return (h_t, c_t).")


def check_forget_bias_for_memory(answer: float, steps: int = 100, keep: float = 0.5) -> bool:
    """Exercise 02: the forget-gate bias b_f (other inputs to the gate 0) for which
    f^steps = keep, i.e. f = keep^(1/steps) and b_f = ln(f / (1 - f))."""
    import math

    f = keep ** (1 / steps)
    right = math.log(f / (1 - f))
    return report(abs(float(answer) - right) < 0.01,
                  f"Right: f = {f:.5f}, so b_f = logit(f) = {right:.3f}.",
                  f"Not quite: first solve f^{steps} = {keep} for f, then invert the sigmoid: b = ln(f / (1 - f)).")


# ---------------------------------------------------------------- notebook 03
__all__ += ["check_param_count", "check_gate_rows", "check_fused_step"]


def check_param_count(answer: int, vocab_size: int = 28, hidden_size: int = 256) -> bool:
    """The number of parameters of the one-layer scratch language model (LSTM + output layer)."""
    V, H = vocab_size, hidden_size
    right = 4 * (V * H + H * H + H) + H * V + V
    return report(int(answer) == right, f"{right:,} parameters: 4 gates x (W_x, W_h, b), plus W_hq and b_q",
                  f"{int(answer):,} is not it. Count W_x (V, H), W_h (H, H) and b (H,) for each of the 4 gates, "
                  "then the output layer W_hq (H, V) and b_q (V,)")


def check_gate_rows(gate: str, rows: slice, hidden_size: int) -> bool:
    """Which rows of ``nn.LSTM``'s ``weight_ih_l0`` (4H, D) hold ``gate`` ("i", "f", "g" or "o")."""
    H = hidden_size
    right = {"i": (0, H), "f": (H, 2 * H), "g": (2 * H, 3 * H), "o": (3 * H, 4 * H)}[gate]
    got = (rows.start or 0, rows.stop)
    return report(got == right, f"gate {gate}: rows {right[0]}:{right[1]} (order i, f, g, o)",
                  f"rows {got[0]}:{got[1]} are not gate {gate}; "
                  "nn.LSTM stacks the gates in the order i, f, g, o, H rows each")


def check_fused_step(step, input_size: int = 5, hidden_size: int = 4, seed: int = 0) -> bool:
    """``step(X_t, H, C, W_x, W_h, b) -> (H, C)`` with fused weights (D, 4H), (H, 4H), (4H,) in
    the order (i, f, c, o); compared with ``nn.LSTMCell`` holding the same weights."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    D, Hs, B = input_size, hidden_size, 3
    cell = torch.nn.LSTMCell(D, Hs).double()
    X, H, C = (torch.randn(B, n, generator=gen, dtype=torch.float64) for n in (D, Hs, Hs))
    with torch.no_grad():
        want_H, want_C = cell(X, (H, C))
        W_x, W_h, b = cell.weight_ih.T.clone(), cell.weight_hh.T.clone(), cell.bias_ih + cell.bias_hh
        try:
            got_H, got_C = step(X, H, C, W_x, W_h, b)
        except Exception as error:  # a student's bug: say what it was
            return report(False, "", f"your step raised {type(error).__name__}: {error}")
    ok = got_H.shape == want_H.shape and (got_H - want_H).abs().max() < 1e-10 and (got_C - want_C).abs().max() < 1e-10
    return report(ok, "your step equals nn.LSTMCell (float64, < 1e-10)",
                  "your step differs from nn.LSTMCell: check the gate order (i, f, c, o), which gates "
                  "use sigmoid and which tanh, and C = F*C + I*C~, H = O*tanh(C)")





# ---------------------------------------------------------------- notebook 04
__all__ += ["check_h_n_shape", "check_proj_size_shapes", "check_last_layer_states"]


def check_h_n_shape(answer, num_layers: int, bidirectional: bool, batch_size: int, hidden_size: int,
                    proj_size: int = 0) -> bool:
    """The shape of ``h_n`` for an ``nn.LSTM`` with these arguments."""
    right = (num_layers * (2 if bidirectional else 1), batch_size, proj_size or hidden_size)
    return report(tuple(answer) == right, f"h_n is {right}: (num_layers * num_directions, B, proj_size or H)",
                  f"{tuple(answer)} is not it: h_n is (num_layers * num_directions, B, H_out), "
                  "batch_first or not, and H_out is proj_size when proj_size > 0")


def check_proj_size_shapes(answer, input_size: int = 10, hidden_size: int = 32, proj_size: int = 8) -> bool:
    """Exercise 04: ``(weight_hh_l0.shape, weight_hr_l0.shape)`` of ``nn.LSTM(input_size, hidden_size,
    proj_size=proj_size)``, read from a real module rather than from a formula."""
    import torch

    lstm = torch.nn.LSTM(input_size, hidden_size, proj_size=proj_size)
    right = (tuple(lstm.weight_hh_l0.shape), tuple(lstm.weight_hr_l0.shape))
    try:
        given = tuple(tuple(int(n) for n in shape) for shape in answer)
    except TypeError:
        given = None
    return report(given == right, f"right: weight_hh_l0 {right[0]} reads the projected state of {proj_size}, "
                  f"weight_hr_l0 {right[1]} maps o * tanh(c) ({hidden_size}) down to {proj_size}",
                  f"{answer!r} is not it: h now has proj_size = {proj_size} features, so what does the recurrent "
                  f"product multiply? And weight_hr maps the {hidden_size} values of o * tanh(c) to what?")


def check_last_layer_states(fn, num_layers: int = 3, seed: int = 0) -> bool:
    """``fn(h_n, num_layers) -> (forward, backward)``: the last layer's two final states of a biLSTM."""
    import torch

    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(4, 5, num_layers, bidirectional=True, batch_first=True)
    out, (h_n, _) = lstm(torch.randn(2, 6, 4))
    try:
        fw, bw = fn(h_n, num_layers)
    except Exception as error:
        return report(False, "", f"your function raised {type(error).__name__}: {error}")
    ok = torch.equal(fw, out[:, -1, :5]) and torch.equal(bw, out[:, 0, 5:])
    return report(ok, "right: h_n.view(num_layers, 2, B, H)[-1] holds (forward, backward)",
                  "not the last layer's states: view h_n as (num_layers, 2, B, H) and take layer -1")


__all__ += ["check_from_keras"]


def check_from_keras(fn, input_size: int = 3, hidden_size: int = 2, seed: int = 0) -> bool:
    """Exercise 04: ``fn(kernel, recurrent_kernel, bias) -> nn.LSTM`` (batch first) must compute
    what Keras computes with these weights: ``kernel`` (D, 4H), ``recurrent_kernel`` (H, 4H) and
    one ``bias`` (4H,), gates in the order i, f, c, o, ``z = x @ kernel + h @ recurrent_kernel + bias``."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    D, H = input_size, hidden_size
    kernel, recurrent_kernel = torch.randn(D, 4 * H, generator=gen), torch.randn(H, 4 * H, generator=gen)
    bias, x = torch.randn(4 * H, generator=gen), torch.randn(2, 5, D, generator=gen)  # x: (B, T, D)
    h, c, outputs = torch.zeros(2, H), torch.zeros(2, H), []
    for x_t in x.unbind(1):  # Keras' equations, one step at a time
        i, f, g, o = (x_t @ kernel + h @ recurrent_kernel + bias).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    want = torch.stack(outputs, dim=1)  # (B, T, H)
    try:
        lstm = fn(kernel.clone(), recurrent_kernel.clone(), bias.clone())
        with torch.no_grad():
            got = lstm(x)[0]
    except Exception as error:  # a student's bug: say what it was
        return report(False, "", f"your function raised {type(error).__name__}: {error}")
    ok = got.shape == want.shape and torch.allclose(got, want, atol=1e-5)
    return report(ok, "right: transpose kernel and recurrent_kernel, bias into bias_ih, zeros in bias_hh",
                  "not the same outputs: nn.LSTM stores W as (4H, D), so transpose; the gate order is the "
                  "same; the gates see bias_ih + bias_hh, so one of them must be 0; use batch_first=True")





# ---------------------------------------------------------------- notebook 05
__all__ += ["check_final_states"]


def check_final_states(fn) -> bool:
    """Notebook 05: ``fn(h_n, num_layers)`` must return the last layer's forward and backward
    final states of a bidirectional ``nn.LSTM``, concatenated to ``(B, 2H)``."""
    import torch
    from torch import nn

    torch.manual_seed(1)
    lstm = nn.LSTM(3, 4, num_layers=3, bidirectional=True, batch_first=True)
    out, (h_n, _) = lstm(torch.randn(2, 5, 3))
    want = torch.cat([out[:, -1, :4], out[:, 0, 4:]], dim=1)  # (B, 2H) from the outputs
    try:
        got = fn(h_n, 3)
    except Exception as err:  # a student's bug: say what happened, do not stop the notebook
        return report(False, "", f"your function raised {type(err).__name__}: {err}")
    ok = torch.is_tensor(got) and got.shape == want.shape and torch.allclose(got, want)
    return report(ok, "right: h_n.view(num_layers, 2, B, H)[-1] holds the last layer's two directions",
                  f"not yet: expected shape {tuple(want.shape)} equal to the outputs' final steps; "
                  "hint: h_n has shape (num_layers * 2, B, H), layer by layer, forward first")



# ---------------------------------------------------------------- notebook 06
__all__ += ["check_longest_verbatim", "check_top_k", "check_mixture_perplexity"]


def check_longest_verbatim(fn) -> bool:
    """``fn(line, corpus) -> str``: the longest substring of ``line`` found verbatim in ``corpus``."""
    from .lyrics import longest_verbatim

    cases = [("分开我想要", "我想要你"), ("不分开 我不能再想", "我不能再想 我不"), ("晴天", "雨天 晴"),
             ("abc", "xyz"), ("后知后觉", "后知后觉 又过了")]
    for line, corpus in cases:
        want = longest_verbatim(line, corpus)
        try:
            got = fn(line, corpus)
        except Exception as error:
            return report(False, "", f"your function raised {type(error).__name__}: {error}")
        if len(got) != len(want) or (got and got not in corpus) or got not in line:
            return report(False, "", f"for line {line!r} and corpus {corpus!r} the longest verbatim part is "
                                     f"{want!r} (length {len(want)}), you returned {got!r}")
    return report(True, f"right on all {len(cases)} cases (the empty string when nothing matches)", "")


def check_top_k(fn) -> bool:
    """``fn(logits, k) -> probs``: softmax over the ``k`` largest logits, zero elsewhere (1-D tensors)."""
    import torch

    gen = torch.Generator().manual_seed(0)
    for k in (1, 3, 10):
        logits = torch.randn(10, generator=gen, dtype=torch.float64)
        kth = torch.topk(logits, k).values[-1]
        want = torch.softmax(logits.masked_fill(logits < kth, float("-inf")), dim=-1)
        try:
            got = torch.as_tensor(fn(logits.clone(), k), dtype=torch.float64)
        except Exception as error:
            return report(False, "", f"your function raised {type(error).__name__}: {error}")
        if got.shape != want.shape or not torch.allclose(got, want, atol=1e-9):
            return report(False, "", f"k={k}: expected {want.numpy().round(3)}, got {got.numpy().round(3)}. "
                                     "Keep the k largest logits, set the rest to -inf, then softmax")
    return report(True, "top-k sampling probabilities are right (k = 1 is greedy, k = V is plain sampling)", "")


def check_mixture_perplexity(answer: float, p_lstm, p_ngram, lam: float) -> bool:
    """The perplexity of ``lam * p_lstm + (1 - lam) * p_ngram`` over the given per-token probabilities."""
    from .lyrics import interpolate

    import torch

    p_lstm, p_ngram = (torch.as_tensor(p, dtype=torch.float64) for p in (p_lstm, p_ngram))
    right = interpolate(p_lstm, p_ngram, lam)
    return report(abs(float(answer) - right) < 1e-6 * right, f"{right:.4f}: mix the probabilities first, then take "
                  "exp of the mean negative log", f"{float(answer):.4f} is not it ({right:.4f} expected). Mix the "
                  "probabilities (not the perplexities, not the log-probabilities) of each token, then "
                  "perplexity = exp(-mean(log p))")




__all__ += ["check_adam_first_step"]


def check_adam_first_step(answer: float, lr: float = 100.0) -> bool:
    """Exercise 06: how far Adam's first step moves a weight whose gradient is not tiny, measured on a
    small model: with bias correction m_1 = g and v_1 = g^2, so the step is lr * g / (|g| + eps), about lr."""
    import torch

    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(50))
    w.grad = torch.randn(50) * torch.logspace(-3, 3, 50)  # gradients over six orders of magnitude
    before = w.detach().clone()
    torch.optim.Adam([w], lr=lr).step()
    moved = (w.detach() - before).abs()
    right = float(moved.median())
    return report(abs(float(answer) - right) <= 1e-3 * right,
                  f"right: every weight moved by {moved.min():.3f} to {moved.max():.3f}, about lr = {lr:g}, "
                  "whatever the size of its gradient",
                  f"{float(answer):g} is not it: write Adam's first step with m_1 = g and v_1 = g^2, "
                  "lr * m_1 / (sqrt(v_1) + eps): what is g / |g|?")


# ---------------------------------------------------------------- notebook 07

__all__ += ["check_masked_accuracy", "check_unseen_share", "check_two_tags_for_one_word"]


def check_masked_accuracy(fn) -> bool:
    """Exercise 07.1: ``fn(scores (B, T, K), tags (B, T))`` must return the accuracy on the
    positions whose tag is not -100, as a float."""
    import torch

    generator = torch.Generator().manual_seed(7)
    scores = torch.randn(3, 5, 4, generator=generator)
    tags = scores.argmax(-1)
    tags[0, 1] = (tags[0, 1] + 1) % 4  # one mistake among the real positions
    tags[1, 3:] = -100
    tags[2, 2:] = -100
    real = int((tags != -100).sum())  # 10 real positions, 9 of them right
    try:
        got = float(fn(scores, tags))
    except Exception as err:  # a check reports, it does not raise
        return report(False, "", f"your function raised {type(err).__name__}: {err}")
    want = (real - 1) / real
    if abs(got - want) < 1e-6:
        return report(True, f"right: {real - 1} of {real} real positions, pads ignored", "")
    n = tags.numel()
    if abs(got - (real - 1) / n) < 1e-6 or abs(got - (n - 1) / n) < 1e-6:
        return report(False, "", f"got {got:.4f}: the padded positions were counted; keep only tags != -100")
    return report(False, "", f"got {got:.4f}, expected {want:.4f}: compare argmax(-1) with the tags "
                     "where tags != -100, then divide by the number of such positions")


def check_unseen_share(share: float, test_words, train_words) -> bool:
    """Exercise 07.2: the share of test *tokens* whose word (ignoring case) is not in training."""
    seen = {w.lower() for s in train_words for w in s}
    tokens = [w for s in test_words for w in s]
    want = sum(w.lower() not in seen for w in tokens) / len(tokens)
    types = {w.lower() for w in tokens}
    by_type = len(types - seen) / len(types)
    if abs(float(share) - want) < 1e-4:
        return report(True, f"right: {100 * want:.1f}% of the test tokens are unseen in training", "")
    if abs(float(share) - by_type) < 1e-4:
        return report(False, "", "that is the share of distinct words; count every occurrence (token) instead")
    return report(False, "", f"got {share}, expected {want:.4f}: lower-case both sides, count tokens")


def check_two_tags_for_one_word(tagged_a, tagged_b, word: str) -> bool:
    """Exercise 07.4: ``word`` is in both tagged sentences and gets a different tag in each."""
    tags_a = {t for w, t in tagged_a if w.lower() == word.lower()}
    tags_b = {t for w, t in tagged_b if w.lower() == word.lower()}
    if not tags_a or not tags_b:
        return report(False, "", f"{word!r} must appear in both sentences")
    if tags_a.isdisjoint(tags_b):
        return report(True, f"{word!r} is {'/'.join(sorted(tags_a))} in one sentence and "
                         f"{'/'.join(sorted(tags_b))} in the other: the context decided", "")
    return report(False, "", f"{word!r} got {sorted(tags_a)} and {sorted(tags_b)}: find contexts "
                     "that make it a different part of speech (e.g. a noun after 'a', a verb after 'to')")


# ---------------------------------------------------------------- notebook 08
__all__ += ["check_pearson", "check_line_position", "check_saturation", "check_r_squared"]


def _call(fn, *args):
    """``(result, None)``, or ``(None, message)`` when the student's function raised."""
    try:
        return fn(*args), None
    except Exception as error:  # a check reports, it does not raise
        return None, f"your function raised {type(error).__name__}: {error}"


def check_pearson(fn) -> bool:
    """Exercise 08.1: ``fn(x, y)`` (two 1-D tensors) must return Pearson's correlation r as a float."""
    import torch

    from .interpret import correlations

    g = torch.Generator().manual_seed(8)
    cases = [(torch.arange(10.0), 3 * torch.arange(10.0) + 1), (torch.arange(10.0), -torch.arange(10.0) ** 2)]
    x = torch.randn(50, generator=g)
    cases.append((x, x + torch.randn(50, generator=g)))
    for x, y in cases:
        want = float(correlations(x[:, None], y)[0])
        got, error = _call(fn, x.clone(), y.clone())
        if error:
            return report(False, "", error)
        if abs(float(got) - want) > 1e-5:
            hint = (" (that looks like the covariance: divide by both standard deviations)"
                    if abs(float(got)) > 1.0 + 1e-6 else "")
            return report(False, "", f"for x = {x[:4].tolist()}... expected r = {want:.4f}, got {float(got):.4f}{hint}")
    return report(True, "right: r is the covariance of the centred x and y divided by both their norms, in [-1, 1]", "")


def check_line_position(fn) -> bool:
    """Exercise 08.2: ``fn(text)`` must give each character's position in its line (0 after a line
    break; the line break itself gets the length of the line it ends)."""
    from .interpret import line_position

    for text in ("ab\ncde\n\nf", "一二三\n四五\n", "no break at all"):
        want = line_position(text).tolist()
        got, error = _call(fn, text)
        if error:
            return report(False, "", error)
        got = [float(v) for v in got]
        if got != want:
            return report(False, "", f"for {text!r} expected {want}, got {got}")
    return report(True, "right on all three texts, Chinese included", "")


def check_saturation(fn) -> bool:
    """Exercise 08.3: ``fn(gate)`` for a (T, H) tensor must return two (H,) tensors: the fraction of
    time steps each unit is below 0.1 and above 0.9."""
    import torch

    from .interpret import saturation

    gate = torch.rand(40, 6, generator=torch.Generator().manual_seed(8))
    want = saturation(gate)
    got, error = _call(fn, gate.clone())
    if error:
        return report(False, "", error)
    try:
        left, right = (torch.as_tensor(v, dtype=torch.float64) for v in got)
    except (TypeError, ValueError):
        return report(False, "", "return two tensors: (fraction below 0.1, fraction above 0.9)")
    if left.shape != want[0].shape or right.shape != want[1].shape:
        return report(False, "", f"expected two tensors of shape {tuple(want[0].shape)} (one number per unit), "
                                 f"got {tuple(left.shape)} and {tuple(right.shape)}: average over time, dim 0")
    if not (torch.allclose(left, want[0]) and torch.allclose(right, want[1])):
        return report(False, "", "the fractions are off: (gate < 0.1).float().mean(0) and (gate > 0.9).float().mean(0)")
    return report(True, "right: one pair of fractions per unit", "")


def check_r_squared(fn) -> bool:
    """Exercise 08.4: ``fn(y_true, y_pred)`` must return the coefficient of determination R²."""
    import torch

    from .interpret import r_squared

    y = torch.tensor([1.0, 2.0, 4.0, 7.0])
    for pred in (y.clone(), torch.full_like(y, float(y.mean())), torch.tensor([2.0, 2.0, 3.0, 5.0]), -y):
        want = r_squared(y, pred)
        got, error = _call(fn, y.clone(), pred.clone())
        if error:
            return report(False, "", error)
        if abs(float(got) - want) > 1e-6:
            return report(False, "", f"for predictions {pred.tolist()} expected R² = {want:.4f}, got {float(got):.4f}. "
                                     "R² = 1 - sum((y - pred)²) / sum((y - mean y)²); it can be negative")
    return report(True, "right: 1 for a perfect read-out, 0 for always guessing the mean, below 0 for worse", "")
