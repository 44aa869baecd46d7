"""lstm_teach.plots: the shared figures draw what they say."""

import os
from collections import Counter

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # before pyplot is imported

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from lstm_teach import plots
from lstm_teach.history import History
from lstm_teach.plots import CJK_FONT_NAMES, find_cjk_font, plot_lm_curves, plot_perplexity, use_cjk_font


def test_plot_perplexity_zoom_adds_a_panel_of_the_last_epochs():
    history = History(metric="perplexity", train_metric=[9.0, 5.0, 4.0, 3.9], valid_metric=[8.0, 4.5, 3.95, 3.9])
    assert len(plot_perplexity(history, 3.92).axes) == 1
    fig = plot_perplexity(history, 3.92, zoom_from=2)
    assert len(fig.axes) == 2 and list(fig.axes[1].lines[0].get_xdata()) == [2, 3, 4]
    with pytest.raises(ValueError, match="zoom_from"):
        plot_perplexity(history, zoom_from=4)


def test_cjk_font_finder_falls_back_with_a_warning(capsys):
    assert find_cjk_font(names=("No Such Font 12345",)) is None
    assert use_cjk_font(names=("No Such Font 12345",)) is None
    assert "WARNING" in capsys.readouterr().out


def test_use_cjk_font_puts_the_font_first():
    with matplotlib.rc_context():  # matplotlib ships DejaVu Sans, so this font is always there
        assert use_cjk_font(names=("No Such Font 12345", "DejaVu Sans"), verbose=False) == "DejaVu Sans"
        assert matplotlib.rcParams["font.sans-serif"][0] == "DejaVu Sans"
        assert matplotlib.rcParams["font.family"] == ["sans-serif"]


def test_the_cjk_font_found_has_chinese_glyphs():
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    found = find_cjk_font()
    if found is None:
        if os.environ.get("CI") or os.environ.get("LSTM_TEACH_REQUIRE_BROWSER"):
            pytest.fail("no CJK font: .ci/run installs fonts-noto-cjk, so CI must find one")
        pytest.skip("no CJK font installed here (apt-get install fonts-noto-cjk)")
    assert found in CJK_FONT_NAMES
    path = font_manager.findfont(font_manager.FontProperties(family=found), fallback_to_default=False)
    assert FT2Font(path).get_char_index(ord("周")) != 0  # 周 (Zhou) has a glyph in it


def test_course_style_is_readable_on_a_projector():
    import matplotlib.pyplot as plt

    from lstm_teach.plots import MIN_FONT_SIZE, use_course_style

    with plt.rc_context():
        use_course_style()
        assert plt.rcParams["figure.dpi"] >= 100 and plt.rcParams["savefig.dpi"] >= 100
        for key in ("legend.fontsize", "xtick.labelsize", "ytick.labelsize", "axes.labelsize"):
            assert plt.rcParams[key] >= MIN_FONT_SIZE, key


def test_no_small_text_in_the_plot_functions():
    """No call in lstm_teach.plots asks for text below MIN_FONT_SIZE (a literal fontsize=7 would)."""
    import ast
    import inspect

    from lstm_teach import plots

    small = [(node.lineno, kw.value.value) for node in ast.walk(ast.parse(inspect.getsource(plots)))
             if isinstance(node, ast.Call) for kw in node.keywords
             if kw.arg in ("fontsize", "size", "labelsize") and isinstance(kw.value, ast.Constant)
             and isinstance(kw.value.value, (int, float)) and kw.value.value < plots.MIN_FONT_SIZE]
    assert not small, f"text below {plots.MIN_FONT_SIZE} pt at lines {small}"


def test_lm_curves_label_a_narrow_log_axis_with_plain_numbers():
    history = History(metric="perplexity", train_metric=[460.0, 400.0, 350.0], valid_metric=[450.0, 390.0, 364.0])
    fig = plot_lm_curves({"run": history})
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels(minor=True) + ax.get_yticklabels() if t.get_text()]
    shown = [t for t in labels if 300 <= float(t.replace("\u2212", "-")) <= 500]
    assert shown and all(t.isdigit() for t in shown), labels


