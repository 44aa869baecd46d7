"""The exercises: every check function accepts a right answer and rejects a wrong one, and every
notebook listed below has 3 to 5 exercises, each with a hint and a collapsed solution cell."""

import json
import math
import re
from pathlib import Path

import pytest
import torch

from lstm_teach import exercises as ex

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ notebook 01
def test_steps_to_vanish():
    assert ex.check_steps_to_vanish(20, gain=0.5, ratio=1e-6)
    assert not ex.check_steps_to_vanish(19, gain=0.5, ratio=1e-6)
    assert not ex.check_steps_to_vanish(21, gain=0.5, ratio=1e-6)


def test_clip_by_norm():
    def right(grads, max_norm):
        total = float(torch.sqrt(sum((g ** 2).sum() for g in grads)))
        return [g * min(1.0, max_norm / (total + 1e-6)) for g in grads]

    def per_tensor(grads, max_norm):  # a norm per tensor instead of one global norm
        return [g * min(1.0, max_norm / (float(g.norm()) + 1e-6)) for g in grads]

    def always(grads, max_norm):  # scales up small gradients too
        total = float(torch.sqrt(sum((g ** 2).sum() for g in grads)))
        return [g * max_norm / total for g in grads]

    assert ex.check_clip_by_norm(right)
    assert not ex.check_clip_by_norm(per_tensor)
    assert not ex.check_clip_by_norm(always)


# ------------------------------------------------------------------ notebook 02
def test_lstm_param_count():
    assert ex.check_lstm_param_count(366_592, input_size=100, hidden_size=256)
    assert not ex.check_lstm_param_count(366_592 - 4 * 256, input_size=100, hidden_size=256)  # one bias only
    assert ex.check_lstm_param_count(3 * (20 * 30 + 40), input_size=10, hidden_size=20, kind="gru")


def _lstm_step(x, h, c, weight_ih, weight_hh, bias, order="ifgo"):
    z = dict(zip(order, (x @ weight_ih.T + h @ weight_hh.T + bias).chunk(4, dim=-1)))
    c = torch.sigmoid(z["f"]) * c + torch.sigmoid(z["i"]) * torch.tanh(z["g"])
    return torch.sigmoid(z["o"]) * torch.tanh(c), c


def test_lstm_step():
    assert ex.check_lstm_step(_lstm_step)
    assert not ex.check_lstm_step(lambda *a: _lstm_step(*a, order="figo"))  # i and f swapped
    assert not ex.check_lstm_step(lambda *a: _lstm_step(*a)[::-1])  # (c, h) instead of (h, c)


def test_forget_bias_for_memory():
    f = 0.5 ** (1 / 100)
    assert ex.check_forget_bias_for_memory(math.log(f / (1 - f)))
    assert not ex.check_forget_bias_for_memory(f)  # the gate value, not the bias


# ------------------------------------------------------------------ notebook 03
def test_param_count():
    assert ex.check_param_count(299_036, 28, 256)
    assert not ex.check_param_count(299_036 - 28, 28, 256)  # output bias forgotten


def test_gate_rows():
    assert ex.check_gate_rows("f", slice(256, 512), hidden_size=256)
    assert not ex.check_gate_rows("f", slice(0, 256), hidden_size=256)
    assert not ex.check_gate_rows("o", slice(512, 768), hidden_size=256)  # that is g


def test_fused_step():
    def right(X, H, C, W_x, W_h, b):
        I, F, C_tilde, O = (X @ W_x + H @ W_h + b).chunk(4, dim=-1)
        C = torch.sigmoid(F) * C + torch.sigmoid(I) * torch.tanh(C_tilde)
        return torch.sigmoid(O) * torch.tanh(C), C

    def sigmoid_candidate(X, H, C, W_x, W_h, b):
        I, F, C_tilde, O = (X @ W_x + H @ W_h + b).chunk(4, dim=-1)
        C = torch.sigmoid(F) * C + torch.sigmoid(I) * torch.sigmoid(C_tilde)
        return torch.sigmoid(O) * torch.tanh(C), C

    assert ex.check_fused_step(right)
    assert not ex.check_fused_step(sigmoid_candidate)
    assert not ex.check_fused_step(lambda *a: 1 / 0)  # reports, does not raise


