"""Gradients through time, measured: per-step norms ||dL/dh_t|| (and ||dL/dC_t||), and the
LSTM's cell-state Jacobian dC_t/dC_{t-1} written out and checked against autograd.

Notebook 01 derives backpropagation through time (BPTT) for a vanilla RNN,

    h_t = tanh(W_hh h_{t-1} + W_xh x_t + b),    dh_t/dh_{t-1} = diag(tanh'(a_t)) W_hh,

so that ||dL/dh_{T-k}|| <= ||dL/dh_T|| * (sigma_max(W_hh) * max tanh')^k with max tanh' = 1
(Bengio, Simard & Frasconi 1994; Pascanu, Mikolov & Bengio 2013, "On the difficulty of
training recurrent neural networks"). :func:`step_gradient_norms` measures the left side for
any recurrent module by unrolling it one step at a time and asking autograd for the gradient
with respect to every state; :func:`log_decay_rate` fits the slope that the bound predicts.

Notebook 02 writes the Jacobian of one LSTM step, from C_{t-1} to C_t, with h_{t-1} =
o_{t-1} * tanh(C_{t-1}) depending on C_{t-1} (Hochreiter & Schmidhuber 1997; the forget gate
of Gers, Schmidhuber & Cummins 2000):

    dC_t/dC_{t-1} = diag(f_t)
                  + [diag(C_{t-1} f_t (1 - f_t)) W_hf + diag(g_t i_t (1 - i_t)) W_hi
                     + diag(i_t (1 - g_t^2)) W_hg] diag(o_{t-1} (1 - tanh^2(C_{t-1}))),

where W_hi, W_hf, W_hg are the i, f, g blocks of PyTorch's ``weight_hh`` (stacked i, f, g, o,
H rows each). :func:`lstm_cell_state_jacobian` computes it; :func:`lstm_cell_state_map` is the
same step as a function of C_{t-1}, for ``torch.autograd.functional.jacobian``.

Convention: inputs are batch-first, ``x: (B, T, D)``, as everywhere in lstm_teach.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "StepGradients", "step_gradient_norms", "log_decay_rate", "set_recurrent_gain",
    "lstm_cell_state_map", "lstm_cell_state_jacobian",
]

_LAYERS = (nn.RNN, nn.GRU, nn.LSTM)
_CELLS = (nn.RNNCell, nn.GRUCell, nn.LSTMCell)


@dataclass
class StepGradients:
    """Per-step gradient norms of one loss, for t = 1 .. T."""

    t: torch.Tensor  # (T,) the steps 1 .. T
    h: torch.Tensor  # (T,) ||dL/dh_t||, Frobenius norm over batch (and layers)
    c: torch.Tensor | None  # (T,) ||dL/dC_t|| for an LSTM, else None
    loss: float  # the value of L


def _check_input(rnn: nn.Module, x: torch.Tensor) -> None:
    if not isinstance(rnn, _LAYERS + _CELLS):
        raise TypeError(
            f"step_gradient_norms needs nn.RNN, nn.GRU, nn.LSTM or one of their cells, got "
            f"{type(rnn).__name__}; for a model that wraps one, pass the recurrent layer itself "
            f"(e.g. model.rnn) and put the rest of the model in loss_fn")
    if isinstance(rnn, nn.LSTM) and rnn.proj_size > 0:
        raise ValueError("an LSTM with proj_size > 0 is not supported; measure one with proj_size=0")
    if isinstance(rnn, _LAYERS) and rnn.bidirectional:
        raise ValueError("a bidirectional layer has no single state per step: measure each direction "
                         "with its own unidirectional layer")
    if not isinstance(x, torch.Tensor) or x.dim() != 3:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(
            f"x must be a batch-first float tensor (B, T, D), got shape {shape}; for one sequence "
            f"of shape (T, D) use x.unsqueeze(0), for token ids one-hot encode or embed them first")
    if not x.is_floating_point():
        raise ValueError(f"x must be a float tensor (B, T, D), got dtype {x.dtype}; one-hot encode or "
                         f"embed token ids first")
    if x.shape[-1] != rnn.input_size:
        raise ValueError(f"x has D={x.shape[-1]} features per step but the module expects "
                         f"input_size={rnn.input_size}")
    if x.shape[1] < 1:
        raise ValueError("x has no time steps (T = 0)")


def _check_state(rnn: nn.Module, state0, B: int):
    """Return the initial state in the module's own layout, or None for zeros."""
    if state0 is None:
        return None
    is_lstm = isinstance(rnn, (nn.LSTM, nn.LSTMCell))
    parts = state0 if is_lstm else (state0,)
    if is_lstm and not (isinstance(state0, tuple) and len(state0) == 2):
        raise ValueError("an LSTM's state0 is a pair (h_0, C_0)")
    want = (B, rnn.hidden_size) if isinstance(rnn, _CELLS) else (rnn.num_layers, B, rnn.hidden_size)
    for p in parts:
        if tuple(p.shape) != want:
            raise ValueError(f"state0 has shape {tuple(p.shape)}, expected {want} "
                             f"({'(B, H)' if isinstance(rnn, _CELLS) else '(layers, B, H)'})")
    return state0


