"""LSTM models: the from-scratch LSTM of notebook 03, its faster forms, and language models.

Derived step by step in ``notebooks/03_lstm_from_scratch.ipynb``; ``04_nn_lstm.ipynb`` and
``06_jaychou_lyrics.ipynb`` import it. The update rule (Hochreiter & Schmidhuber 1997, with the
forget gate of Gers, Schmidhuber & Cummins 2000), written as d2l section 10.1 (9.2 in the Chinese
edition) writes it, for a batch ``X_t`` of shape ``(B, D)`` and states of shape ``(B, H)``::

    I_t = sigmoid(X_t W_xi + H_{t-1} W_hi + b_i)      input gate   输入门
    F_t = sigmoid(X_t W_xf + H_{t-1} W_hf + b_f)      forget gate  遗忘门
    O_t = sigmoid(X_t W_xo + H_{t-1} W_ho + b_o)      output gate  输出门
    C~_t = tanh(X_t W_xc + H_{t-1} W_hc + b_c)        candidate memory cell 候选记忆元
    C_t = F_t * C_{t-1} + I_t * C~_t                  memory cell  记忆元
    H_t = O_t * tanh(C_t)                             hidden state 隐状态

**The one place that states how this maps to ``nn.LSTM``.** ``nn.LSTM`` stacks the four gates
in the order (i, f, g, o), where g is the candidate C~, and multiplies from the left:
``weight_ih_l0`` is ``(4H, D)`` = ``[W_xi; W_xf; W_xc; W_xo]`` transposed, ``weight_hh_l0`` is
``(4H, H)`` likewise, and it keeps two biases, ``bias_ih_l0 + bias_hh_l0`` = ``[b_i; b_f; b_c; b_o]``.
So ``W_xi = weight_ih_l0[0:H].T``, ``W_xf = weight_ih_l0[H:2H].T``, ``W_xc = weight_ih_l0[2H:3H].T``,
``W_xo = weight_ih_l0[3H:4H].T``. :func:`copy_from_nn_lstm` and :func:`copy_to_nn_lstm` do this.

Every :class:`LSTMScratch` holds the same parameters and computes the same function; its
``variant`` only changes how (notebook 03 times each):

* ``"naive"``: d2l's form, eight small matrix products per time step.
* ``"fused"``: the four gates at once, ``X_t W_x + H_{t-1} W_h + b`` then ``.chunk(4)``
  (labml's and fastbook's LSTMs), two products per step.
* ``"hoisted"``: ``X W_x + b`` for all time steps in one big product before the loop; one
  product per step is left inside it.
* ``"handwritten"``: as ``"hoisted"``, with the backward pass through time written by hand
  (:class:`LSTMRecurrence`) instead of recorded by autograd step by step.

Token ids as input (a ``(B, T)`` integer tensor) mean one-hot vectors; the variants that hoist
the input product read the rows of ``W_x`` instead of multiplying by one-hot vectors (an
embedding lookup: the same numbers, without the ``(B*T, V) x (V, 4H)`` product).

Convention: batch first, ``X`` is ``(B, T, D)``; states are ``(L, B, H)`` as in ``nn.LSTM``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "VARIANTS", "LSTMLayerScratch", "LSTMScratch", "LSTMRecurrence", "RNNLM",
    "copy_from_nn_lstm", "copy_to_nn_lstm", "to_nn_lstm_lm", "make_lstm_lm", "compare_with_nn_lstm",
]

VARIANTS = ("naive", "fused", "hoisted", "handwritten")
_GATES = ("i", "f", "c", "o")  # nn.LSTM's order (i, f, g, o); g is d2l's candidate C~ ("c")


class LSTMLayerScratch(nn.Module):
    """One LSTM layer with parameters named after the equations (``W_xi``, ``W_hi``, ``b_i``, ...).

    Initialised as d2l does: weights ~ N(0, sigma^2) with sigma = 0.01, biases zero.
    """

    def __init__(self, input_size: int, hidden_size: int, sigma: float = 0.01):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        for g in _GATES:
            setattr(self, f"W_x{g}", nn.Parameter(torch.randn(input_size, hidden_size) * sigma))
            setattr(self, f"W_h{g}", nn.Parameter(torch.randn(hidden_size, hidden_size) * sigma))
            setattr(self, f"b_{g}", nn.Parameter(torch.zeros(hidden_size)))

    def fused(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``W_x`` (D, 4H), ``W_h`` (H, 4H), ``b`` (4H,) with the gates side by side, order (i, f, c, o)."""
        W_x = torch.cat([getattr(self, f"W_x{g}") for g in _GATES], dim=1)
        W_h = torch.cat([getattr(self, f"W_h{g}") for g in _GATES], dim=1)
        b = torch.cat([getattr(self, f"b_{g}") for g in _GATES])
        return W_x, W_h, b

    # ------------------------------------------------------------ one layer, four ways
    def forward(self, X: torch.Tensor, H: torch.Tensor, C: torch.Tensor, variant: str = "hoisted"):
        """``X`` (B, T, D) floats or (B, T) token ids; ``H``, ``C`` (B, H). Returns (B, T, H), H_T, C_T."""
        if variant == "naive":
            return self._naive(_one_hot(X, self.input_size, self.W_xi.dtype), H, C)
        W_x, W_h, b = self.fused()
        if variant == "fused":
            return self._fused(_one_hot(X, self.input_size, W_x.dtype), H, C, W_x, W_h, b)
        if variant == "handwritten":  # time-major (T, B, 4H), so that each step's rows are contiguous
            if X.dtype == torch.long:
                XW = F.embedding(X.T, W_x) + b
            else:
                XW = X.transpose(0, 1) @ W_x + b
            outputs, C = LSTMRecurrence.apply(XW, H, C, W_h)  # (T, B, H)
            return outputs.transpose(0, 1), outputs[-1], C
        if X.dtype == torch.long:  # one-hot rows times W_x = rows of W_x
            XW = F.embedding(X, W_x) + b  # (B, T, 4H)
        else:
            XW = X @ W_x + b  # (B, T, 4H): one product for all time steps
        if variant == "hoisted":
            return self._hoisted(XW, H, C, W_h)
        raise ValueError(f"variant={variant!r}: use one of {VARIANTS}")

    def _naive(self, X, H, C):
        outputs = []
        for X_t in X.unbind(1):  # X_t: (B, D)
            I = torch.sigmoid(X_t @ self.W_xi + H @ self.W_hi + self.b_i)
            F_ = torch.sigmoid(X_t @ self.W_xf + H @ self.W_hf + self.b_f)
            O = torch.sigmoid(X_t @ self.W_xo + H @ self.W_ho + self.b_o)
            C_tilde = torch.tanh(X_t @ self.W_xc + H @ self.W_hc + self.b_c)
            C = F_ * C + I * C_tilde
            H = O * torch.tanh(C)
            outputs.append(H)
        return torch.stack(outputs, dim=1), H, C  # (B, T, H)

    @staticmethod
    def _fused(X, H, C, W_x, W_h, b):
        outputs = []
        for X_t in X.unbind(1):
            I, F_, C_tilde, O = (X_t @ W_x + H @ W_h + b).chunk(4, dim=-1)  # 4 x (B, H)
            C = torch.sigmoid(F_) * C + torch.sigmoid(I) * torch.tanh(C_tilde)
            H = torch.sigmoid(O) * torch.tanh(C)
            outputs.append(H)
        return torch.stack(outputs, dim=1), H, C

    @staticmethod
    def _hoisted(XW, H, C, W_h):
        outputs = []
        for XW_t in XW.unbind(1):  # unbind, not XW[:, t]: one backward node instead of T
            I, F_, C_tilde, O = torch.addmm(XW_t, H, W_h).chunk(4, dim=-1)
            C = torch.sigmoid(F_) * C + torch.sigmoid(I) * torch.tanh(C_tilde)
            H = torch.sigmoid(O) * torch.tanh(C)
            outputs.append(H)
        return torch.stack(outputs, dim=1), H, C