# ------------------------------------------------------------------ notebook 04
def test_h_n_shape():
    assert ex.check_h_n_shape((6, 4, 32), num_layers=3, bidirectional=True, batch_size=4, hidden_size=32)
    assert not ex.check_h_n_shape((4, 6, 32), num_layers=3, bidirectional=True, batch_size=4, hidden_size=32)
    assert ex.check_h_n_shape((1, 4, 8), 1, False, 4, 32, proj_size=8)


def test_last_layer_states():
    def right(h_n, num_layers):
        h = h_n.view(num_layers, 2, *h_n.shape[1:])
        return h[-1, 0], h[-1, 1]

    assert ex.check_last_layer_states(right)
    assert not ex.check_last_layer_states(lambda h_n, L: (h_n[0], h_n[1]))  # the first layer


def _from_keras(kernel, recurrent_kernel, bias, zero_hh=True, transpose=True):
    D, H = kernel.shape[0], recurrent_kernel.shape[0]
    lstm = torch.nn.LSTM(D, H, batch_first=True)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(kernel.T if transpose else kernel.reshape(4 * H, D))
        lstm.weight_hh_l0.copy_(recurrent_kernel.T if transpose else recurrent_kernel.reshape(4 * H, H))
        lstm.bias_ih_l0.copy_(bias)
        if zero_hh:
            lstm.bias_hh_l0.zero_()
    return lstm


def test_from_keras():
    assert ex.check_from_keras(_from_keras)
    assert not ex.check_from_keras(lambda *a: _from_keras(*a, zero_hh=False))  # bias_hh left random
    assert not ex.check_from_keras(lambda *a: _from_keras(*a, transpose=False))  # reshaped, not transposed
    assert not ex.check_from_keras(lambda *a: None)  # reports, does not raise


# ------------------------------------------------------------------ notebook 07
def test_masked_accuracy():
    def right(scores, tags):
        mask = tags != -100
        return ((scores.argmax(-1) == tags) & mask).sum().item() / mask.sum().item()

    def counts_pads(scores, tags):
        return ((scores.argmax(-1) == tags) & (tags != -100)).sum().item() / tags.numel()

    assert ex.check_masked_accuracy(right)
    assert not ex.check_masked_accuracy(counts_pads)


def test_unseen_share():
    train, test = [["The", "cat"]], [["the", "dog", "dog"], ["Cat"]]
    assert ex.check_unseen_share(2 / 4, test, train)  # tokens: dog, dog
    assert not ex.check_unseen_share(1 / 3, test, train)  # types: {the, dog, cat}


def test_two_tags_for_one_word():
    a, b = [("to", "TO"), ("book", "VB")], [("the", "DT"), ("book", "NN")]
    assert ex.check_two_tags_for_one_word(a, b, "book")
    assert not ex.check_two_tags_for_one_word(b, b, "book")
    assert not ex.check_two_tags_for_one_word(a, b, "cat")


# ------------------------------------------------------------------ the notebooks' exercise sections
# Notebooks whose exercises follow the form below (add the others as they adopt it).
NOTEBOOKS = ["01_rnn_gradients", "02_lstm_cell", "03_lstm_from_scratch", "04_nn_lstm", "05_imdb_sentiment",
             "06_jaychou_lyrics",
             "07_pos_tagging", "08_what_the_lstm_learned"]


