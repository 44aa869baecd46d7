"""Tests for lstm_teach.tagging: masking, packing, the baseline, batches, the tag() helper."""

import dataclasses

import pytest
import torch

from lstm_teach.data import GloVe
from lstm_teach.tagging import (
    PAD_LABEL, CharCNN, MostFrequentTagBaseline, TaggerConfig, TaggingBatches,
    accuracy_report, build_tagger, fit, mistake_counts, top_pairs, masked_accuracy, masked_loss,
    per_tag_accuracy, train_valid_split, unseen_mask, words_and_tags,
)

TOY = [
    [("The", "DT", "B-NP"), ("dog", "NN", "I-NP"), ("ate", "VBD", "B-VP"), ("the", "DT", "B-NP"),
     ("apple", "NN", "I-NP"), (".", ".", "O")],
    [("Everybody", "NN", "B-NP"), ("read", "VBD", "B-VP"), ("that", "DT", "B-NP"),
     ("book", "NN", "I-NP"), (".", ".", "O")],
    [("Dogs", "NNS", "B-NP"), ("read", "VBP", "B-VP"), ("books", "NNS", "B-NP")],
]


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models: one CPU thread is fastest, and much faster on a shared, busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


SMALL = TaggerConfig(word_dim=8, char_dim=6, char_filters=5, hidden_size=7, dropout=0.0, word_dropout=0.0,
                     epochs=1, batch_size=2)


def test_words_and_tags_and_split():
    words, tags = words_and_tags(TOY)
    assert words[0][:2] == ["The", "dog"] and tags[2] == ["NNS", "VBP", "NNS"]
    assert words_and_tags(TOY, column=2)[1][0][0] == "B-NP"
    train, val = train_valid_split(list(range(100)), 0.1, seed=0)
    assert len(val) == 10 and sorted(train + val) == list(range(100))
    assert train_valid_split(list(range(100)), 0.1, seed=0) == (train, val)  # reproducible
    with pytest.raises(ValueError, match="between 0 and 1"):
        train_valid_split(TOY, 1.5)


def test_unseen_mask_ignores_case():
    assert unseen_mask([["The", "CAT", "sat"]], [["the", "cat"]]) == [[False, False, True]]


def test_masked_loss_and_accuracy_ignore_padding():
    torch.manual_seed(0)
    scores = torch.randn(2, 4, 3)  # (B, T, K)
    tags = torch.tensor([[0, 2, 1, PAD_LABEL], [1, PAD_LABEL, PAD_LABEL, PAD_LABEL]])
    real = tags != PAD_LABEL
    # the loss is the mean cross-entropy over the 4 real positions only
    expected = -torch.log_softmax(scores, -1)[real].gather(1, tags[real][:, None]).mean()
    assert torch.allclose(masked_loss(scores, tags), expected)
    # padded positions never count, whatever the model says there
    correct, counted = masked_accuracy(scores, tags)
    assert counted == 4
    assert correct == int((scores.argmax(-1)[real] == tags[real]).sum())
    perfect = torch.nn.functional.one_hot(tags.clamp(min=0), 3).float()
    assert masked_accuracy(perfect, tags) == (4, 4)


def test_baseline_known_unknown_and_rules():
    words, tags = words_and_tags(TOY)
    base = MostFrequentTagBaseline(rules=False).fit(words, tags)
    assert base.predict_one(["the", "read", "zebra"]) == ["DT", "VBD", "NN"]  # ties: first seen
    assert base.predict_one(["THE"]) == ["DT"]  # falls back to the lower-cased word
    rules = MostFrequentTagBaseline(rules=True).fit(
        [["1990", "Paris", "walked", "talked", "well-known", "cats"]],
        [["CD", "NNP", "VBD", "VBD", "JJ", "NNS"]])
    assert rules.predict_one(["42.5", "London", "jumped", "low-cost", "dogs", "xyz"]) == [
        "CD", "NNP", "VBD", "JJ", "NNS", "VBD"]  # "xyz": no rule, the most frequent tag
    with pytest.raises(RuntimeError, match="fit"):
        MostFrequentTagBaseline().predict_one(["a"])


