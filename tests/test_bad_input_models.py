"""Bad input to the text, model and training functions: a sentence that names the argument,
what was given and what is allowed, instead of an error deep inside (issue 15, item 6)."""

import math

import numpy as np
import pytest
import torch

from lstm_teach.models import LSTMScratch, make_lstm_lm
from lstm_teach.text import (BucketBatches, LMBatches, Vocab, lm_batches_random, lm_batches_sequential,
                             pad_sequences)
from lstm_teach.train import TrainConfig, fit, generate

CORPUS = list(range(6)) * 30


# ------------------------------------------------------------- text
@pytest.mark.parametrize("batch_size,num_steps,bad", [(0, 5, "batch_size=0"), (4, 0, "num_steps=0"),
                                                      (-2, 5, "batch_size=-2"), (2.5, 5, "batch_size=2.5")])
def test_lm_batches_with_sizes_below_one(batch_size, num_steps, bad):
    for make in (lambda: LMBatches(CORPUS, batch_size, num_steps),
                 lambda: next(lm_batches_random(CORPUS, batch_size, num_steps)),
                 lambda: next(lm_batches_sequential(CORPUS, batch_size, num_steps))):
        with pytest.raises(ValueError, match=rf"{bad}: use a whole number >= 1"):
            make()


def test_a_corpus_shorter_than_one_window():
    with pytest.raises(ValueError, match=r"a corpus of 3 tokens is too short for one batch of "
                                         r"batch_size=2 x num_steps=5"):
        LMBatches([1, 2, 3], 2, 5)


def test_no_sequences_pad_to_an_empty_batch():
    batch, lengths = pad_sequences([])
    assert batch.shape == (0, 0) and lengths.tolist() == []
    assert list(BucketBatches([], [], 2)) == []


def test_bucket_batches_with_sizes_below_one():
    with pytest.raises(ValueError, match=r"batch_size=0: use a whole number >= 1"):
        BucketBatches([[1, 2]], [0], batch_size=0)
    with pytest.raises(ValueError, match=r"pool=0: use a whole number >= 1"):
        BucketBatches([[1, 2]], [0], batch_size=1, pool=0)


def test_bucket_batches_take_numpy_labels():
    seqs = [[1, 2, 3], [4, 5], [6]]
    for labels in (np.array([1, 0, 1]), np.array([1.0, 0.0, 1.0]), [np.int64(1), np.int64(0), np.int64(1)]):
        got = [(x.tolist(), y.tolist()) for x, _, y in BucketBatches(seqs, labels, 2, shuffle=False)]
        want = [(x.tolist(), y.tolist()) for x, _, y in BucketBatches(seqs, list(labels), 2, shuffle=False)]
        assert got == want and got[0][1] in ([1, 0], [1.0, 0.0])


def test_vocab_sizes_and_decoding_out_of_range():
    with pytest.raises(ValueError, match=r"max_size=-1: use None \(no limit\) or an int >= 2"):
        Vocab(["a", "b"], max_size=-1)
    with pytest.raises(ValueError, match=r"min_freq=0: use an int >= 1"):
        Vocab(["a"], min_freq=0)
    vocab = Vocab(["a", "b"])
    assert vocab.decode([2, 3]) == ["a", "b"] and vocab.decode([]) == []
    with pytest.raises(ValueError, match=r"decode got indices \[-1, 4\] outside this vocabulary's 0..3"):
        vocab.decode([-1, 2, 4])


# ------------------------------------------------------------- the scratch LSTM
def test_scratch_lstm_checks_c0_as_it_checks_h0():
    model = LSTMScratch(3, 4)
    X = torch.randn(2, 5, 3)
    H0, C0 = torch.zeros(1, 2, 4), torch.zeros(1, 1, 4)  # C0 would broadcast over the batch
    with pytest.raises(ValueError, match=r"\(L, B, H\) = \(1, 2, 4\), got C of shape \(1, 1, 4\)"):
        model(X, (H0, C0))
    with pytest.raises(ValueError, match=r"got H of shape \(2, 4\)"):
        model(X, (torch.zeros(2, 4), torch.zeros(1, 2, 4)))
    with pytest.raises(TypeError, match=r"state must be a pair \(H, C\)"):
        model(X, torch.zeros(1, 2, 4))