def test_lm_curves_tick_whole_epochs_also_after_one_epoch():
    for n in (1, 3, 20):
        history = History(metric="perplexity", train_metric=[5.0 - 0.1 * e for e in range(n)],
                          valid_metric=[5.5 - 0.1 * e for e in range(n)])
        fig = plot_lm_curves({"run": history}, baseline=3.8, log=False, legend_loc="below")
        fig.canvas.draw()
        ax = fig.axes[0]
        lo, hi = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
        assert ticks and all(float(t).is_integer() for t in ticks), (n, ticks)
        assert any("3.80" in t.get_text() for t in ax.get_legend().get_texts())  # a small baseline keeps its digits
        assert not plots.figure_problems(fig), plots.figure_problems(fig)  # the legend below covers nothing
        plt.close(fig)


# ---------------------------------------------------------------- a smoke test per public function
def _history(metric="accuracy", n=4, best=3):
    h = History(metric=metric)
    for e in range(n):
        h.add(1.0 / (e + 1), 0.5 + 0.1 * e, 1.2 / (e + 1), 0.45 + 0.1 * e, 1.0)
    h.best_epoch = best
    return h


def _recall_history(n=30):
    h = History(metric="accuracy", unit="step")
    for s in range(n):
        h.add(1.4 - s / n, s / n, seconds=0.01)
    return h


_SPEED_ROWS = [dict(label="scratch", tokens_per_s=900.0, ratio=0.9, error=None),
               dict(label="broken", tokens_per_s=float("nan"), ratio=float("nan"), error="RuntimeError: x"),
               dict(label="nn.LSTM", tokens_per_s=1000.0, ratio=1.0, error=None)]
_LSTM_STEP = [[0.1, 0.9], [0.8, 0.2], [-0.5, 0.5], [0.6, 0.4], [0.2, -0.3], [0.3, 0.1], [0.1, 0.05]]
_ABLATION = [{"step": "reference", "valid_acc": 0.85, "minutes": 3.0},
             {"step": "+ max pooling", "valid_acc": 0.87, "minutes": 3.1},
             {"step": "vocabulary 25,000", "valid_acc": 0.84, "minutes": 3.4}]
