"""The language-model loop: perplexity, state carrying, clipping, generation."""

import math

import pytest
import torch

from lstm_teach.models import make_lstm_lm
from lstm_teach.history import History
from lstm_teach.train import TrainConfig, detach_state, ensemble_perplexity, evaluate, fit, generate, train_epoch
from lstm_teach.text import LMBatches


def _periodic(n=3000, period=(1, 2, 3, 4, 5)):
    return [period[i % len(period)] for i in range(n)]


def test_untrained_model_has_perplexity_near_the_vocabulary_size():
    torch.manual_seed(0)
    lm = make_lstm_lm(30, 8, kind="scratch")  # d2l's init: tiny weights, near-uniform output
    ppl = evaluate(lm, torch.randint(30, (2000,)), batch_size=4, num_steps=10, device="cpu")
    assert abs(ppl - 30) < 0.5


def test_evaluate_is_exp_of_mean_cross_entropy_when_one_window_holds_the_text():
    torch.manual_seed(0)
    lm = make_lstm_lm(7, 5, kind="nn")
    ids = torch.randint(7, (1, 21))[0]
    logits, _ = lm(ids[None, :-1])
    nll = torch.nn.functional.cross_entropy(logits[0], ids[1:])
    assert abs(evaluate(lm, ids, batch_size=1, num_steps=100, device="cpu") - math.exp(nll.item())) < 1e-4


@pytest.mark.parametrize("kind, sampling", [("nn", "sequential"), ("scratch", "random")])
def test_fit_learns_a_periodic_text(kind, sampling):
    torch.manual_seed(0)
    lm = make_lstm_lm(6, 16, kind=kind)
    cfg = TrainConfig(epochs=5, batch_size=4, num_steps=10, lr=0.03, lr_decay=0.9, sampling=sampling)
    history = fit(lm, _periodic(1200), _periodic(300), cfg, device="cpu", progress=False)
    assert isinstance(history, History) and history.metric == "perplexity" and len(history.valid_metric) == 5
    assert history.valid_metric[-1] < 1.2 < history.train_metric[0]
    assert history.train_loss == pytest.approx([math.log(p) for p in history.train_metric])
    assert history.valid_loss == pytest.approx([math.log(p) for p in history.valid_metric])
    assert all(s > 0 for s in history.extra["tokens_per_s"]) and all(s > 0 for s in history.seconds)
    out = generate(lm, [1, 2], 8, device="cpu")
    assert out == [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]


def test_train_epoch_clips_gradients():
    torch.manual_seed(0)
    lm = make_lstm_lm(6, 4, kind="nn")
    seen = []

    class Spy(torch.optim.SGD):
        def step(self, closure=None):
            seen.append(torch.norm(torch.stack([p.grad.norm() for p in lm.parameters()])).item())
            return super().step(closure)

    batches = LMBatches(_periodic(400), 4, 10)
    train_epoch(lm, batches, Spy(lm.parameters(), lr=100.0), clip=1e-3, device="cpu")
    assert seen and max(seen) <= 1e-3 * (1 + 1e-4)


def test_sequential_training_carries_the_state_between_batches():
    calls = []
    lm = make_lstm_lm(6, 4, kind="nn")
    original = lm.forward

    def spy(X, state=None):
        calls.append(state)
        return original(X, state)

    lm.forward = spy
    opt = torch.optim.SGD(lm.parameters(), lr=0.1)
    train_epoch(lm, LMBatches(_periodic(400), 4, 10), opt, sequential=True, device="cpu")
    assert calls[0] is None and all(s is not None and not s[0].requires_grad for s in calls[1:])
    calls.clear()
    train_epoch(lm, LMBatches(_periodic(400), 4, 10, "random"), opt, sequential=False, device="cpu")
    assert all(s is None for s in calls)


def test_generation_with_temperature_is_reproducible_and_valid():
    lm = make_lstm_lm(9, 4, kind="scratch")
    a = generate(lm, [1], 20, temperature=1.0, generator=torch.Generator().manual_seed(1), device="cpu")
    b = generate(lm, [1], 20, temperature=1.0, generator=torch.Generator().manual_seed(1), device="cpu")
    assert a == b and len(a) == 21 and all(0 <= t < 9 for t in a)
    with pytest.raises(ValueError):
        generate(lm, [], 3)


