"""lstm_teach.tasks: the recall-the-first-symbol data, the forget bias, a short training run."""

import dataclasses

import pytest
import torch
from torch import nn

from lstm_teach.tasks import (
    RecallConfig, RecurrentClassifier, accuracy_vs_T, recall_first_batch, set_forget_bias,
    train_recall,
)


def test_batch_layout_label_is_the_first_symbol_and_the_rest_is_noise():
    g = torch.Generator().manual_seed(0)
    x, y = recall_first_batch(50, 9, n_symbols=3, n_noise=5, generator=g)
    assert x.shape == (50, 9, 8) and y.shape == (50,) and x.dtype == torch.float32
    ids = x.argmax(-1)  # (B, T)
    assert torch.equal(ids[:, 0], y) and (y < 3).all()
    assert ((ids[:, 1:] >= 3) & (ids[:, 1:] < 8)).all()
    assert torch.equal(x.sum(-1), torch.ones(50, 9))  # one-hot
    with pytest.raises(ValueError, match="T >= 1"):
        recall_first_batch(4, 0)


def test_same_generator_seed_gives_the_same_batch():
    a = recall_first_batch(4, 6, generator=torch.Generator().manual_seed(3))
    b = recall_first_batch(4, 6, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


@pytest.mark.parametrize("layer", [nn.LSTM(3, 4), nn.LSTMCell(3, 4), nn.GRU(3, 4, num_layers=2)])
def test_forget_bias_sets_the_gate_that_keeps_memory(layer):
    set_forget_bias(layer, 2.5)
    for name, p in layer.named_parameters():
        if name.startswith("bias_ih"):
            assert (p[4:8] == 2.5).all()
        if name.startswith("bias_hh"):
            assert (p[4:8] == 0).all()
    with pytest.raises(TypeError, match="LSTM or GRU"):
        set_forget_bias(nn.RNN(3, 4), 1.0)


def test_gru_update_gate_bias_keeps_the_state():
    # PyTorch's GRU: h_t = (1 - z) * n + z * h_{t-1}; a large z bias keeps h_{t-1}.
    gru = nn.GRUCell(3, 4)
    set_forget_bias(gru, 20.0)
    h = torch.randn(1, 4)
    torch.testing.assert_close(gru(torch.randn(1, 3), h), h, atol=1e-6, rtol=0)


def test_classifier_shapes_and_kind_error():
    model = RecurrentClassifier("gru", 8, 5, 4)
    assert model(torch.zeros(2, 7, 8)).shape == (2, 4)
    with pytest.raises(ValueError, match="kind"):
        RecurrentClassifier("transformer", 8, 5, 4)


def test_short_training_learns_a_short_lag_and_is_reproducible():
    cfg = RecallConfig(steps=60, batch_size=32, hidden_size=16, eval_size=300, lr=2e-2)
    a = train_recall("lstm", 3, cfg, device="cpu")
    assert a.accuracy > 0.9  # T = 3 is easy: chance is 0.25
    b = train_recall("lstm", 3, cfg, device="cpu")
    assert a.accuracy == b.accuracy and a.history.train_loss == b.history.train_loss
    assert len(a.history) == cfg.steps and a.history.unit == "step"
    assert a.history.valid_metric[-1] == a.accuracy  # held out, after the last step


def test_accuracy_vs_T_averages_the_seeds_of_each_model_and_T():
    cfg = RecallConfig(steps=3, eval_size=50, hidden_size=4)
    res = accuracy_vs_T([2, 3], kinds=["rnn", "lstm"], cfg=cfg, seeds=(0, 1), device="cpu", progress=False)
    assert set(res) == {"rnn", "lstm"}
    for kind in ("rnn", "lstm"):  # in the order of Ts, each the mean over the seeds
        want = [sum(train_recall(kind, T, dataclasses.replace(cfg, seed=s), device="cpu").accuracy
                    for s in (0, 1)) / 2 for T in (2, 3)]
        assert res[kind] == pytest.approx(want)
    assert dataclasses.replace(cfg, n_symbols=3).vocab == 7


def test_accuracy_vs_T_sees_a_model_learn(capsys):
    cfg = RecallConfig(steps=60, batch_size=32, hidden_size=16, eval_size=300, lr=2e-2)
    res = accuracy_vs_T([2], kinds=["lstm"], cfg=cfg, device="cpu", progress=True)
    assert res["lstm"][0] > 0.9  # chance is 0.25
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "1 run of 60 steps" in out[0] and f"LSTM {res['lstm'][0]:.2f}" in out[0]  # one line
