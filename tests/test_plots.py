"""lstm_teach.plots: the shared figures draw what they say."""

import os

import matplotlib
import pytest

matplotlib.use("Agg")

from lstm_teach.plots import (CJK_FONT_NAMES, find_cjk_font, plot_lm_curves, plot_perplexity,  # noqa: E402
                               use_cjk_font)
from lstm_teach.train import History  # noqa: E402


def test_plot_perplexity_zoom_adds_a_panel_of_the_last_epochs():
    history = History(train_ppl=[9.0, 5.0, 4.0, 3.9], valid_ppl=[8.0, 4.5, 3.95, 3.9])
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
    history = History(train_ppl=[460.0, 400.0, 350.0], valid_ppl=[450.0, 390.0, 364.0])
    fig = plot_lm_curves({"run": history})
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels(minor=True) + ax.get_yticklabels() if t.get_text()]
    shown = [t for t in labels if 300 <= float(t.replace("\u2212", "-")) <= 500]
    assert shown and all(t.isdigit() for t in shown), labels