def step_gradient_norms(rnn: nn.Module, x: torch.Tensor, loss_fn=None, state0=None) -> StepGradients:
    """Measure ||dL/dh_t|| (and ||dL/dC_t|| for an LSTM) for every step t = 1 .. T.

    ``rnn`` is ``nn.RNN``, ``nn.GRU``, ``nn.LSTM`` (unidirectional, any number of layers, either
    ``batch_first``) or ``nn.RNNCell``, ``nn.GRUCell``, ``nn.LSTMCell``. ``x`` is ``(B, T, D)``.
    ``loss_fn(h_T)`` maps the last step's top-layer hidden state ``(B, H)`` to a scalar; the
    default is ``h_T.sum()``, so that dL/dh_T is all ones. The module is unrolled one step at a
    time, so h_t is a tensor of its own and ``torch.autograd.grad`` gives the *total* derivative
    dL/dh_t (through every later step), not only the direct one. Parameter ``.grad`` fields are
    left untouched.
    """
    _check_input(rnn, x)
    B, T, _ = x.shape
    state = _check_state(rnn, state0, B)
    is_lstm = isinstance(rnn, (nn.LSTM, nn.LSTMCell))
    is_cell = isinstance(rnn, _CELLS)
    hs, cs = [], []
    if is_lstm and state is None:
        H = rnn.hidden_size
        zeros = x.new_zeros((B, H) if is_cell else (rnn.num_layers, B, H))
        state = (zeros, zeros)
    if is_lstm and not is_cell:
        state = (list(state[0].unbind(0)), list(state[1].unbind(0)))  # per layer
    with torch.enable_grad():
        for t in range(T):
            x_t = x[:, t]  # (B, D)
            if is_lstm:
                state = _lstm_step(rnn, x_t, state)  # (h, C), written out so that C_t feeds h_t
            elif is_cell:
                state = rnn(x_t, state)  # h (B, H)
            else:
                step_in = x_t[:, None] if rnn.batch_first else x_t[None]  # one step, (B, 1, D) or (1, B, D)
                _, state = rnn(step_in, state)  # h (layers, B, H)
            h, c = state if is_lstm else (state, None)
            hs.append(h)
            if c is not None:
                cs.append(c)
        h_top = hs[-1] if is_cell else hs[-1][-1]  # (B, H)
        loss = h_top.sum() if loss_fn is None else loss_fn(h_top)
        if loss.dim() != 0:
            raise ValueError(f"loss_fn must return a scalar, got shape {tuple(loss.shape)}")
        # one entry per step; an LSTM layer keeps a list with one tensor per layer
        per_step = [list(v) if isinstance(v, list) else [v] for v in hs + cs]
        flat = [v for vs in per_step for v in vs]
        grads = iter(torch.autograd.grad(loss, flat, allow_unused=True))

    def norm(vs):  # Frobenius norm over batch and layers of one step's gradient
        gs = [next(grads) for _ in vs]
        return torch.sqrt(sum(torch.zeros((), dtype=torch.float64) if g is None
                              else g.detach().double().pow(2).sum().cpu() for g in gs))

    norms = torch.stack([norm(vs) for vs in per_step])  # (T,) or (2T,) for an LSTM
    return StepGradients(t=torch.arange(1, T + 1), h=norms[:T].to(x.dtype),
                         c=norms[T:].to(x.dtype) if is_lstm else None, loss=loss.item())


