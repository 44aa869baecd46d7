"""The Kneser-Ney n-gram baseline: proper distributions and sensible perplexities."""

import math
import random

import pytest
import torch

from lstm_teach.ngram import KneserNeyLM


def _text(n=3000, seed=0):
    rng = random.Random(seed)
    words = [[1, 2, 3], [4, 5], [2, 6, 7, 1], [3, 3, 0]]
    out = []
    while len(out) < n:
        out += rng.choice(words) + [8]
    return out[:n]


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_every_context_gives_a_distribution(order):
    ids = _text()
    lm = KneserNeyLM(order, 10).fit(ids)  # token 9 never occurs
    for context in ([], [1], [8, 2], [9, 9, 9], ids[100:104]):
        p = lm.distribution(context)
        assert abs(p.sum().item() - 1) < 1e-12 and (p > 0).all()


def test_closed_forms_for_orders_one_and_two():
    ids = [0, 1, 0, 1, 0, 2]
    # order 1: raw counts 3, 2, 1, 0 over 6 tokens; n1 = n2 = 1 so D = 1/3; 3 types seen
    lm = KneserNeyLM(1, 4).fit(ids)
    D = 1 / 3
    expect = [max(c - D, 0) / 6 + D * 3 / 6 / 4 for c in (3, 2, 1, 0)]
    assert torch.allclose(lm.distribution([]), torch.tensor(expect, dtype=torch.float64))
    # order 2: the unigram level now holds continuation counts N1+(. w) from the distinct
    # bigrams (0,1), (1,0), (0,2): 1, 1, 1, 0 (D = 1 there: all ones); bigram counts after 0:
    # c(0 1) = 2, c(0 2) = 1, n1 = 2 ((1,0) once, (0,2) once), n2 = 2 ((0,1) and... ) -> read D
    lm2 = KneserNeyLM(2, 4).fit(ids)
    lower = [0.25] * 4  # D = 1 at the unigram level leaves only the uniform part
    D2 = lm2.discount[2]
    expect2 = [max(c - D2, 0) / 3 + D2 * 2 / 3 * p for c, p in zip((0, 2, 1, 0), lower)]
    assert torch.allclose(lm2.distribution([0]), torch.tensor(expect2, dtype=torch.float64))


def test_higher_orders_fit_structured_text_better():
    train, test = _text(4000, 0), _text(1000, 1)
    ppl = [KneserNeyLM(k, 10).fit(train).perplexity(test) for k in (1, 2, 3)]
    assert ppl[0] > ppl[1] > ppl[2] > 1
    assert ppl[0] < 10  # better than uniform over 10 tokens


def test_perplexity_is_exp_of_mean_negative_log_probability():
    train = _text(500)
    lm = KneserNeyLM(2, 10).fit(train)
    test = [1, 2, 3, 8, 4]
    nll = -sum(math.log(lm.prob(test[t - 1:t], test[t])) for t in range(1, len(test))) / 4
    assert abs(lm.perplexity(test) - math.exp(nll)) < 1e-12


def test_errors():
    with pytest.raises(ValueError):
        KneserNeyLM(3, 5).fit([1, 2])
    with pytest.raises(ValueError, match="token ids"):
        KneserNeyLM(2, 5).fit([1, 2, 7])


def test_token_probs_match_prob_and_perplexity():
    ids = [0, 1, 2, 1, 0, 2, 2, 1, 0, 1]
    lm = KneserNeyLM(3, 4).fit(ids)
    p = lm.token_probs([2, 1, 0, 3])
    assert p.shape == (3,)
    assert abs(p[1].item() - lm.prob([2, 1], 0)) < 1e-12 and abs(p[2].item() - lm.prob([1, 0], 3)) < 1e-12
    assert abs(math.exp(-p.log().mean().item()) - lm.perplexity([2, 1, 0, 3])) < 1e-9
