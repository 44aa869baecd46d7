"""lstm_teach.history: the History every fit returns, its summary line, the progress bar."""

import math
import sys
from pathlib import Path

import pytest

from lstm_teach.history import History, format_seconds, progress_bar


def _run(metric, valid, best_epoch=None, **extra):
    h = History(metric=metric)
    for e, v in enumerate(valid):
        h.add(1.0, 0.5, 1.1, v, 30.0, **{k: vals[e] for k, vals in extra.items()})
    h.best_epoch = best_epoch
    return h


def test_best_epoch_follows_the_direction_of_the_metric():
    assert _run("accuracy", [0.7, 0.9, 0.8]).best() == 2
    assert _run("perplexity", [9.0, 4.0, 5.0]).best() == 2
    assert _run("perplexity", [4.0, 4.0]).best() == 1  # a tie keeps the first
    assert _run("accuracy", [math.nan, 0.6]).best() == 2  # nan: not measured
    assert _run("accuracy", [math.nan, math.nan]).best() is None


def test_summary_says_epochs_time_best_epoch_and_kept_weights():
    h = _run("accuracy", [0.7, 0.9, 0.8], best_epoch=2, samples_per_s=[10.0, 30.0, 20.0])
    assert len(h) == 3 and h.extra["samples_per_s"] == [10.0, 30.0, 20.0]
    assert h.summary() == ("3 epochs in 1 min 30 s; best validation accuracy 0.9 at epoch 2 (training 0.5); "
                           "the model keeps the weights of epoch 2; 20 samples/s")
    unvalidated = History(metric="perplexity")
    unvalidated.add(1.0, 2.72, seconds=5.0)
    assert unvalidated.summary() == "1 epoch in 5.0 s; training perplexity 2.72 at the last epoch"
    assert History().summary() == "no epochs run"


def test_format_seconds():
    assert [format_seconds(s) for s in (4.25, 42.4, 185, 3725)] == ["4.2 s", "42 s", "3 min 05 s", "1 h 02 min"]


def test_progress_bar_disappears_when_done():
    bar = progress_bar(range(3), "epochs", progress=False)
    assert list(bar) == [0, 1, 2] and bar.leave is False and bar.disable


def test_a_finished_or_stopped_bar_leaves_no_progress_text_in_a_stored_notebook():
    """Run two loops in a real kernel (one to its end, one stopped by ``break`` as early stopping
    does) and check what a saved notebook keeps: no bar text, no stopped bar, the printed lines."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    sys.path.insert(0, str(Path(__file__).parent))
    from test_classroom import unfinished_progress

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from lstm_teach.history import progress_bar\n"
        "for i in progress_bar(range(5), 'to the end'):\n    pass\nprint('finished', i)\n"
        "def fit():\n    for i in progress_bar(range(10), 'stopped early'):\n        if i == 3:\n            break\n"
        "    print('stopped at', i)\nfit()")]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    printed = "".join("".join(out.get("text", "")) for out in nb.cells[0].outputs)
    assert printed == "finished 4\nstopped at 3\n"
    assert not unfinished_progress(nb)