def _lstm_step(rnn: nn.LSTM | nn.LSTMCell, x_t, state):
    """One LSTM step from the module's own weights, every layer: returns (h_t, C_t).

    PyTorch's fused LSTM kernels return h_t and C_t side by side, so in autograd's graph C_t is
    not an input of h_t, and the gradient "with respect to C_t" would miss the path through
    h_t = o * tanh(C_t). Writing the step out keeps that path (and gives the same numbers).
    """
    h_prev, c_prev = state
    if isinstance(rnn, nn.LSTMCell):
        layers = [(rnn.weight_ih, rnn.weight_hh, rnn.bias_ih if rnn.bias else None,
                   rnn.bias_hh if rnn.bias else None)]
        h_prev, c_prev = h_prev[None], c_prev[None]  # (1, B, H)
    else:
        layers = [(getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}"),
                   getattr(rnn, f"bias_ih_l{k}", None), getattr(rnn, f"bias_hh_l{k}", None))
                  for k in range(rnn.num_layers)]
    hs, cs, inp = [], [], x_t
    for k, (W_ih, W_hh, b_ih, b_hh) in enumerate(layers):
        z = inp @ W_ih.T + h_prev[k] @ W_hh.T  # (B, 4H), blocks i, f, g, o
        if b_ih is not None:
            z = z + b_ih + b_hh
        z_i, z_f, z_g, z_o = z.chunk(4, dim=-1)
        c = torch.sigmoid(z_f) * c_prev[k] + torch.sigmoid(z_i) * torch.tanh(z_g)  # C_t = f C_{t-1} + i g
        h = torch.sigmoid(z_o) * torch.tanh(c)  # h_t = o tanh(C_t)
        hs.append(h)
        cs.append(c)
        inp = h  # the next layer reads this one's h_t (dropout between layers is not applied)
    if isinstance(rnn, nn.LSTMCell):
        return hs[0], cs[0]
    return hs, cs  # lists of (B, H), one per layer: each C_t is an input of its h_t


def log_decay_rate(norms: torch.Tensor, skip: int = 0) -> float:
    """Least-squares slope of ln ||dL/dh_{T-k}|| against k = 0, 1, ... (steps back from T).

    The bound predicts a slope of at most ln(sigma_max(W_hh) * max tanh') = ln(sigma_max):
    negative means the gradient vanishes going back in time, positive that it explodes.
    ``skip`` leaves out the first ``skip`` steps back (the transient near T).
    """
    back = torch.as_tensor(norms, dtype=torch.float64).flip(0)[skip:]  # k = skip, skip + 1, ...
    if back.numel() < 2 or (back <= 0).any():
        raise ValueError("need at least two positive norms to fit a slope")
    k = torch.arange(back.numel(), dtype=torch.float64)
    y = back.log()
    k_c, y_c = k - k.mean(), y - y.mean()
    return float((k_c * y_c).sum() / (k_c * k_c).sum())


