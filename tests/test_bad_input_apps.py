"""Bad input to the sentiment (05) and tagging (07) functions: clear errors that name what was
given and what is allowed; saved models that do not belong together are refused (issue 15)."""

import dataclasses

import pytest
import torch

from lstm_teach import sentiment, tagging
from lstm_teach.sentiment import SentimentConfig, SentimentLSTM, load_model, predict_sentiment, save_model
from lstm_teach.text import BucketBatches, Vocab

TINY = SentimentConfig(embed_dim=4, hidden_size=3, num_layers=1)
TOY = [[("The", "DT", "B-NP"), ("dog", "NN", "I-NP"), ("ate", "VBD", "B-VP"), (".", ".", "O")],
       [("Dogs", "NNS", "B-NP"), ("read", "VBP", "B-VP"), ("books", "NNS", "B-NP")]]
SMALL = tagging.TaggerConfig(word_dim=8, char_dim=6, char_filters=5, hidden_size=7, dropout=0.0, word_dropout=0.0,
                             epochs=1, batch_size=2)


@pytest.fixture
def saved(tmp_path):
    vocab = Vocab(["good", "bad", "film"])
    torch.manual_seed(0)
    save_model(SentimentLSTM(len(vocab), TINY), vocab, tmp_path / "m")
    return tmp_path / "m"


# ------------------------------------------------------------- sentiment
@pytest.mark.parametrize("text", [None, 42, ["good", "film"]])
def test_predict_sentiment_needs_a_string(text):
    vocab = Vocab(["good", "bad"])
    with pytest.raises(TypeError, match=rf"text must be a string \(one review\), got {type(text).__name__}"):
        predict_sentiment(SentimentLSTM(len(vocab), TINY), vocab, text)


def test_sentiment_fit_with_no_epochs_and_empty_evaluation():
    vocab = Vocab(["good", "bad"])
    model = SentimentLSTM(len(vocab), TINY)
    train = BucketBatches([[2, 3], [3]], [1, 0], batch_size=2)
    with pytest.raises(ValueError, match=r"epochs=0: fit trains for a whole number of epochs >= 1"):
        sentiment.fit(model, train, train, dataclasses.replace(model.cfg, epochs=0), device="cpu")
    with pytest.raises(ValueError, match=r"evaluate got no batches: the evaluation set is empty"):
        sentiment.evaluate(model, BucketBatches([], [], batch_size=2), "cpu")


def test_load_model_of_a_bare_state_dict(saved):
    torch.save(SentimentLSTM(4, TINY).state_dict(), saved / "model.pt")
    with pytest.raises(ValueError, match=rf"{saved / 'model.pt'} holds a bare state_dict, not what save_model"):
        load_model(saved)


def test_load_model_of_random_bytes(saved):
    (saved / "model.pt").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ValueError, match=rf"{saved / 'model.pt'} is not a model saved by save_model"):
        load_model(saved)


def test_load_model_of_bad_json_names_the_file(saved):
    (saved / "vocab.json").write_text('{"itos": ["<pad>", "<unk>", "good"')
    with pytest.raises(ValueError, match=rf"{saved / 'vocab.json'} is not a vocabulary written by Vocab.save "
                                         r"\(JSONDecodeError"):
        load_model(saved)
    (saved / "vocab.json").unlink()
    with pytest.raises(FileNotFoundError, match=rf"{saved / 'vocab.json'} is missing"):
        load_model(saved)


def test_load_model_refuses_a_vocabulary_from_another_run(saved):
    assert load_model(saved)[1].itos == ["<pad>", "<unk>", "bad", "film", "good"]
    for words in (["film", "film", "good", "bad"], ["awful", "bad", "film"]):  # other order; another word
        Vocab(words).save(saved / "vocab.json")
        assert len(Vocab.load(saved / "vocab.json")) == 5  # the size check alone would pass
        with pytest.raises(ValueError, match=rf"{saved / 'vocab.json'} is not the vocabulary .* was trained with"):
            load_model(saved)


# ------------------------------------------------------------- tagging
@pytest.fixture(scope="module")
def tagger():
    torch.set_num_threads(1)
    return tagging.build_tagger(TOY, SMALL, device="cpu")[0]


@pytest.mark.parametrize("sentence,kind", [(None, "NoneType"), (42, "int"), (["The", None], "list"),
                                           ([3, 4], "list")])
def test_tag_needs_a_string_or_a_list_of_words(tagger, sentence, kind):
    with pytest.raises(TypeError, match=rf"tag\(\) takes a sentence as a string or a list of words "
                                        rf"\(strings\), got {kind}"):
        tagger.tag(sentence)


def test_tag_of_a_word_list_still_works(tagger):
    assert [w for w, _ in tagger.tag(["The", "dog", "ate"], verbose=False)] == ["The", "dog", "ate"]


def test_tagging_fit_with_no_epochs_and_empty_evaluation(tagger):
    import dataclasses

    batches = tagger.batches(*tagging.words_and_tags(TOY)[:2])
    with pytest.raises(ValueError, match=r"epochs=0: fit trains for a whole number of epochs >= 1"):
        tagging.fit(tagger.model, batches, batches, dataclasses.replace(SMALL, epochs=0), device="cpu")
    empty = tagger.batches([], [])
    with pytest.raises(ValueError, match=r"evaluate got no tagged words: the evaluation set is empty"):
        tagging.evaluate(tagger.model, empty, "cpu")


def test_accuracy_report_of_nothing_or_of_unequal_lists():
    with pytest.raises(ValueError, match="accuracy_report got no tagged words: the evaluation set is empty"):
        tagging.accuracy_report([], [], [])
    with pytest.raises(ValueError, match=r"one entry per sentence; got 2, 1 and 2 sentences"):
        tagging.accuracy_report([["DT"], ["NN"]], [["DT"]], [[False], [True]])
