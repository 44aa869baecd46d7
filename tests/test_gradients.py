"""lstm_teach.gradients against closed forms and autograd."""

import math

import pytest
import torch
from torch import nn

from lstm_teach.gradients import (
    log_decay_rate, lstm_cell_state_jacobian, lstm_cell_state_map, set_recurrent_gain,
    step_gradient_norms,
)


def _linear_relu_rnn(module, d, D=3):
    """A ReLU RNN that stays linear: positive W_hh = diag(d), W_xh, bias and inputs keep h > 0."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.startswith("weight_hh"):
                p.copy_(torch.diag(d))
            else:
                p.uniform_(0.1, 1.0)
    return module


@pytest.mark.parametrize("kind", ["cell", "layer", "layer_time_first"])
def test_linear_rnn_gradient_norms_match_the_closed_form(kind):
    # h_t = W h_{t-1} + ..., L = sum(h_T): dL/dh_t = (W^T)^{T-t} 1 = d^{T-t} per example.
    torch.manual_seed(0)
    H, D, B, T = 4, 3, 2, 12
    d = torch.tensor([0.5, 0.8, 1.0, 1.2], dtype=torch.float64)
    if kind == "cell":
        rnn = nn.RNNCell(D, H, nonlinearity="relu")
    else:
        rnn = nn.RNN(D, H, nonlinearity="relu", batch_first=(kind == "layer"))
    rnn = _linear_relu_rnn(rnn.double(), d, D)
    x = torch.rand(B, T, D, dtype=torch.float64) + 0.1
    g = step_gradient_norms(rnn, x)
    steps_back = (T - g.t).to(torch.float64)  # T - t
    expected = torch.sqrt(B * (d[None, :] ** (2 * steps_back[:, None])).sum(1))
    torch.testing.assert_close(g.h, expected, rtol=1e-12, atol=0)
    assert g.c is None and g.t.tolist() == list(range(1, T + 1))


@pytest.mark.parametrize("kind", ["cell", "layer"])
def test_lstm_constant_gates_give_the_constant_error_carousel(kind):
    # With W_hh = 0 and W_ih = 0 the gates are constants and h_{t-1} has no effect, so with
    # L = sum(h_T): dL/dC_T = o (1 - tanh^2 C_T), dL/dC_t = f^{T-t} dL/dC_T, dL/dh_t = 0 for t < T.
    H, D, B, T = 3, 2, 1, 10
    lstm = (nn.LSTMCell(D, H) if kind == "cell" else nn.LSTM(D, H, batch_first=True)).double()
    b = torch.tensor([0.3] * H + [1.0] * H + [0.5] * H + [0.2] * H, dtype=torch.float64)
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            p.copy_(b if name.startswith("bias_ih") else torch.zeros_like(p))
    i, f, g_, o = torch.sigmoid(b[0]), torch.sigmoid(b[H]), torch.tanh(b[2 * H]), torch.sigmoid(b[3 * H])
    C_T = sum(i * g_ * f ** k for k in range(T))  # C_t = f C_{t-1} + i g from C_0 = 0
    g = step_gradient_norms(lstm, torch.randn(B, T, D, dtype=torch.float64))
    expected_T = (o * (1 - torch.tanh(C_T) ** 2)) * H ** 0.5  # norm of H equal entries
    torch.testing.assert_close(g.c[-1], expected_T, rtol=1e-12, atol=0)
    torch.testing.assert_close(g.c / g.c[-1], f ** (T - g.t).double(), rtol=1e-12, atol=0)
    assert (g.h[:-1] == 0).all() and g.h[-1] > 0


def test_lstm_unrolled_steps_match_nn_lstm():
    # The written-out step gives nn.LSTM's own h_T (2 layers), so the loss is the same.
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2, batch_first=True).double()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    _, (h_n, _) = lstm(x)
    assert step_gradient_norms(lstm, x).loss == pytest.approx(h_n[-1].sum().item(), abs=1e-12)


def test_multilayer_lstm_and_gru_run_and_custom_loss():
    torch.manual_seed(0)
    x = torch.randn(3, 7, 5)
    lstm = nn.LSTM(5, 6, num_layers=2, batch_first=True)
    g = step_gradient_norms(lstm, x, loss_fn=lambda h: (h ** 2).mean())
    assert g.h.shape == (7,) and g.c.shape == (7,) and (g.h > 0).all()
    gru = nn.GRU(5, 6, batch_first=True)
    g = step_gradient_norms(gru, x, state0=torch.zeros(1, 3, 6))
    assert g.c is None and (g.h > 0).all()


def test_no_parameter_grads_are_left_behind():
    rnn = nn.RNN(2, 3, batch_first=True)
    step_gradient_norms(rnn, torch.randn(1, 4, 2))
    assert all(p.grad is None for p in rnn.parameters())


@pytest.mark.parametrize("x, message", [
    (torch.randn(7, 5), "x.unsqueeze(0)"),
    (torch.randn(2, 7, 4), "input_size=5"),
    (torch.zeros(2, 7, dtype=torch.long), "(B, T, D)"),
])
def test_shape_errors_say_what_to_do(x, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        step_gradient_norms(nn.LSTM(5, 6, batch_first=True), x)


def test_wrong_module_state_and_loss_errors():
    with pytest.raises(TypeError, match="model.rnn"):
        step_gradient_norms(nn.Linear(5, 5), torch.randn(1, 3, 5))
    with pytest.raises(ValueError, match="bidirectional"):
        step_gradient_norms(nn.GRU(5, 6, bidirectional=True), torch.randn(1, 3, 5))
    with pytest.raises(ValueError, match=r"expected \(1, 2, 6\)"):
        step_gradient_norms(nn.GRU(5, 6), torch.randn(2, 3, 5), state0=torch.zeros(2, 6))
    with pytest.raises(ValueError, match="pair"):
        step_gradient_norms(nn.LSTM(5, 6), torch.randn(2, 3, 5), state0=torch.zeros(1, 2, 6))
    with pytest.raises(ValueError, match="scalar"):
        step_gradient_norms(nn.RNN(5, 6), torch.randn(2, 3, 5), loss_fn=lambda h: h)


def test_orthogonal_gain_and_decay_rate():
    rnn = nn.RNN(8, 8, batch_first=True).double()
    W = set_recurrent_gain(rnn, 0.7, seed=1)
    torch.testing.assert_close(torch.linalg.svdvals(W), torch.full((8,), 0.7, dtype=torch.float64))
    norms = 3.0 * 0.7 ** torch.arange(20, 0, -1, dtype=torch.float64)  # t = 1..20, ratio 0.7 per step back
    assert log_decay_rate(norms / 0.7 ** 20) == pytest.approx(math.log(0.7), abs=1e-12)
    with pytest.raises(ValueError, match="positive"):
        log_decay_rate(torch.tensor([1.0, 0.0, 2.0]))


def test_tanh_rnn_obeys_the_bptt_bound():
    # ||dL/dh_{T-k}|| <= ||dL/dh_T|| * sigma_max^k, with sigma_max = gain for gain * orthogonal.
    torch.manual_seed(0)
    rnn = nn.RNN(16, 16, batch_first=True).double()
    set_recurrent_gain(rnn, 0.8)
    g = step_gradient_norms(rnn, 0.3 * torch.randn(4, 30, 16, dtype=torch.float64))
    k = (30 - g.t).double()
    assert (g.h <= g.h[-1] * 0.8 ** k * (1 + 1e-12)).all()
    assert log_decay_rate(g.h) <= math.log(0.8)


@pytest.mark.parametrize("scale", [0.5, 8.0])  # random gates, and saturated gates
def test_lstm_cell_jacobian_formula_matches_autograd(scale):
    torch.manual_seed(0)
    H, D = 5, 3
    cell = nn.LSTMCell(D, H).double()
    with torch.no_grad():
        for p in cell.parameters():
            p.mul_(scale)
    x = torch.randn(D, dtype=torch.float64)
    c_prev = 2 * torch.randn(H, dtype=torch.float64)
    o_prev = torch.rand(H, dtype=torch.float64)
    J_formula = lstm_cell_state_jacobian(cell, x, c_prev, o_prev)
    J_autograd = torch.autograd.functional.jacobian(lstm_cell_state_map(cell, x, o_prev), c_prev)
    assert (J_formula - J_autograd).abs().max() < 1e-10
    # the map agrees with nn.LSTMCell itself
    h_prev = o_prev * torch.tanh(c_prev)
    _, c_ref = cell(x[None], (h_prev[None], c_prev[None]))
    torch.testing.assert_close(lstm_cell_state_map(cell, x, o_prev)(c_prev), c_ref[0])


def test_lstm_cell_jacobian_shape_errors():
    cell = nn.LSTMCell(3, 5)
    with pytest.raises(ValueError, match=r"x\[0\]"):
        lstm_cell_state_jacobian(cell, torch.randn(2, 3), torch.randn(5), torch.rand(5))
    with pytest.raises(TypeError, match="LSTMCell"):
        lstm_cell_state_jacobian(nn.GRUCell(3, 5), torch.randn(3), torch.randn(5), torch.rand(5))