def test_detach_state():
    h = torch.ones(2, requires_grad=True) * 2
    assert not detach_state((h, h))[0].requires_grad and detach_state(None) is None


# ---------------------------------------------------------------- additions for notebook 06
def test_token_probs_give_the_perplexity_of_evaluate():
    from lstm_teach.train import token_probs

    torch.manual_seed(0)
    lm = make_lstm_lm(9, 6, kind="scratch")
    ids = torch.randint(9, (203,))
    p = token_probs(lm, ids, batch_size=4, num_steps=7, device="cpu")
    assert p.shape == (4 * ((203 - 1) // 4),) and bool((p > 0).all() and (p <= 1).all())
    assert abs(math.exp(-p.log().mean().item()) - evaluate(lm, ids, 4, 7, device="cpu")) < 1e-4
    # the first probability is P(ids[1] | ids[0]) from a zero state
    logits, _ = lm(ids[None, :1])
    assert abs(torch.softmax(logits[0, -1].double(), -1)[ids[1]].item() - p[0].item()) < 1e-6


def test_top_k_one_is_greedy_and_top_k_limits_the_choice():
    torch.manual_seed(0)
    lm = make_lstm_lm(12, 8, kind="scratch")
    greedy = generate(lm, [1, 2], 15, device="cpu")
    gen = torch.Generator().manual_seed(0)
    assert generate(lm, [1, 2], 15, temperature=5.0, top_k=1, generator=gen, device="cpu") == greedy
    with pytest.raises(ValueError, match="top_k"):
        generate(lm, [1], 3, temperature=1.0, top_k=0)


def test_train_epoch_records_gradient_norms_before_clipping():
    torch.manual_seed(0)
    lm = make_lstm_lm(6, 8, kind="nn")
    batches = LMBatches(_periodic(400), 4, 10)
    opt = torch.optim.SGD(lm.parameters(), lr=0.1)
    norms_clipped, norms_free = [], []
    train_epoch(lm, batches, opt, clip=1e-3, device="cpu", grad_norms=norms_clipped)
    train_epoch(lm, batches, opt, clip=None, device="cpu", grad_norms=norms_free)
    assert len(norms_clipped) == len(batches) == len(norms_free)
    assert min(norms_clipped) > 1e-3  # measured before clipping, so above the threshold


def test_early_stopping_keeps_the_best_epoch_weights():
    torch.manual_seed(0)
    lm = make_lstm_lm(6, 16, kind="nn")
    cfg = TrainConfig(epochs=8, batch_size=4, num_steps=10, lr=0.5, optimizer="adam", patience=2)  # lr far too high
    history = fit(lm, _periodic(600), _periodic(200), cfg, device="cpu", progress=False)
    best = history.best_epoch
    assert best == 1 + min(range(len(history.valid_metric)), key=history.valid_metric.__getitem__)
    assert len(history.valid_metric) <= best + 2
    assert abs(evaluate(lm, _periodic(200), cfg.eval_batch_size, cfg.num_steps, device="cpu")
               - history.valid_metric[best - 1]) < 1e-3 * history.valid_metric[best - 1]
    with pytest.raises(ValueError, match="valid_ids"):
        fit(lm, _periodic(600), None, cfg, device="cpu", progress=False)


def test_weight_averaging_is_measured_and_left_in_the_model():
    torch.manual_seed(0)
    lm = make_lstm_lm(6, 16, kind="nn")
    cfg = TrainConfig(epochs=3, batch_size=4, num_steps=10, lr=0.03, ema=0.9)
    history = fit(lm, _periodic(1200), _periodic(300), cfg, device="cpu", progress=False)
    raw = history.extra["raw_valid_perplexity"]
    assert len(raw) == len(history.valid_metric) == 3
    assert raw != history.valid_metric  # two different sets of weights were measured
    # the model ends with the averaged weights, whose perplexity is the last valid_metric
    assert abs(evaluate(lm, _periodic(300), device="cpu") - history.valid_metric[-1]) < 1e-9


def test_weight_averaging_by_hand_matches_fit():
    cfg = TrainConfig(epochs=1, batch_size=4, num_steps=10, lr=0.03, ema=0.5)
    torch.manual_seed(0)
    lm = make_lstm_lm(6, 8, kind="nn")
    avg = {}
    torch.manual_seed(0)
    steps = make_lstm_lm(6, 8, kind="nn")
    fit(lm, _periodic(400), None, cfg, device="cpu", progress=False)
    optimizer = torch.optim.Adam(steps.parameters(), lr=cfg.lr)

    def update():  # the average starts at the weights after the first step (AveragedModel's rule)
        for k, v in steps.state_dict().items():
            avg[k] = 0.5 * avg[k] + 0.5 * v if k in avg else v.clone()

    batches = LMBatches(_periodic(400), 4, 10, "sequential", seed=0)
    train_epoch(steps, batches, optimizer, device="cpu", after_step=update)
    for k, v in lm.state_dict().items():
        assert torch.allclose(v, avg[k], atol=1e-6), k


def test_weight_averaging_rejects_a_decay_of_one():
    with pytest.raises(ValueError, match="ema"):
        fit(make_lstm_lm(6, 8), _periodic(400), None, TrainConfig(epochs=1, ema=1.0), device="cpu", progress=False)


def test_ensemble_perplexity():
    torch.manual_seed(0)
    a, b = make_lstm_lm(6, 8, kind="nn"), make_lstm_lm(6, 8, kind="nn")
    cfg = TrainConfig(epochs=1, batch_size=4, num_steps=10, lr=0.03)
    fit(a, _periodic(400), None, cfg, device="cpu", progress=False)
    ids = _periodic(300)
    pa, pb = evaluate(a, ids, device="cpu"), evaluate(b, ids, device="cpu")
    assert abs(ensemble_perplexity([a, a], ids, device="cpu") - pa) < 1e-6  # one model twice is that model
    both = ensemble_perplexity([a, b], ids, device="cpu")
    assert both <= math.sqrt(pa * pb) + 1e-9  # log of a mean >= mean of logs (Jensen)
    assert both != pa and both != pb



def test_optimizer_step_clips_to_the_norm_and_returns_the_norm_before():
    from lstm_teach.train import optimizer_step

    w = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        w.weight.copy_(torch.tensor([[1.0, 1.0]]))
    loss = (w(torch.tensor([[3.0, 4.0]])) ** 2).sum() / 2  # gradient = 7 * (3, 4): norm 35
    norm = optimizer_step(w, torch.optim.SGD(w.parameters(), lr=1.0), loss, clip=5.0)
    assert norm == pytest.approx(35.0)
    assert torch.allclose(w.weight, torch.tensor([[1.0 - 3.0, 1.0 - 4.0]]))  # stepped by the clipped (3, 4)
    loss = (w(torch.tensor([[3.0, 4.0]])) ** 2).sum() / 2
    assert math.isnan(optimizer_step(w, torch.optim.SGD(w.parameters(), lr=0.0), loss, clip=None))


def test_weight_decay_is_adamw_s_decoupled_decay_and_rejects_a_negative_one():
    cfg = TrainConfig(epochs=1, batch_size=4, num_steps=10, lr=0.03, weight_decay=0.1)
    torch.manual_seed(0)
    lm = make_lstm_lm(6, 8, kind="nn")
    torch.manual_seed(0)
    by_hand = make_lstm_lm(6, 8, kind="nn")
    fit(lm, _periodic(400), None, cfg, device="cpu", progress=False)
    optimizer = torch.optim.AdamW(by_hand.parameters(), lr=cfg.lr, weight_decay=0.1)
    train_epoch(by_hand, LMBatches(_periodic(400), 4, 10, "sequential", seed=0), optimizer, device="cpu")
    for (k, v), w in zip(lm.state_dict().items(), by_hand.state_dict().values()):
        assert torch.allclose(v, w, atol=1e-6), k
    torch.manual_seed(0)
    plain = make_lstm_lm(6, 8, kind="nn")
    fit(plain, _periodic(400), None, TrainConfig(epochs=1, batch_size=4, num_steps=10, lr=0.03), device="cpu",
        progress=False)
    assert not torch.allclose(plain.W_hq, lm.W_hq)  # the decay changed something
    with pytest.raises(ValueError, match="weight_decay"):
        fit(plain, _periodic(400), None, TrainConfig(epochs=1, batch_size=4, num_steps=10, weight_decay=-0.1),
            device="cpu", progress=False)
