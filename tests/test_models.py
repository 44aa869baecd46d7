"""The from-scratch LSTM against nn.LSTM: outputs, final (h, c) and every parameter gradient."""

import pytest
import torch
from torch import nn

from lstm_teach.models import (VARIANTS, LSTMRecurrence, LSTMScratch, RNNLM, compare_with_nn_lstm, copy_from_nn_lstm,
                               copy_to_nn_lstm, make_lstm_lm)

# (input_size, hidden_size, num_layers, batch, steps): input != hidden, batch 1, one step, 2 layers
SIZES = [(5, 7, 1, 3, 4), (7, 5, 1, 1, 6), (4, 6, 1, 2, 1), (3, 6, 2, 1, 1), (6, 4, 2, 3, 5)]
TOL = {torch.float64: 1e-10, torch.float32: 1e-5}


def _run(model, X, state, weights):
    out, (h, c) = model(X, state)
    loss = sum((t * w).sum() for t, w in zip((out, h, c), weights))
    loss.backward()
    return out, h, c


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("sizes", SIZES)
def test_scratch_equals_nn_lstm(sizes, variant, dtype):
    D, H, L, B, T = sizes
    gen = torch.Generator().manual_seed(hash(sizes) % 1000)
    lstm = nn.LSTM(D, H, L, batch_first=True).to(dtype)
    scratch = copy_from_nn_lstm(LSTMScratch(D, H, L, variant=variant).to(dtype), lstm)
    X = torch.randn(B, T, D, generator=gen, dtype=dtype)
    state = tuple(torch.randn(L, B, H, generator=gen, dtype=dtype) for _ in range(2))
    weights = [torch.randn(B, T, H, generator=gen, dtype=dtype)] + [
        torch.randn(L, B, H, generator=gen, dtype=dtype) for _ in range(2)]
    for a, b in zip(_run(lstm, X, state, weights), _run(scratch, X, state, weights)):
        assert a.shape == b.shape
        assert (a - b).abs().max() < TOL[dtype]
    for k, layer in enumerate(scratch.layers):
        for j, g in enumerate("ifco"):
            rows = slice(j * H, (j + 1) * H)
            assert (layer.get_parameter(f"W_x{g}").grad - getattr(lstm, f"weight_ih_l{k}").grad[rows].T).abs().max() < TOL[dtype]
            assert (layer.get_parameter(f"W_h{g}").grad - getattr(lstm, f"weight_hh_l{k}").grad[rows].T).abs().max() < TOL[dtype]
            assert (layer.get_parameter(f"b_{g}").grad - getattr(lstm, f"bias_ih_l{k}").grad[rows]).abs().max() < TOL[dtype]


@pytest.mark.parametrize("variant", VARIANTS)
def test_token_ids_mean_one_hot_vectors(variant):
    torch.manual_seed(0)
    scratch = LSTMScratch(11, 6, 2, variant=variant).double()
    ids = torch.randint(11, (3, 5))
    one_hot = torch.nn.functional.one_hot(ids, 11).double()
    a, (h1, c1) = scratch(ids)
    b, (h2, c2) = scratch(one_hot)
    assert (a - b).abs().max() < 1e-12 and (c1 - c2).abs().max() < 1e-12


def test_handwritten_backward_passes_gradcheck():
    torch.manual_seed(0)
    T, B, H = 4, 2, 3
    XW = torch.randn(T, B, 4 * H, dtype=torch.float64, requires_grad=True)
    h0, c0 = (torch.randn(B, H, dtype=torch.float64, requires_grad=True) for _ in range(2))
    W_h = torch.randn(H, 4 * H, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(LSTMRecurrence.apply, (XW, h0, c0, W_h))


def test_copy_to_nn_lstm_round_trip():
    torch.manual_seed(0)
    scratch = LSTMScratch(5, 4, 2)
    lstm = copy_to_nn_lstm(scratch, nn.LSTM(5, 4, 2, batch_first=True))
    X = torch.randn(2, 3, 5)
    assert torch.allclose(scratch(X)[0], lstm(X)[0], atol=1e-6)
    back = copy_from_nn_lstm(LSTMScratch(5, 4, 2), lstm)
    for p, q in zip(scratch.parameters(), back.parameters()):
        assert torch.allclose(p, q)


def test_parameters_are_named_after_the_equations():
    names = {n for n, _ in LSTMScratch(3, 2).named_parameters()}
    want = {f"layers.0.{w}" for g in "ifco" for w in (f"W_x{g}", f"W_h{g}", f"b_{g}")}
    assert names == want
    lm = make_lstm_lm(10, 4, kind="scratch")
    assert {"W_hq", "b_q"} <= {n for n, _ in lm.named_parameters()}


def test_clear_errors():
    with pytest.raises(ValueError, match="batch first"):
        LSTMScratch(3, 2)(torch.randn(2, 4, 5))
    with pytest.raises(ValueError, match="variant"):
        LSTMScratch(3, 2, variant="fast")
    with pytest.raises(ValueError, match="sizes differ"):
        copy_from_nn_lstm(LSTMScratch(3, 2), nn.LSTM(3, 5))
    with pytest.raises(ValueError, match="input_size"):
        RNNLM(nn.LSTM(3, 2, batch_first=True), vocab_size=10)


@pytest.mark.parametrize("kind", ["nn", "scratch"])
def test_language_models_give_logits_and_state(kind):
    lm = make_lstm_lm(1027, 8, num_layers=2, kind=kind)  # lyrics-sized vocabulary
    logits, (h, c) = lm(torch.randint(1027, (2, 5)))
    assert logits.shape == (2, 5, 1027) and h.shape == c.shape == (2, 2, 8)


def test_compare_with_nn_lstm_reports_tiny_differences():
    d = compare_with_nn_lstm(28, 16, 2, 1, 1, torch.float64, "handwritten")
    assert set(d) == {"output", "h_n", "c_n", "gradients"} and max(d.values()) < 1e-10
