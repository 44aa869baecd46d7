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



# ---------------------------------------------------------------- notebook 05



# ---------------------------------------------------------------- notebook 06



# ---------------------------------------------------------------- notebook 07

import numpy as np  # noqa: E402  (this section's own import, kept here so sections stay separate)

__all__ += ["plot_tag_scores", "plot_tagging_history", "plot_tag_confusion"]


def plot_tag_scores(probs_before, probs_after, words, tags, title: str = "toy tagger"):
    """Two heat maps of tag probabilities ``(T, K)`` per word, before and after training."""
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 2.2 + 0.3 * len(words)), sharey=True)
    for ax, probs, when in zip(axes, (probs_before, probs_after), ("before training", "after training")):
        probs = np.asarray(probs)
        ax.imshow(probs, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        for (t, k), p in np.ndenumerate(probs):
            ax.text(k, t, f"{p:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if p > 0.6 else "black")
        ax.set_xticks(range(len(tags)), tags)
        ax.set_yticks(range(len(words)), words)
        ax.set_xlabel("tag")
        ax.set_title(f"{title}: {when}", fontsize=10)
        ax.grid(False)
    fig.tight_layout()
    return fig


def plot_tagging_history(history: dict, title: str = "BiLSTM tagger"):
    """Loss and token accuracy per epoch, training (dropout on) and validation."""
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3))
    ax1.plot(epochs, history["train_loss"], "o-", label="training")
    ax1.plot(epochs, history["val_loss"], "s-", label="validation")
    ax1.set(xlabel="epoch", ylabel="cross-entropy per word", title=f"{title}: loss")
    ax2.plot(epochs, 100 * np.asarray(history["train_acc"]), "o-", label="training (dropout on)")
    ax2.plot(epochs, 100 * np.asarray(history["val_acc"]), "s-", label="validation")
    ax2.set(xlabel="epoch", ylabel="token accuracy (%)", title=f"{title}: accuracy")
    for ax in (ax1, ax2):
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return fig


def plot_tag_confusion(gold, pred, top: int = 8, title: str = "mistakes on the test set"):
    """Counts of mistakes (gold tag -> predicted tag) among the ``top`` tags most involved in them.

    The diagonal (right answers) is left blank, so the picture shows only what is confused.
    """
    from collections import Counter

    errors = Counter((g, p) for gs, ps in zip(gold, pred) for g, p in zip(gs, ps) if g != p)
    involved = Counter()
    for (g, p), n in errors.items():
        involved[g] += n
        involved[p] += n
    tags = [t for t, _ in sorted(involved.items(), key=lambda item: (-item[1], item[0]))[:top]]
    counts = np.array([[errors.get((g, p), 0) if g != p else np.nan for p in tags] for g in tags])
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    image = ax.imshow(counts, cmap="Reds")
    for (i, j), n in np.ndenumerate(counts):
        if not np.isnan(n):
            ax.text(j, i, int(n), ha="center", va="center", fontsize=8,
                    color="white" if n > 0.6 * np.nanmax(counts) else "black")
    ax.set_xticks(range(len(tags)), tags)
    ax.set_yticks(range(len(tags)), tags)
    ax.set(xlabel="predicted tag", ylabel="gold tag", title=title)
    ax.grid(False)
    fig.colorbar(image, ax=ax, shrink=0.8, label="words")
    fig.tight_layout()
    return fig
