"""What every training loop of the package returns, and how it shows its progress.

* :class:`History`: per epoch, training and validation loss and metric (perplexity for a
  language model, accuracy for a classifier or tagger), seconds, and the epoch whose weights the
  model kept. ``train.fit``, ``sentiment.fit``, ``tagging.fit`` and ``tasks.train_recall`` (per
  step) return one; :func:`lstm_teach.plots.plot_history` draws any of them. (Keras's ``fit``
  returns a ``History`` of per-epoch numbers in the same spirit.)
* :func:`progress_bar`: the one progress convention. While a loop runs, a live ``tqdm.auto`` bar
  (``leave=False``: it disappears when done); when it ends, the loop prints one line,
  :meth:`History.summary`, so a stored notebook shows a finished run, not a frozen bar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["History", "progress_bar", "format_seconds"]

LOWER_IS_BETTER = ("perplexity", "loss")  # metrics where smaller numbers are better


@dataclass
class History:
    """Per-epoch numbers of one training run: plain lists, so that plots and asserts read them."""

    metric: str = "accuracy"  # what train_metric and valid_metric hold: "accuracy" or "perplexity"
    unit: str = "epoch"  # what one entry is: an "epoch", or a "step" (one fresh batch, train_recall)
    train_loss: list[float] = field(default_factory=list)  # mean cross-entropy on the training data seen
    valid_loss: list[float] = field(default_factory=list)  # on the validation data afterwards (nan: none)
    train_metric: list[float] = field(default_factory=list)  # the metric on the training data seen
    valid_metric: list[float] = field(default_factory=list)  # the metric on the validation data (nan: none)
    seconds: list[float] = field(default_factory=list)  # wall time of each epoch, training and validation
    best_epoch: int | None = None  # the epoch (1-based) whose weights the model kept; None: the last one
    extra: dict[str, list[float]] = field(default_factory=dict)  # one loop's own numbers, e.g. tokens_per_s

    def add(self, train_loss: float, train_metric: float, valid_loss: float = math.nan,
            valid_metric: float = math.nan, seconds: float = math.nan, **extra: float) -> None:
        """Record one epoch (or step)."""
        self.train_loss.append(train_loss)
        self.train_metric.append(train_metric)
        self.valid_loss.append(valid_loss)
        self.valid_metric.append(valid_metric)
        self.seconds.append(seconds)
        for key, value in extra.items():
            self.extra.setdefault(key, []).append(value)

    def __len__(self) -> int:
        return len(self.train_metric)

    @property
    def lower_is_better(self) -> bool:
        return self.metric in LOWER_IS_BETTER

    def best(self) -> int | None:
        """The epoch (1-based) with the best validation metric, or None when nothing was validated."""
        scored = [(v, i) for i, v in enumerate(self.valid_metric, start=1) if not math.isnan(v)]
        if not scored:
            return None
        pick = min if self.lower_is_better else max
        return pick(scored, key=lambda vi: vi[0])[1]

    def summary(self) -> str:
        """One line for the end of a run: epochs, time, the best validation epoch, the kept weights."""
        n = len(self)
        if n == 0:
            return f"no {self.unit}s run"
        parts = [f"{n} {self.unit}{'s' if n > 1 else ''} in {format_seconds(sum(self.seconds))}"]
        best = self.best()
        if best is None:
            parts.append(f"training {self.metric} {self.train_metric[-1]:.4g} at the last {self.unit}")
        else:
            measured = sum(not math.isnan(v) for v in self.valid_metric)
            parts.append(f"{'best ' if measured > 1 else ''}validation {self.metric} {self.valid_metric[best - 1]:.4g}"
                         f" at {self.unit} {best} (training {self.train_metric[best - 1]:.4g})")
        if self.best_epoch is not None:
            parts.append(f"the model keeps the weights of {self.unit} {self.best_epoch}")
        for key, values in self.extra.items():
            if key.endswith("_per_s") and values:
                parts.append(f"{sorted(values)[len(values) // 2]:,.0f} {key.removesuffix('_per_s')}/s")
        return "; ".join(parts)


def format_seconds(seconds: float) -> str:
    """``42 s``, ``3 min 05 s`` or ``1 h 02 min``: a duration as people read it."""
    if math.isnan(seconds):
        return "? s"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, s = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def progress_bar(iterable, desc: str, progress: bool = True, **kwargs):
    """A live ``tqdm.auto`` bar over ``iterable`` that disappears when done (``leave=False``).

    In a notebook, tqdm draws a widget whose saved text is the bar's first state (``0%|``): a
    stored notebook would show every finished loop as one that never ran. There the bar is shown
    through a display handle instead, and closing it replaces its output with nothing.
    """
    from tqdm.auto import tqdm

    if progress and _in_notebook(tqdm):
        return _notebook_bar()(iterable, desc=desc, **kwargs)
    return tqdm(iterable, desc=desc, leave=False, disable=not progress, **kwargs)


def _in_notebook(tqdm_class) -> bool:
    """Whether ``tqdm.auto`` chose its widget bar (a Jupyter kernel with ipywidgets)."""
    try:
        from tqdm.notebook import tqdm as widget_tqdm
    except ImportError:
        return False
    return issubclass(tqdm_class, widget_tqdm)


def _notebook_bar():
    """tqdm's widget bar, displayed through a handle that its ``close`` empties."""
    from IPython.display import display
    from tqdm import tqdm as text_tqdm
    from tqdm.notebook import tqdm as widget_tqdm

    class NotebookBar(widget_tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, leave=False, display=False, **kwargs)
            # The widget's own bundle, shown under a display id. Not display(self.container, ...):
            # ipywidgets 7 (Colab's) displays a widget through _ipython_display_, which drops the id.
            bundle = {"text/plain": repr(self.container), "application/vnd.jupyter.widget-view+json":
                      {"version_major": 2, "version_minor": 0, "model_id": self.container.model_id}}
            self.handle = display(bundle, raw=True, display_id=True)

        def __iter__(self):
            # tqdm's plain loop closes the bar however the loop ends; the widget loop would paint
            # a `break` (early stopping) red first
            return text_tqdm.__iter__(self)

        def close(self):
            if self.disable or self.handle is None:
                return super().close()
            handle, self.handle = self.handle, None
            handle.update({"text/plain": ""}, raw=True)  # what stays: nothing; the loop prints its summary
            if self.total and self.n < self.total:
                self.total = self.n  # stopped early (early stopping, an error): the bar ends where the loop did
            return super().close()

    return NotebookBar