def _one_hot(X: torch.Tensor, size: int, dtype: torch.dtype) -> torch.Tensor:
    if X.dtype == torch.long:
        return F.one_hot(X, size).to(dtype)  # (B, T, V)
    return X


# ---------------------------------------------------------------- oneDNN: the only private PyTorch calls
# ``torch.ops.mkldnn._reorder_linear_weight`` and ``torch.ops.mkldnn._linear_pointwise`` are PyTorch
# internals (its own CPU inference path uses them), not public API: a release may change or drop
# them. They are called here and nowhere else, and only when they exist and give ``F.linear``'s
# result on a small probe at import; otherwise :func:`_pack` returns ``W`` as it is and
# :func:`_linear` is ``F.linear``: the hand-written LSTM is then slower, never wrong.
# tests/test_models.py runs it both ways (``_ONEDNN = False`` is the pure-PyTorch fallback).
def _onednn_works(ops=torch.ops.mkldnn) -> bool:
    """True when the two private oneDNN ops exist in ``ops`` and compute ``F.linear`` on a probe."""
    if not (torch.backends.mkldnn.is_available() and hasattr(ops, "_linear_pointwise")
            and hasattr(ops, "_reorder_linear_weight")):
        return False
    try:
        gen = torch.Generator().manual_seed(0)
        X, W = torch.randn(3, 8, generator=gen), torch.randn(5, 8, generator=gen)
        out = ops._linear_pointwise(X, ops._reorder_linear_weight(W, 3), None, "none", [], "")
        return bool(torch.allclose(out, F.linear(X, W), atol=1e-5))
    except Exception:  # a changed signature or a missing kernel: fall back to F.linear
        return False