PLOTS = {  # name: a call with small made-up data
    "plot_history": lambda: plots.plot_history(_history(), "toy"),
    "plot_ablation": lambda: plots.plot_ablation(_ABLATION),
    "plot_errors_by_length": lambda: plots.plot_errors_by_length([0.9, 0.2, 0.7], [1, 0, 0], [50, 150, 900]),
    "plot_gradient_norms": lambda: plots.plot_gradient_norms({"rnn": [1.0, 0.5, 0.25]}, bounds={"rnn": [1, 1, 1]}),
    "plot_activation_derivatives": lambda: plots.plot_activation_derivatives(),
    "plot_accuracy_vs_T": lambda: plots.plot_accuracy_vs_T([5, 10], {"lstm": [1.0, 0.9]}, chance=0.25),
    "plot_learning_curves": lambda: plots.plot_learning_curves({"lstm": _recall_history()}, smooth=5, chance_loss=1.4),
    "plot_gradient_heatmap": lambda: plots.plot_gradient_heatmap([[1.0, 0.1], [0.5, 0.01]], [0, 20]),
    "draw_lstm_cell": lambda: plots.draw_lstm_cell(),
    "plot_lstm_step": lambda: plots.plot_lstm_step(*_LSTM_STEP),
    "plot_perplexity": lambda: plots.plot_perplexity(_history("perplexity"), 3.9),
    "plot_speed": lambda: plots.plot_speed(_SPEED_ROWS),
    "plot_char_frequency": lambda: plots.plot_char_frequency(Counter("abracadabra \n")),
    "plot_grad_norms": lambda: plots.plot_grad_norms({"clipped": [3.0, 2.0, 1.5]}, clip=1.0),
    "plot_lm_curves": lambda: plots.plot_lm_curves({"a": _history("perplexity")}, baseline=4.0),
    "plot_heldout_comparison": lambda: plots.plot_heldout_comparison({"LSTM": 300.0, "7-gram": 220.0}, uniform=1027),
    "plot_next_char_probs": lambda: plots.plot_next_char_probs({"τ = 1": [("a", 0.5), (" ", 0.3)]}),
    "plot_seconds_per_batch": lambda: plots.plot_seconds_per_batch({"retain_graph": [0.1, 0.2, 0.3]}),
    "plot_tag_scores": lambda: plots.plot_tag_scores([[0.5, 0.5], [0.2, 0.8]], [[0.9, 0.1], [0.1, 0.9]],
                                                     ["the", "cat"], ["DT", "NN"]),
    "plot_tag_confusion": lambda: plots.plot_tag_confusion([("NN", "VB", 2)], {("NN", "VB"): 2, ("VB", "NN"): 1}),
    "plot_coloured_text": lambda: plots.plot_coloured_text("ab\ncd", [0.1, -0.5, 0.0, 0.9, 1.0], title="cell 7"),
    "plot_gate_saturation": lambda: plots.plot_gate_saturation({"layer 1": {g: ([0.1, 0.5], [0.2, 0.3])
                                                                            for g in "fio"}}),
    "plot_bucket_losses": lambda: plots.plot_bucket_losses(
        {"kind": [{"bucket": "x", "count": 2, "lstm": 2.0, "ngram": 2.25, "diff": -0.25}]}),
    "plot_probe_scores": lambda: plots.plot_probe_scores([{"property": "line", "cell_trained": 0.5,
                                                          "cell_untrained": 0.1, "probe_trained": 0.8,
                                                          "probe_untrained": -0.2}]),
}
DIAGRAMS = {"draw_lstm_cell", "plot_coloured_text"}  # pictures without axes: they have a title
NOT_FIGURES = {"use_course_style", "MIN_FONT_SIZE", "CJK_FONT_NAMES", "find_cjk_font", "use_cjk_font",
               "figure_problems", "check_figures_on_show"}  # tested above and below


def test_every_public_plot_has_a_smoke_test():
    assert set(plots.__all__) == set(PLOTS) | NOT_FIGURES


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_plot_renders_with_labelled_axes(name):
    out = PLOTS[name]()
    fig = out if isinstance(out, Figure) else np.ravel(out)[0].figure
    fig.canvas.draw()  # renders: every text, tick and patch is laid out
    axes = [ax for ax in fig.axes if ax.axison and ax.get_label() != "<colorbar>"]
    if name in DIAGRAMS:
        assert any(fig.axes[0].get_title(loc=where) for where in ("left", "center", "right")), name
    else:
        assert axes and all(ax.get_xlabel() or ax.get_ylabel() or ax.get_title() for ax in axes)
        assert any(ax.get_xlabel() for ax in axes) and any(ax.get_ylabel() for ax in axes), name
        assert plots.figure_problems(fig) == [], name  # readable on a projector
    plt.close("all")


def test_plot_history_draws_every_run_and_the_kept_epoch():
    fig = plots.plot_history({"a": _history(), "b": _history(n=3, best=2)}, "two runs")
    loss_ax, metric_ax = fig.axes
    assert [line.get_label() for line in metric_ax.lines if not line.get_label().startswith("_")] == [
        "a: training", "a: validation", "the weights kept", "b: training", "b: validation"]
    assert metric_ax.get_legend() is None and len(fig.legends) == 1  # several runs: one legend, below the panels
    assert plots.figure_problems(fig) == []
    stars = [line for line in metric_ax.lines if line.get_marker() == "*"]
    assert [tuple(s.get_xdata()) for s in stars] == [(3,), (2,)]
    assert metric_ax.get_ylabel() == "accuracy (higher is better)" and loss_ax.get_xlabel() == "epoch"
    plt.close("all")


# ---------------------------------------------------------------- the projector check
def _good_figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [0, 1, 2], label="rising")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(loc="lower right")
    return fig


