"""The sentiment model: padded == packed == nn.LSTM, pooling, prediction, saving."""

import dataclasses

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_teach.sentiment import (BiLSTM, SentimentConfig, SentimentLSTM, evaluate, fit, glove_matrix,
                                  load_model, predict_sentiment, reverse_padded, save_model)
from lstm_teach.data import GloVe
from lstm_teach.text import BucketBatches, Vocab, pad_sequences


def test_reverse_padded_reverses_within_length_and_is_its_own_inverse():
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
    lengths = torch.tensor([3, 2])
    assert reverse_padded(x, lengths).tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]
    y = torch.randn(2, 4, 3)
    assert torch.equal(reverse_padded(reverse_padded(y, lengths), lengths), y)
    with pytest.raises(ValueError, match="lengths"):
        reverse_padded(x, torch.tensor([3]))


@pytest.mark.parametrize("num_layers", [1, 2])
def test_bilstm_padded_and_packed_equal_nn_lstm_on_packed_input(num_layers):
    torch.manual_seed(0)
    ref = nn.LSTM(5, 4, num_layers=num_layers, bidirectional=True, batch_first=True).double()
    ours = BiLSTM(5, 4, num_layers).double().from_nn_lstm(ref)
    lengths = torch.tensor([6, 2, 4, 1])
    x = torch.randn(4, 6, 5, dtype=torch.float64)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, (h_n, _) = ref(packed)
    out, _ = pad_packed_sequence(out, batch_first=True)  # (B, T, 2H), zeros at pads
    final = torch.cat([h_n[-2], h_n[-1]], dim=1)  # last layer: forward, backward
    for use_packing in (False, True):
        o, last = ours(x, lengths, packed=use_packing)
        assert (o - out).abs().max() < 1e-12
        assert (last - final).abs().max() < 1e-12


def test_padded_batches_without_the_trick_would_differ():
    # Reading pads before the last real token changes the final state: why the trick matters.
    torch.manual_seed(0)
    ref = nn.LSTM(3, 4, bidirectional=True, batch_first=True)
    x = torch.randn(2, 5, 3)
    x[1, 2:] = 0.0  # row 1 has 2 real tokens
    _, (h_plain, _) = ref(x)
    ours = BiLSTM(3, 4, 1).from_nn_lstm(ref)
    _, last = ours(x, torch.tensor([5, 2]))
    assert (last[1, :4] - h_plain[0, 1]).abs().max() > 1e-3


def test_model_shapes_pooling_and_shape_errors():
    cfg = SentimentConfig(embed_dim=6, hidden_size=5, dropout=0.0)
    x, lengths = pad_sequences([[2, 3, 4], [5, 6]])
    for pooling in ("last", "max"):
        model = SentimentLSTM(10, SentimentConfig(**{**vars(cfg), "pooling": pooling}))
        assert model(x, lengths).shape == (2,)
    with pytest.raises(ValueError, match="pooling"):
        SentimentLSTM(10, SentimentConfig(pooling="mean"))
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        model(x[0], lengths)