_ONEDNN = _onednn_works()


def _onednn(X: torch.Tensor) -> bool:
    return _ONEDNN and X.device.type == "cpu" and X.dtype == torch.float32


def _pack(W: torch.Tensor, batch_size: int) -> torch.Tensor:
    """``W`` (out, in) laid out once in oneDNN's blocked format for many products by :func:`_linear`.

    Why: on the CPU, ``nn.LSTM`` runs on oneDNN, which lays its weights out once per call and
    reuses them at every time step. On an AMD CPU of this course, PyTorch's default matrix product
    (Intel MKL) took about 1.7x as long for the (32, 256) x (256, 1024) product of one time step;
    on an Intel Xeon the two took the same time. On both, oneDNN on a packed weight took about
    0.8x as long as on a plain one.
    """
    if _onednn(W):
        return torch.ops.mkldnn._reorder_linear_weight(W, batch_size)
    return W


def _linear(X: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """``X @ W.T`` for ``W`` of shape (out, in), plain or packed by :func:`_pack`."""
    if _onednn(X):
        return torch.ops.mkldnn._linear_pointwise(X, W, None, "none", [], "")
    return F.linear(X, W)


# ---------------------------------------------------------------- the loop with a hand-written backward
class LSTMRecurrence(torch.autograd.Function):
    """The loop over time with a hand-written backward pass (backpropagation through time).

    ``forward(XW, H_0, C_0, W_h)`` takes the hoisted input products ``XW`` (T, B, 4H) with the
    bias already added, and returns all hidden states (T, B, H) and the last memory cell (B, H).
    The backward loop applies the chain rule to the equations above from ``t = T`` down to 1;
    the products that do not depend on time, ``dW_h = sum_t H_{t-1}^T dG_t``, are done once
    after the loop as one big matrix product. Checked against autograd with ``gradcheck``.
    """

    @staticmethod
    def forward(ctx, XW, H, C, W_h):
        T, B, H4 = XW.shape
        hidden_size = H4 // 4
        XW = XW.contiguous()
        gates = torch.empty_like(XW)  # (T, B, 4H) after the nonlinearities: I, F, C~, O
        cells = XW.new_empty(T + 1, B, hidden_size)  # C_0 .. C_T
        tanh_cells = XW.new_empty(T, B, hidden_size)
        outputs = XW.new_empty(T + 1, B, hidden_size)  # H_0 .. H_T
        cells[0], outputs[0] = C, H
        W_hT = _pack(W_h.T.contiguous(), B)  # (4H, H), laid out once for the T products below
        for t in range(T):
            G = torch.add(XW[t], _linear(outputs[t], W_hT), out=gates[t])  # (B, 4H)
            G[:, :2 * hidden_size].sigmoid_()  # I, F
            G[:, 2 * hidden_size:3 * hidden_size].tanh_()  # C~
            G[:, 3 * hidden_size:].sigmoid_()  # O
            I, F_, C_tilde, O = G.chunk(4, dim=1)
            torch.mul(F_, cells[t], out=cells[t + 1]).addcmul_(I, C_tilde)  # C_t = F*C + I*C~
            torch.tanh(cells[t + 1], out=tanh_cells[t])
            torch.mul(O, tanh_cells[t], out=outputs[t + 1])  # H_t = O * tanh(C_t)
        ctx.save_for_backward(gates, cells, tanh_cells, outputs, W_h)
        return outputs[1:].clone(), cells[T].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dH_all, dC_T):
        gates, cells, tanh_cells, outputs, W_h = ctx.saved_tensors
        T, B, hidden_size = tanh_cells.shape
        dG = torch.empty_like(gates)  # (T, B, 4H): gradients before the nonlinearities
        dC = torch.zeros_like(cells[0]) if dC_T is None else dC_T.clone()
        dH_next = torch.zeros_like(outputs[0])
        # s' = s (1 - s) for the sigmoid gates, tanh' = 1 - tanh^2 for C~: all four at once
        W_h_packed = _pack(W_h, B)  # (H, 4H) as a weight of shape (out, in)
        slopes = gates * (1 - gates)  # (T, B, 4H)
        slopes[:, :, 2 * hidden_size:3 * hidden_size] = 1 - gates[:, :, 2 * hidden_size:3 * hidden_size] ** 2
        dtanh_cells = 1 - tanh_cells * tanh_cells  # (T, B, H)
        for t in reversed(range(T)):
            dH = dH_next if dH_all is None else dH_all[t] + dH_next
            I, F_, C_tilde, O = gates[t].chunk(4, dim=1)
            dC.addcmul_(dH * O, dtanh_cells[t])  # through H_t = O * tanh(C_t)
            # dL/d(gate) before the slope: dC*C~, dC*C_{t-1}, dC*I, dH*tanh(C_t)
            torch.cat([dC * C_tilde, dC * cells[t], dC * I, dH * tanh_cells[t]], dim=1, out=dG[t])
            dG[t] *= slopes[t]
            dC = dC * F_  # C_{t-1} reaches C_t through F_t
            dH_next = _linear(dG[t], W_h_packed)  # dG_t W_h^T: H_{t-1} reaches all gates through W_h
        # sum over t of H_{t-1}^T dG_t, as one big product after the loop
        dG_all = dG.reshape(T * B, 4 * hidden_size).T.contiguous()  # (4H, T*B)
        H_all = outputs[:-1].reshape(T * B, hidden_size).T.contiguous()  # (H, T*B)
        dW_h = _linear(dG_all, H_all).T
        return dG, dH_next, dC, dW_h