def _tagger(cfg=SMALL, glove=None, extra=()):
    torch.manual_seed(0)
    return build_tagger(TOY, cfg, glove=glove, extra_words=extra, device="cpu")


def test_tagging_batches_shapes_padding_and_coverage():
    tagger, info = _tagger()
    words, tags = words_and_tags(TOY)
    batches = TaggingBatches(words, tags, tagger.word_vocab, tagger.char_vocab, tagger.tag_vocab,
                             batch_size=2, seed=1)
    seen = sorted(i for idx in batches.buckets.batch_indices() for i in idx)
    assert seen == [0, 1, 2]  # every sentence exactly once per epoch
    w, c, lengths, y = batches.batch([0, 2])
    assert w.shape == (2, 6) and y.shape == (2, 6) and c.shape == (2, 6, 5)  # longest word: "apple"
    assert lengths.tolist() == [6, 3]
    assert (y[1, 3:] == PAD_LABEL).all() and (w[1, 3:] == 0).all() and (c[1, 3:] == 0).all()
    assert tagger.char_vocab.decode(c[1, 0, :4]) == list("Dogs")  # characters keep their case
    assert tagger.word_vocab.itos[w[1, 0]] == "dogs"  # the word embedding is lower case


def test_char_cnn_feature_does_not_depend_on_padding():
    torch.manual_seed(0)
    cnn = CharCNN(10, char_dim=4, filters=3)
    short = torch.tensor([[[2, 3, 4]]])  # (B=1, T=1, L=3)
    long = torch.tensor([[[2, 3, 4, 0, 0, 0]]])  # the same word, padded to L=6
    assert torch.allclose(cnn(short), cnn(long))
    assert torch.equal(cnn(torch.zeros(1, 1, 4, dtype=torch.long)), torch.zeros(1, 1, 3))


def test_packing_makes_scores_independent_of_padding():
    """A sentence gets the same scores alone and next to a longer one (backward LSTM too)."""
    tagger, _ = _tagger()
    words, _ = words_and_tags(TOY)
    batches = tagger.batches(words)
    model = tagger.model.eval()
    w, c, lengths, _ = batches.batch([2])
    alone = model(w, c, lengths)  # (1, 3, K)
    w, c, lengths, _ = batches.batch([0, 2])
    together = model(w, c, lengths)  # (2, 6, K)
    assert torch.allclose(alone[0], together[1, :3], atol=1e-6)
    # without packing, the backward direction would read the padding first and differ
    x = torch.cat([model.word_embedding(w), model.char_cnn(c)], -1)
    unpacked = model.output(model.lstm(x)[0])
    assert not torch.allclose(alone[0], unpacked[1, :3], atol=1e-4)


def test_model_rejects_wrong_shapes():
    tagger, _ = _tagger()
    with pytest.raises(ValueError, match="TaggingBatches"):
        tagger.model(torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 3, dtype=torch.long),
                     torch.tensor([3, 3]))


def test_training_fits_the_toy_data_and_predict_keeps_order():
    cfg = dataclasses.replace(SMALL, epochs=60, lr=0.05, hidden_size=16)
    tagger, _ = _tagger(cfg)
    words, tags = words_and_tags(TOY)
    train = TaggingBatches(words, tags, tagger.word_vocab, tagger.char_vocab, tagger.tag_vocab, 2)
    history = fit(tagger.model, train, tagger.batches(words, tags), cfg, device="cpu", progress=False)
    assert history.valid_metric[-1] == 1.0 and history.train_loss[-1] < history.train_loss[0]
    assert history.best_epoch == history.best() and history.valid_metric[history.best_epoch - 1] == 1.0
    assert tagger.predict(words) == tags  # sentences come back in their order


