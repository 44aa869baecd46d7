"""Notebook 08's helpers: recorded states equal nn.LSTM's, properties of text, probes, clamps, buckets."""

import math

import matplotlib
import pytest
import torch

from lstm_teach import Vocab, tokenize_chars
from lstm_teach.interpret import (best_cells, char_class, chars_to_line_end, clamp_experiment, coloured_html,
                                  correlations, distance_bucket, distance_labels, fit_with_samples, generate_clamped,
                                  in_quotes, line_lengths, line_position, loss_by_bucket, lstm_step,
                                  ngram_context_length, r_squared, record_states, ridge_probe, saturation,
                                  word_position)
from lstm_teach.models import make_lstm_lm
from lstm_teach.ngram import KneserNeyLM
from lstm_teach.train import TrainConfig, evaluate, generate

matplotlib.use("Agg")


def _model(V=7, H=5, L=2, embed=None, scale=1.0):
    torch.manual_seed(0)
    model = make_lstm_lm(V, H, L, kind="nn", embed_size=embed)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(scale)
        model.W_hq.normal_(0, scale)  # readable logits (the default output layer starts near zero)
    return model.eval()


@pytest.mark.parametrize("layers, embed", [(1, None), (2, None), (2, 4)])
def test_recorded_states_equal_nn_lstm(layers, embed):
    model = _model(L=layers, embed=embed, scale=3.0)
    ids = torch.randint(7, (23,), generator=torch.Generator().manual_seed(1))
    states = record_states(model, ids)
    with torch.no_grad():
        logits, (h_n, c_n) = model(ids[None])
    assert states["c"].shape == states["f"].shape == (23, layers, 5)
    assert torch.allclose(states["h"][-1], h_n[:, 0], atol=1e-6)
    assert torch.allclose(states["c"][-1], c_n[:, 0], atol=1e-6)
    assert torch.allclose(states["logits"], logits[0], atol=1e-5)
    top = model.rnn(model.embedding(ids[None]) if embed else torch.nn.functional.one_hot(ids[None], 7).float())[0][0]
    assert torch.allclose(states["h"][:, -1], top, atol=1e-6)  # every step of the top layer, not only the last
    assert ((states["f"] > 0) & (states["f"] < 1)).all() and (states["g"].abs() <= 1).all()


def test_lstm_step_is_the_cell_equations():
    cell = torch.nn.LSTMCell(3, 4).double()
    x, h, c = (torch.randn(2, n, dtype=torch.float64) for n in (3, 4, 4))
    h_ref, c_ref = cell(x, (h, c))
    h1, c1, gates = lstm_step(x, h, c, cell.weight_ih, cell.weight_hh, cell.bias_ih + cell.bias_hh)
    assert torch.allclose(h1, h_ref, atol=1e-12) and torch.allclose(c1, c_ref, atol=1e-12)
    assert torch.allclose(c1, gates["f"] * c + gates["i"] * gates["g"])


def test_record_states_refuses_other_models():
    with pytest.raises(TypeError, match="nn.LSTM"):
        record_states(make_lstm_lm(5, 3, kind="scratch"), [1, 2])
    with pytest.raises(ValueError, match="empty"):
        record_states(_model(), [])


def test_text_properties():
    text = "ab c\nde\n\nx"
    assert line_position(text).tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 0, 0]
    assert chars_to_line_end(text).tolist() == [3, 2, 1, 0, 2, 1, 0, 0, 1, 0]
    assert word_position(text).tolist() == [1, 2, 0, 1, 0, 1, 2, 0, 0, 1]
    assert line_lengths(text) == [4, 2, 0]
    with pytest.raises(TypeError, match="str"):
        line_position(["a", "b"])


def test_in_quotes_opens_closes_and_ignores_apostrophes():
    text = "He said 'don't go.' And \"yes,\" she said."
    inside = in_quotes(text)
    quoted = "".join(ch for ch, q in zip(text, inside) if q)
    assert quoted == "'don't go.'\"yes,\""
    paragraphs = "'One para\n\n'Next one\nstill inside\n\nout"
    inside = in_quotes(paragraphs)
    assert inside[paragraphs.index("still")] == 1 and inside[paragraphs.index("out")] == 0