class LSTMScratch(nn.Module):
    """A multi-layer LSTM from scratch, equal to ``nn.LSTM(batch_first=True)`` (see notebook 03).

    ``forward(X, state=None)`` takes ``X`` of shape (B, T, D) (floats) or (B, T) (token ids,
    meaning one-hot vectors of size ``input_size``) and ``state = (H, C)`` of shape (L, B, H)
    each, or None for zeros; it returns the top layer's outputs (B, T, H) and ``(H_n, C_n)``.
    ``dropout`` acts between layers in training mode, as in ``nn.LSTM``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 variant: str = "hoisted", dropout: float = 0.0, sigma: float = 0.01):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant={variant!r}: use one of {VARIANTS}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.variant, self.dropout = variant, dropout
        sizes = [input_size] + [hidden_size] * (num_layers - 1)
        self.layers = nn.ModuleList(LSTMLayerScratch(d, hidden_size, sigma) for d in sizes)

    def forward(self, X: torch.Tensor, state=None):
        if not torch.is_tensor(X):
            raise TypeError(f"X must be a tensor, (B, T, D) floats or (B, T) token ids; got {type(X).__name__}")
        if X.dtype == torch.long:
            if X.dim() != 2:
                raise ValueError(f"token ids must be (B, T), got shape {tuple(X.shape)}")
        elif not X.is_floating_point():
            raise TypeError(f"X has dtype {X.dtype}: token ids must be torch.long (X.long()), inputs floats")
        elif X.dim() != 3 or X.shape[-1] != self.input_size:
            raise ValueError(f"X must be (B, T, {self.input_size}) (batch first) or (B, T) token ids, "
                             f"got shape {tuple(X.shape)}")
        elif X.dtype != self._dtype():
            raise TypeError(f"X is {X.dtype} but the weights are {self._dtype()}: convert one of them "
                            f"(X.to({self._dtype()}) or model.to({X.dtype}))")
        if X.shape[1] == 0:
            raise ValueError(f"X has no time steps (shape {tuple(X.shape)}): give at least one per sequence")
        B = X.shape[0]
        if state is None:
            zeros = X.new_zeros(self.num_layers, B, self.hidden_size, dtype=self._dtype())
            state = (zeros, zeros)
        if not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise TypeError("state must be a pair (H, C) of tensors of shape (L, B, H), or None")
        H0, C0 = state
        for name, S in (("H", H0), ("C", C0)):
            if tuple(S.shape) != (self.num_layers, B, self.hidden_size):
                raise ValueError(f"state must be two tensors of shape (L, B, H) = "
                                 f"{(self.num_layers, B, self.hidden_size)}, got {name} of shape {tuple(S.shape)}")
        H_n, C_n = [], []
        for k, layer in enumerate(self.layers):
            if k > 0 and self.dropout and self.training:
                X = F.dropout(X, self.dropout, training=True)
            X, H, C = layer(X, H0[k], C0[k], self.variant)
            H_n.append(H)
            C_n.append(C)
        return X, (torch.stack(H_n), torch.stack(C_n))

    def _dtype(self):
        return self.layers[0].W_xi.dtype


# ---------------------------------------------------------------- weights to and from nn.LSTM
def _check_pair(scratch: LSTMScratch, lstm: nn.LSTM) -> None:
    if not isinstance(lstm, nn.LSTM) or lstm.bidirectional or lstm.proj_size or not lstm.bias:
        raise ValueError("need an nn.LSTM with bias=True, bidirectional=False and proj_size=0")
    if (lstm.input_size, lstm.hidden_size, lstm.num_layers) != (
            scratch.input_size, scratch.hidden_size, scratch.num_layers):
        raise ValueError(f"sizes differ: nn.LSTM {(lstm.input_size, lstm.hidden_size, lstm.num_layers)} vs "
                         f"scratch {(scratch.input_size, scratch.hidden_size, scratch.num_layers)} "
                         "(input_size, hidden_size, num_layers)")


@torch.no_grad()
def copy_from_nn_lstm(scratch: LSTMScratch, lstm: nn.LSTM) -> LSTMScratch:
    """Set the scratch parameters so that ``scratch`` computes what ``lstm`` computes."""
    _check_pair(scratch, lstm)
    hidden_size = scratch.hidden_size
    for k, layer in enumerate(scratch.layers):
        W_ih, W_hh = getattr(lstm, f"weight_ih_l{k}"), getattr(lstm, f"weight_hh_l{k}")
        b = getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}")
        for j, g in enumerate(_GATES):  # rows [jH, (j+1)H) hold gate g
            getattr(layer, f"W_x{g}").copy_(W_ih[j * hidden_size:(j + 1) * hidden_size].T)
            getattr(layer, f"W_h{g}").copy_(W_hh[j * hidden_size:(j + 1) * hidden_size].T)
            getattr(layer, f"b_{g}").copy_(b[j * hidden_size:(j + 1) * hidden_size])
    return scratch


@torch.no_grad()
def copy_to_nn_lstm(scratch: LSTMScratch, lstm: nn.LSTM) -> nn.LSTM:
    """Set ``lstm``'s weights from ``scratch``: ``bias_ih`` gets ``b``, ``bias_hh`` zeros."""
    _check_pair(scratch, lstm)
    for k, layer in enumerate(scratch.layers):
        W_x, W_h, b = layer.fused()
        getattr(lstm, f"weight_ih_l{k}").copy_(W_x.T)
        getattr(lstm, f"weight_hh_l{k}").copy_(W_h.T)
        getattr(lstm, f"bias_ih_l{k}").copy_(b)
        getattr(lstm, f"bias_hh_l{k}").zero_()
    return lstm


