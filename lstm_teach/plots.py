"""Plot helpers shared by the notebooks (matplotlib only).

One function per kind of picture a notebook draws more than once; a picture drawn once is
drawn in its notebook. Sections below are grouped by the notebook that derives them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

__all__ = ["use_course_style"]


def use_course_style(dpi: int = 80) -> None:
    """Modest figure sizes and resolution: readable in class, small in the stored notebook."""
    plt.rcParams.update({
        "figure.figsize": (6.4, 3.6),
        "figure.dpi": dpi,
        "savefig.dpi": dpi,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })


# ---------------------------------------------------------------- notebooks 01 and 02



# ---------------------------------------------------------------- notebooks 03 and 04
__all__ += ["plot_perplexity", "plot_speed"]


def plot_perplexity(history, baseline: float | None = None, baseline_label: str = "best n-gram",
                    title: str = "Character language model"):
    """Training and held-out perplexity per epoch (a ``train.History``), with a baseline line."""
    fig, ax = plt.subplots()
    epochs = range(1, len(history.train_ppl) + 1)
    ax.plot(epochs, history.train_ppl, marker=".", label="training (while learning)")
    ax.plot(epochs, history.valid_ppl, marker=".", label="held-out (last 10% of the text)")
    if baseline is not None:
        ax.axhline(baseline, color="grey", linestyle="--", label=f"{baseline_label} (held-out): {baseline:.2f}")
    ax.set(xlabel="epoch", ylabel="perplexity (lower is better)", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_speed(rows, title: str = "Training speed (forward + backward + Adam step)"):
    """Horizontal bars of tokens/s from ``train.compare_speed``, each labelled with its ratio."""
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(rows) + 1.2))
    ok = [r for r in rows if not r["error"]]
    labels = [r["label"] for r in ok][::-1]
    speeds = [r["tokens_per_s"] for r in ok][::-1]
    bars = ax.barh(labels, speeds, color=["#d62728" if "nn.LSTM" in l else "#1f77b4" for l in labels])
    for bar, r in zip(bars, ok[::-1]):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {r['ratio']:.2f}x",
                va="center", fontsize=9)
    ax.set(xlabel="training tokens per second (higher is better)", title=title)
    ax.set_xlim(0, max(speeds) * 1.18)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig





# ---------------------------------------------------------------- notebook 05



# ---------------------------------------------------------------- notebook 06



# ---------------------------------------------------------------- notebook 07