def test_glove_initialises_embeddings_and_extra_words():
    glove = GloVe(8, "test", ["dog", "apple", "zebra", "the"], torch.arange(32.0).reshape(4, 8))
    tagger, info = _tagger(glove=glove, extra=["Zebra", "okapi"])
    emb = tagger.model.word_embedding.weight
    assert torch.equal(emb[tagger.word_vocab["dog"]], glove.vectors[0])
    assert torch.equal(emb[tagger.word_vocab["zebra"]], glove.vectors[2])  # extra, with a vector
    assert "okapi" not in tagger.word_vocab  # extra words without a vector are left out
    assert info["glove_initialised"] == 4 and info["extra_glove_words"] == 1
    with pytest.raises(ValueError, match="word_dim"):
        build_tagger(TOY, dataclasses.replace(SMALL, word_dim=5), glove=glove)


def test_tag_helper_handles_empty_and_unknown_words(capsys):
    tagger, _ = _tagger()
    with pytest.raises(ValueError, match="empty sentence"):
        tagger.tag("   ")
    with pytest.raises(ValueError, match="empty sentence"):
        tagger.tag([])
    out = tagger.tag("The okapi ate the apple.")
    assert [w for w, _ in out] == ["The", "okapi", "ate", "the", "apple", "."]
    assert all(t in tagger.tag_vocab for _, t in out)
    assert "okapi" in capsys.readouterr().out
    words = [w for w, _ in tagger.tag("U.S. firms don't sell it, they've said.", verbose=False)]
    assert words == ["U.S.", "firms", "do", "n't", "sell", "it", ",", "they", "'ve", "said", "."]


def test_reports():
    gold = [["DT", "NN", "VBD"], ["NN", "JJ"]]
    pred = [["DT", "JJ", "VBD"], ["NN", "NN"]]
    unseen = [[False, True, False], [False, True]]
    r = accuracy_report(gold, pred, unseen)
    assert r["all"] == 3 / 5 and r["unseen"] == 0.0 and r["seen"] == 1.0 and r["n_unseen"] == 2
    assert per_tag_accuracy(gold, pred)["NN"] == (0.5, 2)
    assert top_pairs(mistake_counts(gold, pred)) == [("JJ", "NN", 1), ("NN", "JJ", 1)]
    with pytest.raises(ValueError, match="predicted"):
        accuracy_report([["DT"]], [["DT", "NN"]], [[False]])


def test_top_pairs_and_the_confusion_figure_come_from_one_count():
    gold = [["NN", "NN", "NN", "VBD", "VBG", "JJ"], ["VBZ", "NN"]]
    pred = [["JJ", "JJ", "VBG", "VBN", "NN", "NN"], ["NNS", "NN"]]
    mistakes = mistake_counts(gold, pred)
    assert mistakes == {("NN", "JJ"): 2, ("NN", "VBG"): 1, ("VBD", "VBN"): 1, ("VBG", "NN"): 1,
                        ("JJ", "NN"): 1, ("VBZ", "NNS"): 1}
    pairs = top_pairs(mistakes, 4)  # ties by tag names
    assert pairs == [("NN", "JJ", 2), ("JJ", "NN", 1), ("NN", "VBG", 1), ("VBD", "VBN", 1)]
    with pytest.raises(ValueError, match="top=0"):
        top_pairs(mistakes, 0)

    from matplotlib.patches import Rectangle
    from lstm_teach.plots import plot_tag_confusion
    import matplotlib.pyplot as plt
    fig = plot_tag_confusion(pairs, mistakes)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    outlined = {(rows[round(r.get_y() + 0.5)], cols[round(r.get_x() + 0.5)])
                for r in ax.patches if isinstance(r, Rectangle)}
    assert outlined == {(g, p) for g, p, _ in pairs}  # every printed pair, and only those, outlined
    shown = {t.get_text() for t in ax.texts}
    assert {str(n) for _, _, n in pairs} <= shown
    plt.close(fig)
    with pytest.raises(ValueError, match="disagree"):
        plot_tag_confusion([("NN", "JJ", 5)], mistakes)