def to_nn_lstm_lm(model: RNNLM) -> RNNLM:
    """An ``RNNLM`` around ``nn.LSTM`` computing what ``model`` (an ``RNNLM`` around ``LSTMScratch``) computes.

    A scratch model reading token ids (``ids_in``) means one-hot input, which is what the copy
    gets; an embedding and the output layer are copied as they are (notebook 06 times the two).
    """
    scratch = model.rnn
    lstm = nn.LSTM(scratch.input_size, scratch.hidden_size, scratch.num_layers, batch_first=True)
    copy_to_nn_lstm(scratch, lstm)
    embed = model.embedding.embedding_dim if model.embedding is not None else None
    twin = RNNLM(lstm, model.vocab_size, embed_size=embed, dropout=model.dropout)
    with torch.no_grad():
        twin.W_hq.copy_(model.W_hq)
        twin.b_q.copy_(model.b_q)
        if embed:
            twin.embedding.weight.copy_(model.embedding.weight)
    return twin.to(model.W_hq.device).eval()


# ---------------------------------------------------------------- language models
class RNNLM(nn.Module):
    """A language model around any LSTM with ``nn.LSTM(batch_first=True)``'s interface.

    Token ids (B, T) go in as one-hot vectors (d2l's choice; ``ids_in=True`` hands the ids to
    an :class:`LSTMScratch`, which reads rows of ``W_x`` instead) or, with ``embed_size``,
    through an ``nn.Embedding``. The output layer gives the logits ``Z_t = H_t W_hq + b_q`` (B, T, V)
    (Z, not O: ``O_t`` is the output gate).
    ``forward(X, state)`` returns the logits and the new state, for training and generation.
    ``dropout`` acts on the LSTM's outputs before the output layer, in training mode only
    (dropout on the non-recurrent connections, Zaremba, Sutskever & Vinyals 2014).
    """

    def __init__(self, rnn: nn.Module, vocab_size: int, embed_size: int | None = None,
                 ids_in: bool = False, dropout: float = 0.0, sigma: float = 0.01):
        super().__init__()
        self.rnn, self.vocab_size, self.ids_in, self.dropout = rnn, vocab_size, ids_in, dropout
        self.embedding = nn.Embedding(vocab_size, embed_size) if embed_size else None
        want = embed_size or vocab_size
        if rnn.input_size != want:
            raise ValueError(f"the rnn's input_size is {rnn.input_size}; it must be {want} "
                             f"({'embed_size' if embed_size else 'the vocabulary size, for one-hot input'})")
        if ids_in and (embed_size or not isinstance(rnn, LSTMScratch)):
            raise ValueError("ids_in=True needs an LSTMScratch rnn and no embedding")
        self.W_hq = nn.Parameter(torch.randn(rnn.hidden_size, vocab_size) * sigma)
        self.b_q = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, X: torch.Tensor, state=None):
        if X.dtype != torch.long or X.dim() != 2:
            raise ValueError(f"a language model reads token ids of shape (B, T), got {X.dtype} {tuple(X.shape)}")
        if self.embedding is not None:
            inputs = self.embedding(X)  # (B, T, E)
        elif self.ids_in:
            inputs = X  # the scratch LSTM looks up rows of W_x
        else:
            inputs = F.one_hot(X, self.vocab_size).to(self.W_hq.dtype)  # (B, T, V)
        outputs, state = self.rnn(inputs, state)  # (B, T, H)
        outputs = F.dropout(outputs, self.dropout, self.training)
        return outputs @ self.W_hq + self.b_q, state  # (B, T, V)


