"""lstm_teach.plots: the shared figures draw what they say."""

import matplotlib
import pytest

matplotlib.use("Agg")

from lstm_teach.plots import plot_perplexity  # noqa: E402  (after choosing the backend)
from lstm_teach.train import History  # noqa: E402


def test_plot_perplexity_zoom_adds_a_panel_of_the_last_epochs():
    history = History(train_ppl=[9.0, 5.0, 4.0, 3.9], valid_ppl=[8.0, 4.5, 3.95, 3.9])
    assert len(plot_perplexity(history, 3.92).axes) == 1
    fig = plot_perplexity(history, 3.92, zoom_from=2)
    assert len(fig.axes) == 2 and list(fig.axes[1].lines[0].get_xdata()) == [2, 3, 4]
    with pytest.raises(ValueError, match="zoom_from"):
        plot_perplexity(history, zoom_from=4)