def set_recurrent_gain(rnn: nn.Module, gain: float, seed: int = 0) -> torch.Tensor:
    """Set W_hh to ``gain`` times a random orthogonal matrix; return the new W_hh.

    An orthogonal matrix has every singular value equal to 1, so gain * Q has spectral radius
    and largest singular value both equal to ``gain``: the bound and the measured decay talk
    about the same number. Works on ``nn.RNN`` (first layer) and ``nn.RNNCell``.
    """
    if not isinstance(rnn, (nn.RNN, nn.RNNCell)):
        raise TypeError(f"set_recurrent_gain is for nn.RNN / nn.RNNCell, got {type(rnn).__name__}")
    W = rnn.weight_hh_l0 if isinstance(rnn, nn.RNN) else rnn.weight_hh  # (H, H)
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(W.shape, generator=g, dtype=torch.float64)
    Q, R = torch.linalg.qr(A)
    Q = Q * torch.sign(torch.diagonal(R))  # a uniformly random orthogonal matrix
    with torch.no_grad():
        W.copy_(gain * Q)
    return W.detach()


def _lstm_gates(cell: nn.LSTMCell, x, h_prev):
    """Gate values i, f, g, o of one step, each (H,), from PyTorch's stacked (i, f, g, o) weights."""
    z = cell.weight_ih @ x + cell.weight_hh @ h_prev  # (4H,)
    if cell.bias:
        z = z + cell.bias_ih + cell.bias_hh
    z_i, z_f, z_g, z_o = z.chunk(4)
    return torch.sigmoid(z_i), torch.sigmoid(z_f), torch.tanh(z_g), torch.sigmoid(z_o)


def _check_cell_args(cell, x, c_prev, o_prev):
    if not isinstance(cell, nn.LSTMCell):
        raise TypeError(f"need an nn.LSTMCell, got {type(cell).__name__}")
    H, D = cell.hidden_size, cell.input_size
    for name, v, n in (("x", x, D), ("c_prev", c_prev, H), ("o_prev", o_prev, H)):
        if v.dim() != 1 or v.shape[0] != n:
            raise ValueError(f"{name} must be one example of shape ({n},), got {tuple(v.shape)}; "
                             f"the Jacobian is per example, so take x[0], c[0], ...")


def lstm_cell_state_map(cell: nn.LSTMCell, x: torch.Tensor, o_prev: torch.Tensor):
    """The function C_{t-1} -> C_t of one LSTM step, with h_{t-1} = o_{t-1} * tanh(C_{t-1}).

    ``x`` (D,) and ``o_prev`` (H,) are held fixed: o_{t-1} comes from the step before and does
    not depend on C_{t-1}. Give the result to ``torch.autograd.functional.jacobian``.
    """
    def C_t(c_prev):  # (H,) -> (H,)
        _check_cell_args(cell, x, c_prev, o_prev)
        h_prev = o_prev * torch.tanh(c_prev)
        i, f, g, _ = _lstm_gates(cell, x, h_prev)
        return f * c_prev + i * g

    return C_t


def lstm_cell_state_jacobian(cell: nn.LSTMCell, x: torch.Tensor, c_prev: torch.Tensor,
                             o_prev: torch.Tensor) -> torch.Tensor:
    """dC_t/dC_{t-1}, (H, H), from the formula in the module docstring (no autograd)."""
    _check_cell_args(cell, x, c_prev, o_prev)
    H = cell.hidden_size
    with torch.no_grad():
        h_prev = o_prev * torch.tanh(c_prev)
        i, f, g, _ = _lstm_gates(cell, x, h_prev)
        W_hi, W_hf, W_hg, _ = cell.weight_hh.split(H)  # each (H, H)
        dh_prev = torch.diag(o_prev * (1 - torch.tanh(c_prev) ** 2))  # dh_{t-1}/dC_{t-1}
        through_h = (torch.diag(c_prev * f * (1 - f)) @ W_hf  # via the forget gate
                     + torch.diag(g * i * (1 - i)) @ W_hi  # via the input gate
                     + torch.diag(i * (1 - g ** 2)) @ W_hg)  # via the candidate
        return torch.diag(f) + through_h @ dh_prev