def test_glove_matrix_zeroes_specials_and_counts_coverage():
    vocab = Vocab(["good", "good", "film", "zzqx"], specials=("<pad>", "<unk>"))

    glove = GloVe(2, "test", ["good", "film"], torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    weights, share = glove_matrix(vocab, glove)
    assert weights[vocab["good"]].tolist() == [1.0, 2.0]
    assert weights[vocab.pad_index].abs().sum() == 0 and weights[vocab.unk_index].abs().sum() == 0
    assert share == pytest.approx(2 / 5)


def _toy_reviews(n=200):
    g = torch.Generator().manual_seed(0)
    texts, labels = [], []
    for i in range(n):
        label = i % 2
        word = "great" if label else "awful"
        filler = ["the", "film", "was", "a", "plot"]
        words = [filler[int(j)] for j in torch.randint(5, (int(torch.randint(3, 9, (1,), generator=g)),), generator=g)]
        words.insert(int(torch.randint(len(words), (1,), generator=g)), word)
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


def test_a_small_model_learns_a_toy_task_and_round_trips(tmp_path):
    torch.manual_seed(0)
    texts, labels = _toy_reviews()
    vocab = Vocab([t.split() for t in texts])
    seqs = [vocab.encode(t.split()) for t in texts]
    train = BucketBatches(seqs[:150], labels[:150], batch_size=16, seed=0)
    valid = BucketBatches(seqs[150:], labels[150:], batch_size=32, shuffle=False)
    model = SentimentLSTM(len(vocab), SentimentConfig(embed_dim=8, hidden_size=8, dropout=0.0))
    history = fit(model, train, valid, dataclasses.replace(model.cfg, epochs=15, lr=0.02, patience=15), device="cpu",
                  progress=False)
    assert max(history.valid_metric) > 0.95 and history.metric == "accuracy"
    assert history.valid_metric[history.best_epoch - 1] == max(history.valid_metric)
    assert evaluate(model, valid, "cpu")["acc"] == max(history.valid_metric)  # the best epoch's weights are kept
    p_good = predict_sentiment(model, vocab, "the film was great")
    p_bad = predict_sentiment(model, vocab, "the film was awful")
    assert p_good > 0.5 > p_bad
    save_model(model, vocab, tmp_path / "m")
    again, vocab2 = load_model(tmp_path / "m")
    assert predict_sentiment(again, vocab2, "the film was great") == pytest.approx(p_good)
    assert evaluate(again, valid, "cpu")["acc"] == pytest.approx(evaluate(model, valid, "cpu")["acc"])


def test_prediction_refuses_empty_and_unknown_text():
    vocab = Vocab(["good", "bad"])
    model = SentimentLSTM(len(vocab), SentimentConfig(embed_dim=4, hidden_size=3))
    for text in ("", "   ", "<br /><br />"):
        with pytest.raises(ValueError, match="empty"):
            predict_sentiment(model, vocab, text)
    with pytest.raises(ValueError, match="vocabulary"):
        predict_sentiment(model, vocab, "xylophone quagmire")


def test_loading_a_file_for_another_model_says_so(tmp_path):
    vocab = Vocab(["good", "bad"])
    save_model(SentimentLSTM(len(vocab), SentimentConfig(embed_dim=4, hidden_size=3)), vocab, tmp_path / "a")
    blob = torch.load(tmp_path / "a" / "model.pt", weights_only=True)
    blob["state_dict"]["fc.weight"] = torch.zeros(1, 99)
    torch.save(blob, tmp_path / "a" / "model.pt")
    with pytest.raises(ValueError, match="does not match"):
        load_model(tmp_path / "a")
    Vocab(["good", "bad", "ugly"]).save(tmp_path / "a" / "vocab.json")
    with pytest.raises(ValueError, match="vocabulary"):
        load_model(tmp_path / "a")


def _toy_batches():
    texts, labels = _toy_reviews(120)
    vocab = Vocab([t.split() for t in texts])
    seqs = [vocab.encode(t.split()) for t in texts]
    return (vocab, BucketBatches(seqs[:80], labels[:80], batch_size=16, seed=0),
            BucketBatches(seqs[80:], labels[80:], batch_size=40, shuffle=False))


def test_without_early_stopping_the_last_epoch_is_kept_and_with_it_the_best():
    vocab, train, valid = _toy_batches()
    cfg = SentimentConfig(embed_dim=8, hidden_size=8, epochs=6, lr=0.05)
    torch.manual_seed(0)
    model = SentimentLSTM(len(vocab), cfg)
    history = fit(model, train, valid, device="cpu", progress=False)  # the seed's way: every epoch, the last weights
    assert len(history) == 6 and history.best_epoch is None
    assert evaluate(model, valid, "cpu")["acc"] == pytest.approx(history.valid_metric[-1])
    torch.manual_seed(0)
    stopped = SentimentLSTM(len(vocab), dataclasses.replace(cfg, patience=1))
    early = fit(stopped, train, valid, device="cpu", progress=False)
    assert early.valid_metric[early.best_epoch - 1] == max(early.valid_metric)
    assert len(early) == len(history) or len(early) == early.best_epoch + 1  # stopped one epoch after the best
    assert evaluate(stopped, valid, "cpu")["acc"] == pytest.approx(max(early.valid_metric))


@pytest.mark.parametrize("patience", [0, -1, 1.5, True, "2"])
def test_fit_refuses_a_patience_that_is_not_a_whole_number(patience):
    vocab, train, valid = _toy_batches()
    model = SentimentLSTM(len(vocab), SentimentConfig(embed_dim=4, hidden_size=3, epochs=1, patience=patience))
    with pytest.raises(ValueError, match="patience"):
        fit(model, train, valid, device="cpu", progress=False)


def test_the_reference_config_is_the_seeds_model():
    cfg = SentimentConfig()
    assert (cfg.embed_dim, cfg.hidden_size, cfg.num_layers, cfg.dropout, cfg.embed_dropout, cfg.pooling,
            cfg.lr, cfg.patience, cfg.schedule) == (100, 256, 2, 0.5, 0.5, "last", 1e-3, None, False)
    model = SentimentLSTM(12, cfg)
    assert model.embed_dropout.p == 0.5 and model.dropout.p == 0.5 and model.encoder.dropout.p == 0.5
