"""lstm_teach.speed: one timer (torch.utils.benchmark) behind every speed the notebooks print.

Speeds are never asserted (they depend on the machine); these tests check what is measured,
the units and the arithmetic on the measured times.
"""

import pytest
import torch

import lstm_teach.speed as speed
from lstm_teach.models import make_lstm_lm, to_nn_lstm_lm
from lstm_teach.speed import (compare_speed, format_speed_table, generation_speed, median_seconds, time_products,
                              training_throughput)


def test_median_seconds_times_the_function_it_is_given():
    calls = []
    seconds = median_seconds(lambda: calls.append(1), min_run_time=0.01)
    assert calls and 0 < seconds < 0.01  # appending to a list takes far less than the whole budget


def test_throughput_and_speed_table_run():
    steps = [("scratch", dict(kind="scratch", variant="handwritten"), False), ("nn", dict(kind="nn"), False)]
    rows = compare_speed(11, 8, 2, 5, steps, min_run_time=0.01, warmup=1, device="cpu", progress=False)
    assert rows[-1]["ratio"] == 1.0 and rows[0]["tokens_per_s"] > 0 and len(rows[0]["repeats"]) >= 1
    assert rows[0]["ratio"] == pytest.approx(rows[0]["tokens_per_s"] / rows[1]["tokens_per_s"])
    table = format_speed_table(rows)
    assert "x nn.LSTM" in table and "x lookup" not in table and table.count("\n") == 2


def test_speed_table_has_the_fair_peer_and_both_ratios():
    steps = [("lookup", dict(kind="scratch", variant="hoisted"), False),
             ("nn + lookup", dict(kind="nn", embed_size=4), False), ("nn one-hot", dict(kind="nn"), False)]
    rows = compare_speed(11, 8, 2, 5, steps, min_run_time=0.01, warmup=1, device="cpu", progress=False)
    assert rows[1]["ratio_peer"] == 1.0 and rows[2]["ratio"] == 1.0
    assert rows[0]["ratio_peer"] == pytest.approx(rows[0]["tokens_per_s"] / rows[1]["tokens_per_s"])
    assert rows[0]["ratio"] == pytest.approx(rows[0]["tokens_per_s"] / rows[2]["tokens_per_s"])
    table = format_speed_table(rows)
    assert "x nn.LSTM" in table and "x lookup" in table and table.count("\n") == 3
    assert any(label == "nn.LSTM + embedding lookup (256)" for label, _, _ in speed.SPEED_STEPS)


def test_throughput_is_tokens_per_second_of_the_median_batch(monkeypatch):
    class Measured:  # what torch.utils.benchmark returns, with made-up times
        median, times = 0.5, [0.4, 0.5, 1.0]

    monkeypatch.setattr(speed, "_measure", lambda fn, min_run_time: (fn(), Measured)[1])
    r = training_throughput(make_lstm_lm(7, 4, kind="nn"), 7, batch_size=2, num_steps=3, warmup=0, device="cpu")
    assert r["median"] == 12.0 and r["repeats"] == [15.0, 12.0, 6.0]  # 2 x 3 tokens per batch


def test_time_products_reports_its_times_and_what_is_left(monkeypatch):
    times = iter([0.004, 0.010, 2e-6])  # products alone, nn.LSTM's layer, one sigmoid (seconds)

    def fake_median_seconds(fn, min_run_time):
        fn()  # the timed functions run
        return next(times)

    monkeypatch.setattr(speed, "median_seconds", fake_median_seconds)
    floor = time_products(8, 2, 3, input_size=5)
    # 10 ms - 4 ms = 6 ms left for 3 steps forward and 3 back: 1 ms = 1000 us per step
    assert floor == pytest.approx({"products_ms": 4.0, "nn_lstm_ms": 10.0, "left_us": 1000.0, "sigmoid_us": 2.0})


def test_time_products_runs_on_the_real_timer():
    floor = time_products(8, 2, 3, input_size=5, min_run_time=0.01)
    assert floor["products_ms"] > 0 and floor["nn_lstm_ms"] > 0 and floor["sigmoid_us"] > 0


def test_throughput_leaves_the_model_unchanged():
    lm = make_lstm_lm(7, 4, kind="nn")
    before = [p.detach().clone() for p in lm.parameters()]
    training_throughput(lm, 7, 2, 3, min_run_time=0.01, warmup=1, device="cpu")
    assert all(torch.equal(a, b) for a, b in zip(before, lm.parameters()))


def test_generation_speed_compares_equal_models():
    torch.manual_seed(0)
    scratch = make_lstm_lm(11, 8, kind="scratch", variant="hoisted")
    reference = to_nn_lstm_lm(scratch)
    result = generation_speed(scratch, reference, [1, 2, 3], num_chars=20, min_run_time=0.01, device="cpu")
    assert result["same_text"] and result["model"] > 0 and result["reference"] > 0
    assert result["ratio"] == pytest.approx(result["model"] / result["reference"])
    other = make_lstm_lm(11, 8, kind="nn")  # different weights: a different greedy text
    assert not generation_speed(scratch, other, [1, 2, 3], num_chars=20, min_run_time=0.01, device="cpu")["same_text"]