def make_lstm_lm(vocab_size: int, hidden_size: int = 256, num_layers: int = 1,
                 kind: str = "nn", variant: str = "handwritten", embed_size: int | None = None,
                 dropout: float = 0.0, ids_in: bool | None = None) -> RNNLM:
    """An LSTM language model: ``kind="nn"`` uses ``nn.LSTM`` (the concise model of notebook 04),
    ``kind="scratch"`` an :class:`LSTMScratch` of the given variant (reading ids directly,
    unless ``embed_size`` is given or the variant is ``"naive"``/``"fused"``, which take one-hot
    input; ``ids_in=False`` forces one-hot input). ``dropout`` acts between layers and on the
    top layer's outputs."""
    input_size = embed_size or vocab_size
    if kind == "nn":
        rnn = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True,
                      dropout=dropout if num_layers > 1 else 0.0)  # nn.LSTM warns otherwise
        return RNNLM(rnn, vocab_size, embed_size, dropout=dropout)
    if kind == "scratch":
        rnn = LSTMScratch(input_size, hidden_size, num_layers, variant=variant, dropout=dropout)
        if ids_in is None:
            ids_in = embed_size is None and variant in ("hoisted", "handwritten")
        return RNNLM(rnn, vocab_size, embed_size, ids_in=ids_in, dropout=dropout)
    raise ValueError(f"kind={kind!r}: use 'nn' or 'scratch'")


