"""Notebook 06's helpers: classic text, memorisation, prefixes, detach, interpolation, checks."""

import math

import pytest
import torch

from lstm_teach import LMBatches, Vocab, tokenize_chars
from lstm_teach.exercises import check_longest_verbatim, check_mixture_perplexity, check_top_k
from lstm_teach.lyrics import (backward_without_detach, best_interpolation, check_prefix, classic_text,
                               continue_lyrics, interpolate, longest_verbatim, memorisation)
from lstm_teach.models import make_lstm_lm


def _brute_force(line, corpus):
    subs = [line[i:j] for i in range(len(line)) for j in range(i + 1, len(line) + 1) if line[i:j] in corpus]
    return max(subs, key=len, default="")


def test_classic_text_replaces_newlines_then_cuts():
    assert classic_text("ab\ncd\r\nef", n=5) == "ab cd"
    assert len(classic_text("x\n" * 10)) == 20 and "\n" not in classic_text("x\n" * 10)


@pytest.mark.parametrize("line, corpus", [("分开我想要你", "我想要这样 你"), ("", "abc"), ("abc", ""),
                                          ("aaaa", "aa"), ("不分开 不分开", "分开 不")])
def test_longest_verbatim_equals_brute_force(line, corpus):
    got = longest_verbatim(line, corpus)
    assert len(got) == len(_brute_force(line, corpus)) and got in corpus and got in line


def test_longest_verbatim_on_random_strings():
    import random

    rng = random.Random(0)
    for _ in range(200):
        line = "".join(rng.choice("abc") for _ in range(rng.randint(0, 12)))
        corpus = "".join(rng.choice("abcd") for _ in range(rng.randint(0, 30)))
        assert len(longest_verbatim(line, corpus)) == len(_brute_force(line, corpus))


def test_memorisation_drops_the_prefix():
    rows = memorisation({"a": "分开我想要"}, "我想要 分开", prefixes={"a": "分开"})
    assert rows[0]["generated"] == "我想要" and rows[0]["verbatim"] == "我想要" and rows[0]["share"] == 1.0


def test_check_prefix_names_unknown_characters():
    vocab = Vocab(tokenize_chars("分开 我想要"), specials=())
    assert check_prefix(vocab, "分开") == vocab.encode("分开")
    with pytest.raises(ValueError, match="'战'.*'争'"):
        check_prefix(vocab, "战争中分开")
    with pytest.raises(ValueError, match="empty"):
        check_prefix(vocab, "")


def test_continue_lyrics_starts_with_the_prefix_and_is_reproducible():
    vocab = Vocab(tokenize_chars("分开 我想要你的微笑"), specials=())
    torch.manual_seed(0)
    lm = make_lstm_lm(len(vocab), 8, kind="scratch")
    a = continue_lyrics(lm, vocab, "分开", 10, temperature=1.0, top_k=3, seed=1, device="cpu")
    assert a.startswith("分开") and len(a) == 12
    assert a == continue_lyrics(lm, vocab, "分开", 10, temperature=1.0, top_k=3, seed=1, device="cpu")


def test_backward_without_detach_fails_and_retain_graph_grows():
    torch.manual_seed(0)
    lm = make_lstm_lm(7, 8, kind="scratch", variant="hoisted")
    batches = LMBatches(torch.randint(7, (2000,)), 4, 10)
    result = backward_without_detach(lm, batches, num_batches=3, device="cpu")
    assert "backward through the graph a second time" in result["error"] and len(result["seconds"]) == 1
    result = backward_without_detach(lm, batches, num_batches=3, retain_graph=True, device="cpu")
    assert result["error"] is None and len(result["seconds"]) == 3
    result = backward_without_detach(lm, batches, num_batches=3, detach=True, device="cpu")
    assert result["error"] is None and len(result["seconds"]) == 3
    assert all(p.grad is None for p in lm.parameters())


def test_interpolation_ends_and_a_mixture_never_worse_than_the_worse_model():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.rand(50, generator=gen, dtype=torch.float64), torch.rand(50, generator=gen, dtype=torch.float64)
    assert interpolate(a, b, 1.0) == pytest.approx(math.exp(-a.log().mean().item()))
    assert interpolate(a, b, 0.0) == pytest.approx(math.exp(-b.log().mean().item()))
    lam, curve = best_interpolation(a, b)
    assert curve[lam] <= min(curve[0.0], curve[1.0]) + 1e-12
    with pytest.raises(ValueError):
        interpolate(a, b[:3], 0.5)


def test_exercise_checks_accept_right_and_reject_wrong_answers(capsys):
    assert check_longest_verbatim(longest_verbatim)
    assert not check_longest_verbatim(lambda line, corpus: line)

    def top_k(logits, k):
        kth = torch.topk(logits, k).values[-1]
        return torch.softmax(logits.masked_fill(logits < kth, float("-inf")), -1)

    assert check_top_k(top_k)
    assert not check_top_k(lambda logits, k: torch.softmax(logits, -1))
    p, q = [0.5, 0.1], [0.2, 0.4]
    right = math.exp(-(math.log(0.5 * 0.5 + 0.5 * 0.2) + math.log(0.5 * 0.1 + 0.5 * 0.4)) / 2)
    assert check_mixture_perplexity(right, p, q, 0.5)
    assert not check_mixture_perplexity(0.5 * (2 / 0.5 ** 0.5 / 0.1 ** 0.5) + 1, p, q, 0.5)
