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



# ---------------------------------------------------------------- notebook 02



# ---------------------------------------------------------------- notebook 03
__all__ += ["check_param_count", "check_gate_rows", "check_lstm_step"]


def check_param_count(answer: int, vocab_size: int = 28, num_hiddens: int = 256) -> bool:
    """The number of parameters of the one-layer scratch language model (LSTM + output layer)."""
    V, H = vocab_size, num_hiddens
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
                  f"rows {got[0]}:{got[1]} are not gate {gate}; nn.LSTM stacks the gates in the order i, f, g, o, H rows each")


def check_lstm_step(step, input_size: int = 5, hidden_size: int = 4, seed: int = 0) -> bool:
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
__all__ += ["check_h_n_shape", "check_last_layer_states"]


def check_h_n_shape(answer, num_layers: int, bidirectional: bool, batch_size: int, hidden_size: int,
                    proj_size: int = 0) -> bool:
    """The shape of ``h_n`` for an ``nn.LSTM`` with these arguments."""
    right = (num_layers * (2 if bidirectional else 1), batch_size, proj_size or hidden_size)
    return report(tuple(answer) == right, f"h_n is {right}: (num_layers * num_directions, B, proj_size or H)",
                  f"{tuple(answer)} is not it: h_n is (num_layers * num_directions, B, H_out), "
                  "batch_first or not, and H_out is proj_size when proj_size > 0")


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





# ---------------------------------------------------------------- notebook 05



# ---------------------------------------------------------------- notebook 06



# ---------------------------------------------------------------- notebook 07