def compare_with_nn_lstm(input_size: int, hidden_size: int, num_layers: int = 1, batch_size: int = 2,
                         num_steps: int = 3, dtype: torch.dtype = torch.float64, variant: str = "hoisted",
                         seed: int = 0) -> dict:
    """Largest absolute differences between an ``nn.LSTM`` and the scratch copy of its weights.

    Both read the same random ``X`` (B, T, D) and initial state, and backpropagate the same
    random weighted sum of outputs, ``h_n`` and ``c_n``. Returns the max |difference| of the
    outputs, of ``h_n``, of ``c_n`` and over all parameter gradients (in the fused layout).
    """
    gen = torch.Generator().manual_seed(seed)
    D, H, L, B, T = input_size, hidden_size, num_layers, batch_size, num_steps
    torch.manual_seed(seed)
    lstm = nn.LSTM(D, H, L, batch_first=True).to(dtype)
    scratch = copy_from_nn_lstm(LSTMScratch(D, H, L, variant=variant).to(dtype), lstm)
    X = torch.randn(B, T, D, generator=gen, dtype=dtype)
    state = tuple(torch.randn(L, B, H, generator=gen, dtype=dtype) for _ in range(2))
    weights = [torch.randn(B, T, H, generator=gen, dtype=dtype)] + [
        torch.randn(L, B, H, generator=gen, dtype=dtype) for _ in range(2)]
    results = []
    for model in (lstm, scratch):
        out, (h, c) = model(X, state)
        sum((t * w).sum() for t, w in zip((out, h, c), weights)).backward()
        results.append((out, h, c))
    diff = {name: (a - b).abs().max().item() for name, a, b in zip(("output", "h_n", "c_n"), *results)}
    grads = []
    for k, layer in enumerate(scratch.layers):
        W_x, W_h, b = (torch.cat([getattr(layer, f"{w}{g}").grad for g in _GATES], dim=-1)
                       for w in ("W_x", "W_h", "b_"))
        grads += [W_x.T - getattr(lstm, f"weight_ih_l{k}").grad, W_h.T - getattr(lstm, f"weight_hh_l{k}").grad,
                  b - getattr(lstm, f"bias_ih_l{k}").grad, b - getattr(lstm, f"bias_hh_l{k}").grad]
    diff["gradients"] = max(g.abs().max().item() for g in grads)
    return diff