def test_correlations_and_best_cells():
    g = torch.Generator().manual_seed(0)
    y = torch.randn(200, generator=g)
    X = torch.randn(200, 6, generator=g)
    X[:, 4] = -2 * y + 0.1 * torch.randn(200, generator=g)
    X[:, 2] = 3.0  # a cell that never moves
    r = correlations(X, y)
    ref = torch.corrcoef(torch.cat([X, y[:, None]], 1).T)[-1, :-1].double()
    assert torch.allclose(r[[0, 1, 3, 4, 5]], ref[[0, 1, 3, 4, 5]], atol=1e-6) and r[2] == 0
    index, value = best_cells(X, y, top=2)
    assert index[0] == 4 and value[0] < -0.99
    with pytest.raises(ValueError, match="shape"):
        correlations(X, y[:10])


def test_ridge_probe_and_r_squared():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(300, 5, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([1.0, -2.0, 0.0, 0.5, 0.0], dtype=torch.float64) + 3
    predict = ridge_probe(X[:200], y[:200], alpha=1e-6)
    assert r_squared(y[200:], predict(X[200:])) > 0.999999
    assert r_squared(y, torch.full_like(y, float(y.mean()))) == pytest.approx(0.0)
    shrunk = ridge_probe(X[:200], y[:200], alpha=1e6)  # a huge penalty: little more than the mean
    assert r_squared(y[200:], shrunk(X[200:])) < 0.1
    noise = torch.randn(300, generator=g, dtype=torch.float64)
    assert r_squared(noise[200:], ridge_probe(X[:200], noise[:200])(X[200:])) < 0.05
    with pytest.raises(ValueError, match="alpha"):
        ridge_probe(X, y, alpha=-1)


def test_saturation_fractions():
    gate = torch.tensor([[0.05, 0.5], [0.95, 0.5], [0.01, 0.99], [0.5, 0.92]])
    left, right = saturation(gate)
    assert left.tolist() == [0.5, 0.0] and right.tolist() == [0.25, 0.5]
    with pytest.raises(ValueError, match="low"):
        saturation(gate, low=0.9, high=0.1)


def test_generate_clamped_without_clamp_equals_generate():
    model = _model(V=9, scale=4.0)
    ours = generate_clamped(model, [1, 2], 30, None, temperature=1.0, seed=3)
    ref = generate(model, [1, 2], 30, temperature=1.0, generator=torch.Generator().manual_seed(3), device="cpu")
    assert ours == ref


def test_generate_clamped_holds_the_cell():
    model = _model(V=9, L=2, scale=4.0)
    free = generate_clamped(model, [1, 2], 60, None, seed=0)
    held = generate_clamped(model, [1, 2], 60, {(0, 1): 5.0, (1, 3): -5.0}, seed=0)
    assert held[:2] == [1, 2] and len(held) == 62 and held != free
    with pytest.raises(ValueError, match="layer, unit"):
        generate_clamped(model, [1], 5, {(2, 0): 1.0})
    with pytest.raises(ValueError, match="temperature"):
        generate_clamped(model, [1], 5, temperature=0)


def test_clamp_experiment_rows():
    text = "ab\ncd\nab\ncd\n"
    vocab = Vocab(tokenize_chars(text), specials=())
    torch.manual_seed(0)
    model = make_lstm_lm(len(vocab), 4, kind="nn").eval()
    rows = clamp_experiment(model, vocab, "ab", {"cell 0": {(0, 0): 1.0}}, seeds=range(2), num_chars=40)
    assert [(r["label"], r["seed"]) for r in rows] == [("no clamp", 0), ("no clamp", 1), ("cell 0", 0), ("cell 0", 1)]
    assert all(r["mean_line"] >= 0 for r in rows)


def test_ngram_context_length():
    lm = KneserNeyLM(3, 4).fit([0, 1, 2, 0, 1, 3])
    # predicting ids[1:] of [0, 1, 2, 3, 2, 0]: contexts (0,), (0, 1), (1, 2), (2, 3), (3, 2)
    assert ngram_context_length(lm, [0, 1, 2, 3, 2, 0]).tolist() == [1, 2, 2, 0, 1]  # (3,) never had a successor


def test_char_class_and_buckets():
    assert [char_class(c) for c in "a\n 我,7"] == ["letter", "line break", "space", "Chinese", "punctuation", "digit"]
    assert [distance_bucket(p) for p in (0, 1, 2, 3, 10, 40, 41, 100)] == ["0", "1-2", "1-2", "3-5", "6-10", "21-40",
                                                                           "41+", "41+"]
    rows = loss_by_bucket([1.0, 2.0, 3.0], [1.5, 1.0, 3.0], ["x", "y", "x"])
    assert rows == [{"bucket": "x", "count": 2, "lstm": 2.0, "ngram": 2.25, "diff": -0.25},
                    {"bucket": "y", "count": 1, "lstm": 2.0, "ngram": 1.0, "diff": 1.0}]
    ordered = loss_by_bucket([1, 2, 3], [1, 2, 3], ["b", "a", "c"], order=["a", "b"])
    assert [r["bucket"] for r in ordered] == ["a", "b", "c"]
    assert distance_labels() == ["0", "1-2", "3-5", "6-10", "11-20", "21-40", "41+"]
    with pytest.raises(ValueError, match="one entry per character"):
        loss_by_bucket([1.0], [1.0, 2.0], ["x"])


def test_coloured_html():
    page = coloured_html("a<\n我", [-1, 0, 1, 0.5], title="cell 3")
    assert page.count("<span") == 4 and "&lt;" in page and "↵" in page and "<br>" in page and "我" in page
    assert "rgb(" in page and "cell 3" in page
    with pytest.raises(ValueError, match="one value per character"):
        coloured_html("ab", [0.0])


def test_fit_with_samples_keeps_the_best_epoch():
    text = "the cat sat on the mat\n" * 20
    vocab = Vocab(tokenize_chars(text), specials=())
    ids = vocab.encode(text)
    torch.manual_seed(0)
    model = make_lstm_lm(len(vocab), 8, kind="nn")
    cfg = TrainConfig(epochs=3, batch_size=4, num_steps=10, lr=0.02)
    history, samples = fit_with_samples(model, ids[:380], ids[380:], cfg, vocab.encode("the"), sample_at=(1, 2),
                                        num_chars=20, device="cpu", progress=False)
    assert sorted(samples) == [1, 2, 3] and all(len(s) == 23 for s in samples.values())
    assert len(history) == 3 and history.best_epoch == 1 + min(range(3), key=history.valid_metric.__getitem__)
    assert math.isclose(evaluate(model, ids[380:], cfg.eval_batch_size, cfg.num_steps, "cpu"),
                        history.valid_metric[history.best_epoch - 1], rel_tol=1e-5)


def test_notebook_08_figures():
    import matplotlib.pyplot as plt

    from lstm_teach.plots import plot_bucket_losses, plot_coloured_text, plot_gate_saturation, plot_probe_scores

    fig = plot_coloured_text("分开\n我想要", [0.1, -0.5, 0.0, 0.9, 1.0, -1.0], title="cell 7")
    assert len(fig.axes[0].texts) == 6
    with pytest.raises(ValueError, match="one value per character"):
        plot_coloured_text("ab", [0.0])
    left, right = saturation(torch.rand(50, 8))
    plot_gate_saturation({"layer 1": {g: (left, right) for g in "fio"}})
    rows = loss_by_bucket([1.0, 2.0], [1.5, 1.0], ["x", "y"])
    plot_bucket_losses({"kind": rows, "other": rows})
    plot_probe_scores([{"property": "line", "cell_trained": 0.5, "cell_untrained": 0.1, "probe_trained": 0.8,
                        "probe_untrained": -0.2}])
    plt.close("all")
