"""The from-scratch LSTM against nn.LSTM: outputs, final (h, c) and every parameter gradient."""

import pytest
import torch
from torch import nn

from lstm_teach.models import (VARIANTS, LSTMRecurrence, LSTMScratch, RNNLM, compare_with_nn_lstm, copy_from_nn_lstm,
                               copy_to_nn_lstm, make_lstm_lm, to_nn_lstm_lm)

# (input_size, hidden_size, num_layers, batch, steps): input != hidden, batch 1, one step, 2 layers
SIZES = [(5, 7, 1, 3, 4), (7, 5, 1, 1, 6), (4, 6, 1, 2, 1), (3, 6, 2, 1, 1), (6, 4, 2, 3, 5)]
TOL = {torch.float64: 1e-10, torch.float32: 1e-5}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("sizes", SIZES)
def test_scratch_equals_nn_lstm(sizes, variant, dtype):
    D, H, L, B, T = sizes
    diff = compare_with_nn_lstm(D, H, L, B, T, dtype, variant, seed=sum(sizes))
    assert set(diff) == {"output", "h_n", "c_n", "gradients"}
    assert max(diff.values()) < TOL[dtype], diff


def test_compare_with_nn_lstm_sees_a_wrong_gate_order(monkeypatch):
    """The check above can fail: swap the f and c blocks of the copy and it reports large differences."""
    import lstm_teach.models as models

    right = models.copy_from_nn_lstm

    def swapped(scratch, lstm):
        right(scratch, lstm)
        with torch.no_grad():
            layer = scratch.layers[0]
            for w in ("W_x", "W_h"):
                f, c = layer.get_parameter(f"{w}f"), layer.get_parameter(f"{w}c")
                f_old = f.clone()
                f.copy_(c)
                c.copy_(f_old)
        return scratch

    monkeypatch.setattr(models, "copy_from_nn_lstm", swapped)
    assert compare_with_nn_lstm(5, 7, 1, 3, 4)["output"] > 1e-3


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


@pytest.mark.parametrize("kwargs", [dict(variant="hoisted"), dict(variant="handwritten", num_layers=2),
                                    dict(variant="hoisted", embed_size=5)])
def test_to_nn_lstm_lm_computes_the_same_logits(kwargs):
    torch.manual_seed(0)
    scratch = make_lstm_lm(11, 8, kind="scratch", **kwargs).eval()
    twin = to_nn_lstm_lm(scratch)
    X = torch.randint(11, (3, 6))
    (a, (h, c)), (b, (h2, c2)) = scratch(X), twin(X)
    assert isinstance(twin.rnn, nn.LSTM)
    assert (a - b).abs().max() < 1e-5 and (h - h2).abs().max() < 1e-5 and (c - c2).abs().max() < 1e-5


@pytest.mark.parametrize("onednn", [True, False])
def test_handwritten_lstm_with_and_without_the_private_onednn_calls(monkeypatch, onednn):
    """With ``_ONEDNN = False`` the hand-written LSTM runs on F.linear only (the pure-PyTorch fallback)."""
    import lstm_teach.models as models

    if onednn and not models._ONEDNN:
        pytest.skip("this PyTorch build lacks the oneDNN ops (the fallback case below covers it)")
    monkeypatch.setattr(models, "_ONEDNN", onednn)
    called = []
    if not onednn:
        monkeypatch.setattr(torch.ops.mkldnn, "_linear_pointwise", lambda *a: called.append(a), raising=False)
    diff = compare_with_nn_lstm(5, 7, 2, 3, 4, torch.float32, "handwritten", seed=1)
    assert max(diff.values()) < 1e-5, diff
    assert not called  # the fallback never touches the private op


def test_onednn_probe_says_no_when_the_private_ops_are_gone_changed_or_wrong():
    from types import SimpleNamespace

    import lstm_teach.models as models

    def reorder(W, batch_size):
        return W

    def changed(X, W):  # a later PyTorch with another signature
        return X @ W.T

    def wrong(X, W, *args):
        return X @ W.T + 1

    def right(X, W, *args):
        return X @ W.T

    assert models._onednn_works(SimpleNamespace(_reorder_linear_weight=reorder)) is False  # dropped
    assert models._onednn_works(SimpleNamespace(_reorder_linear_weight=reorder, _linear_pointwise=changed)) is False
    assert models._onednn_works(SimpleNamespace(_reorder_linear_weight=reorder, _linear_pointwise=wrong)) is False
    assert models._onednn_works(SimpleNamespace(_reorder_linear_weight=reorder, _linear_pointwise=right)) is (
        torch.backends.mkldnn.is_available())