def _cells(name):
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"]), c.get("metadata", {})) for c in nb["cells"]]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_exercise_section(name):
    """3 to 5 exercises "**N. ...**", each with "*Hint:*", each followed by exactly one collapsed
    code cell whose first line is "# Solution to exercise N"; at least one uses a check function."""
    cells = _cells(name)
    starts = [i for i, (kind, src, _) in enumerate(cells) if kind == "markdown" and src.startswith("## Exercises")]
    assert len(starts) == 1, f"{name}: one markdown cell must start with '## Exercises'"
    ends = [i for i, (kind, src, _) in enumerate(cells)
            if i > starts[0] and kind == "markdown" and src.startswith("## ")]
    section = cells[starts[0]:ends[0] if ends else len(cells)]
    numbers, solutions, uses_check = [], {}, False
    for kind, src, meta in section:
        hidden = meta.get("jupyter", {}).get("source_hidden", False)
        if kind == "markdown":
            found = re.match(r"\*\*(\d)\.", src.lstrip("#\n "))
            if found:
                numbers.append(int(found.group(1)))
                assert "*Hint:*" in src, f"{name}: exercise {numbers[-1]} has no '*Hint:*'"
        elif hidden:
            first = src.splitlines()[0]
            found = re.fullmatch(r"# Solution to exercise (\d)(:.*)?", first)
            assert found, f"{name}: a collapsed cell starts with {first!r}, not '# Solution to exercise N'"
            n = int(found.group(1))
            assert numbers and numbers[-1] == n, f"{name}: solution {n} is not right after exercise {n}"
            solutions[n] = solutions.get(n, 0) + 1
        uses_check = uses_check or (kind == "code" and "check_" in src)
    assert 3 <= len(numbers) <= 5 and numbers == list(range(1, len(numbers) + 1)), (name, numbers)
    assert solutions == {n: 1 for n in numbers}, f"{name}: one collapsed solution per exercise: {solutions}"
    assert uses_check, f"{name}: no exercise uses a check function from lstm_teach.exercises"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_records_its_results(name):
    calls = [src for kind, src, _ in _cells(name) if kind == "code" and "save_results(" in src]
    assert len(calls) == 1, f"{name}: one code cell must call save_results (README's results table)"


# ------------------------------------------------------------------ notebook 08
def test_pearson():
    def right(x, y):
        x, y = x - x.mean(), y - y.mean()
        return float((x * y).sum() / (x.norm() * y.norm()))

    assert ex.check_pearson(right)
    assert not ex.check_pearson(lambda x, y: float(((x - x.mean()) * (y - y.mean())).mean()))  # covariance
    assert not ex.check_pearson(lambda x, y: 1 / 0)


def test_line_position():
    def right(text):
        out, pos = [], 0
        for ch in text:
            out.append(pos)
            pos = 0 if ch == "\n" else pos + 1
        return out

    def from_one(text):
        return [p + 1 for p in right(text)]

    assert ex.check_line_position(right)
    assert not ex.check_line_position(from_one)


def test_saturation():
    assert ex.check_saturation(lambda g: ((g < 0.1).float().mean(0), (g > 0.9).float().mean(0)))
    assert not ex.check_saturation(lambda g: ((g < 0.1).float().mean(1), (g > 0.9).float().mean(1)))  # over units
    assert not ex.check_saturation(lambda g: ((g > 0.9).float().mean(0), (g < 0.1).float().mean(0)))  # swapped


def test_r_squared():
    assert ex.check_r_squared(lambda y, p: 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum())
    assert not ex.check_r_squared(lambda y, p: 1 - ((y - p) ** 2).sum() / (y ** 2).sum())  # not centred


def test_proj_size_shapes():
    assert ex.check_proj_size_shapes(((128, 8), (8, 32)), input_size=10, hidden_size=32, proj_size=8)
    assert not ex.check_proj_size_shapes(((128, 32), (8, 32)), input_size=10, hidden_size=32, proj_size=8)
    assert not ex.check_proj_size_shapes(((128, 8), (32, 8)), input_size=10, hidden_size=32, proj_size=8)
    assert not ex.check_proj_size_shapes(None)


def test_adam_first_step():
    assert ex.check_adam_first_step(100.0, lr=100.0)
    assert ex.check_adam_first_step(0.01, lr=0.01)
    assert not ex.check_adam_first_step(1.0, lr=100.0)  # lr times the gradient's sign is right, not 1
    assert not ex.check_adam_first_step(10_000.0, lr=100.0)


def test_solutions_of_notebook_08_are_stored_without_outputs():
    # scripts/run_notebooks.py clears them after a full run: the answer stays hidden with its cell
    nb = json.loads((ROOT / "notebooks" / "08_what_the_lstm_learned.ipynb").read_text(encoding="utf-8"))
    solutions = [c for c in nb["cells"] if "".join(c["source"]).startswith("# Solution to exercise")]
    assert solutions and all(not c["outputs"] for c in solutions)