def test_scratch_lstm_zero_length_and_wrong_dtypes():
    model = LSTMScratch(3, 4)
    with pytest.raises(ValueError, match=r"X has no time steps \(shape \(2, 0, 3\)\)"):
        model(torch.randn(2, 0, 3))
    with pytest.raises(TypeError, match=r"X has dtype torch.int32: token ids must be torch.long"):
        model(torch.zeros(2, 5, dtype=torch.int32))
    with pytest.raises(TypeError, match=r"X is torch.float64 but the weights are torch.float32"):
        model(torch.randn(2, 5, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="X must be a tensor"):
        model([[0.0, 1.0, 2.0]])


# ------------------------------------------------------------- generation
@pytest.fixture
def lm():
    torch.manual_seed(0)
    return make_lstm_lm(6, 8)


@pytest.mark.parametrize("prefix,kind", [("hello", "str"), ([1, "a"], "list"), (None, "NoneType"),
                                         (torch.tensor([[1, 2]]), "Tensor")])
def test_generate_prefix_must_be_token_ids(lm, prefix, kind):
    with pytest.raises(TypeError, match=rf"prefix must be a list of token ids \(ints\), got {kind}"):
        generate(lm, prefix, 3, device="cpu")


def test_generate_accepts_a_1d_tensor_prefix(lm):
    assert generate(lm, torch.tensor([1, 2]), 4, device="cpu") == generate(lm, [1, 2], 4, device="cpu")


def test_generate_ids_lengths_and_temperatures(lm):
    with pytest.raises(ValueError, match=r"prefix holds ids \[6, -1\] outside the model's vocabulary 0..5"):
        generate(lm, [1, 6, -1], 3, device="cpu")
    with pytest.raises(ValueError, match=r"num_preds=-1: use a whole number >= 0"):
        generate(lm, [1], -1, device="cpu")
    assert generate(lm, [1, 2], 0, device="cpu") == [1, 2]
    for t in (-0.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=rf"temperature={t}: use 0 \(greedy\) or a finite number > 0"):
            generate(lm, [1], 3, temperature=t, device="cpu")
    with pytest.raises(ValueError, match=r"top_k=2.5 must be an int >= 1"):
        generate(lm, [1], 3, temperature=1.0, top_k=2.5, device="cpu")


class Tied(torch.nn.Module):
    """A fake language model whose next-token logits tie: four tokens share the best score."""

    vocab_size = 6

    def forward(self, X, state=None):
        return torch.tensor([5.0, 5.0, 5.0, 5.0, 0.0, 0.0]).expand(*X.shape, 6), state


def test_top_k_keeps_exactly_k_tokens_when_logits_tie():
    gen = torch.Generator().manual_seed(0)
    out = generate(Tied(), [4], 400, temperature=1.0, top_k=2, generator=gen, device="cpu")[1:]
    assert len(set(out)) == 2 and set(out) <= {0, 1, 2, 3}, sorted(set(out))


# ------------------------------------------------------------- training
@pytest.mark.parametrize("epochs", [0, -1, 1.5])
def test_fit_with_no_epochs(lm, epochs):
    with pytest.raises(ValueError, match=rf"epochs={epochs}: fit trains for a whole number of epochs >= 1"):
        fit(lm, CORPUS, cfg=TrainConfig(epochs=epochs, batch_size=2, num_steps=5), device="cpu", progress=False)


def test_fit_with_a_zero_batch_size(lm):
    with pytest.raises(ValueError, match=r"batch_size=0: use a whole number >= 1"):
        fit(lm, CORPUS, cfg=TrainConfig(epochs=1, batch_size=0), device="cpu", progress=False)
    assert math.isfinite(fit(lm, CORPUS, cfg=TrainConfig(epochs=1, batch_size=2, num_steps=5),
                             device="cpu", progress=False).train_metric[0])