def test_figure_problems_passes_a_readable_figure():
    from lstm_teach.plots import figure_problems, use_course_style
    use_course_style()
    assert figure_problems(_good_figure()) == []
    fig, axes = plt.subplots(2, 2, sharex=True, sharey=True)  # inner panels borrow the shared labels
    for ax in axes.flat:
        ax.plot([1, 2])
    axes[1, 0].set_xlabel("step")
    axes[1, 0].set_ylabel("value")
    assert figure_problems(fig) == []
    plt.close("all")


def test_figure_problems_names_each_problem():
    from lstm_teach.plots import figure_problems, use_course_style
    use_course_style()
    fig, (left, right) = plt.subplots(1, 2)
    left.plot([0, 1, 2], [2, 2, 2], label="flat")  # a flat line through the middle of the panel
    left.legend(loc="center")
    right.plot([0, 1], [0, 1], label="small")
    right.set_xlabel("x")
    right.set_ylabel("y")
    right.legend(loc="lower right", fontsize=7)
    right.tick_params(labelsize=6)
    problems = figure_problems(fig)
    assert "panel 1: no x-axis label (ax.set_xlabel(...))" in problems
    assert "panel 1: no y-axis label (ax.set_ylabel(...))" in problems
    assert "panel 1: the legend covers line 'flat' (move it: loc=..., or outside)" in problems
    assert "panel 2: legend, tick text below 9 pt" in problems
    fig, ax = plt.subplots(dpi=72)
    ax.bar([0, 1, 2], [3, 3, 3], label="bars")
    ax.set_xlabel("class")
    ax.set_ylabel("count")
    ax.legend(loc="upper center")
    assert figure_problems(fig) == ["dpi 72 < 100 (call use_course_style() or pass dpi=100)",
                                    "panel 1: the legend covers bars (move it: loc=..., or outside)"]
    plt.close("all")


def test_checked_show_refuses_a_bad_figure_and_shows_a_good_one(monkeypatch):
    from lstm_teach.plots import check_figures_on_show, use_course_style
    shown = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(len(plt.get_fignums())))
    check_figures_on_show()
    use_course_style()
    _good_figure()
    plt.show()
    assert shown == [1]
    plt.close("all")
    plt.subplots()[1].plot([1, 2])
    with pytest.raises(AssertionError, match="figure 1: panel 1: no x-axis label"):
        plt.show()
    assert shown == [1] and plt.get_fignums() == []  # not shown, and closed


def test_plot_ablation_puts_the_reference_on_top_with_its_line():
    fig = plots.plot_ablation(_ABLATION)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["vocabulary 25,000", "+ max pooling", "reference"]
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and tuple(dashed[0].get_xdata()) == (0.85, 0.85)
    assert {t.get_text() for t in ax.texts} == {"85.0%, 3.0 min", "87.0%, 3.1 min", "84.0%, 3.4 min"}
    with pytest.raises(ValueError, match="at least one row"):
        plots.plot_ablation([])
    spread = [dict(r, valid_sd=0.004) for r in _ABLATION]  # seeds' spread: a bar each side, said in the label
    ax = plots.plot_ablation(spread).axes[0]
    assert "85.0% ± 0.4%, 3.0 min" in {t.get_text() for t in ax.texts}
    assert not plots.figure_problems(ax.figure)
    plt.close("all")


def test_plot_errors_by_length_counts_what_it_shows():
    fig = plots.plot_errors_by_length([0.9, 0.2, 0.7, 0.4, 0.6], [1, 0, 0, 1, 1], [50, 150, 300, 900, 120])
    confusion, by_length = fig.axes
    assert sorted(t.get_text() for t in confusion.texts) == ["1", "1", "1", "2"]  # TN 1, FP 1, FN 1, TP 2
    assert [round(b.get_height(), 3) for b in by_length.patches] == [1.0, 1.0, 0.0, 0.0]
    assert [t.get_text() for t in by_length.get_xticklabels()] == ["0–100", "100–200", "200–400", "> 400"]
    with pytest.raises(ValueError, match="shapes"):
        plots.plot_errors_by_length([0.9, 0.2], [1, 0, 1], [5, 6])
    plt.close("all")
