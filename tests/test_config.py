"""Quick mode, seeds and the device."""

import pytest
import torch

from lstm_teach import config


@pytest.mark.parametrize("env,expected", [
    ({}, False), ({"CI": "true"}, True), ({"LSTM_TEACH_QUICK": "1"}, True),
    ({"LSTM_TEACH_QUICK": "0", "CI": "true"}, False), ({"LSTM_TEACH_QUICK": "off"}, False),
])
def test_quick_mode(monkeypatch, env, expected):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("LSTM_TEACH_QUICK", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert config.quick_mode() is expected


def test_quick_mode_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("LSTM_TEACH_QUICK", "maybe")
    with pytest.raises(ValueError, match="LSTM_TEACH_QUICK"):
        config.quick_mode()


def test_seed_everything_repeats_numbers():
    import random

    import numpy as np

    def draw():
        return random.random(), float(np.random.rand()), torch.randn(3).tolist()

    config.seed_everything(7)
    first = draw()
    config.seed_everything(7)
    assert draw() == first


def test_data_dir_follows_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_TEACH_DATA", str(tmp_path / "d"))
    assert config.data_dir() == tmp_path / "d" and (tmp_path / "d").is_dir()


def test_device_and_run_line():
    assert config.get_device("cpu") == config.get_device(torch.device("cpu")) == torch.device("cpu")
    assert config.get_device(None) == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    line = config.describe_run(seed=3)
    assert "seed 3" in line and "torch" in line


def test_course_results_reads_this_checkout_and_says_what_to_do_without_it(monkeypatch):
    from lstm_teach import config

    assert config.course_results("05_imdb_sentiment")["notebook"] == "05_imdb_sentiment"  # results/ of the checkout

    def offline(url, timeout):
        raise OSError("no network")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(FileNotFoundError, match=r"results/no_such_table.json .*raw.githubusercontent.com.*clone"):
        config.course_results("no_such_table")
