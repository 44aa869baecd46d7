"""Plot helpers shared by the notebooks (matplotlib only).

One function per kind of picture a notebook draws more than once; a picture drawn once is
drawn in its notebook. Sections below are grouped by the notebook that derives them.
"""

from __future__ import annotations

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator, PercentFormatter

__all__ = ["use_course_style", "MIN_FONT_SIZE", "figure_problems", "check_figures_on_show"]


MIN_FONT_SIZE = 9  # points: the smallest text a figure may have, readable on a classroom projector


def use_course_style(dpi: int = 100) -> None:
    """Modest figure sizes, dpi 100 and text of at least 9 pt: readable on a projector, small in
    the stored notebook (``tests/test_classroom.py`` reads the stored PNGs' dpi)."""
    plt.rcParams.update({
        "figure.figsize": (6.4, 3.6),
        "figure.dpi": dpi,
        "savefig.dpi": dpi,
        "font.size": 10,
        "axes.titlesize": 10,
        "axes.labelsize": 10,
        "legend.fontsize": MIN_FONT_SIZE,
        "legend.title_fontsize": MIN_FONT_SIZE,
        "xtick.labelsize": MIN_FONT_SIZE,
        "ytick.labelsize": MIN_FONT_SIZE,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })


# ---------------------------------------------------------------- the projector check
def _is_colorbar(ax) -> bool:
    return ax.get_label() == "<colorbar>" or hasattr(ax, "_colorbar")


def _shows_ticks(axis) -> bool:
    return axis.get_visible() and any(t.get_visible() and t.get_text() for t in axis.get_ticklabels())


def _labelled(ax, which: str) -> bool:
    """The axis has a label, or an axis it shares (``sharex``/``twinx``) or the figure's ``sup?label`` does."""
    fig = ax.figure
    sup = getattr(fig, f"_sup{which}label", None)
    if sup is not None and sup.get_text():
        return True
    shared = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    return any(getattr(a, f"get_{which}label")() for a in shared.get_siblings(ax))


def _points_in(box, xy: np.ndarray) -> int:
    inside = (xy[:, 0] > box.x0) & (xy[:, 0] < box.x1) & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1)
    return int(inside.sum())


def _data_under_legend(ax, legend) -> list[str]:
    """Names of the lines, markers and bars of ``ax`` that the legend's box covers (in pixels)."""
    box, frame = legend.get_window_extent().expanded(0.98, 0.9), ax.get_window_extent()
    covered = []
    for line in ax.get_lines():
        xy = line.get_xydata()
        if not line.get_visible() or len(xy) == 0:
            continue
        xy = line.get_transform().transform(np.asarray(xy, dtype=float))
        if len(xy) > 1 and line.get_linestyle() not in ("None", "", " "):  # the segments, not only the points
            t = np.linspace(0, 1, 9)[:, None, None]
            xy = (xy[:-1] + t * (xy[1:] - xy[:-1])).reshape(-1, 2)
        xy = xy[np.isfinite(xy).all(axis=1)]
        xy = xy[(xy[:, 0] >= frame.x0) & (xy[:, 0] <= frame.x1) & (xy[:, 1] >= frame.y0) & (xy[:, 1] <= frame.y1)]
        if _points_in(box, xy):
            covered.append(f"line {line.get_label()!r}")
    for coll in ax.collections:  # scatter markers
        offsets = coll.get_offsets()
        if coll.get_visible() and len(offsets) and type(coll).__name__ == "PathCollection":
            if _points_in(box, coll.get_offset_transform().transform(np.asarray(offsets, dtype=float))):
                covered.append("scatter markers")
    for patch in ax.patches:  # bars
        if isinstance(patch, Rectangle) and patch.get_visible() and patch.get_height() and patch.get_width():
            if patch.get_window_extent().overlaps(box):
                covered.append("bars")
                break
    return covered


def figure_problems(fig) -> list[str]:
    """What would make ``fig`` hard to read on a classroom projector, as sentences (empty: fine).

    Checked: dpi >= 100; legend, tick, axis-label and title text >= ``MIN_FONT_SIZE``; every panel
    with visible tick labels has a label on that axis (its own, a shared axis's or the figure's);
    no legend box over the panel's lines, markers or bars. The figure is drawn once to lay it out.
    """
    problems = []
    if fig.dpi < 100:
        problems.append(f"dpi {fig.dpi:g} < 100 (call use_course_style() or pass dpi=100)")
    fig.canvas.draw()
    for i, ax in enumerate(fig.axes, 1):
        if not ax.get_visible() or not ax.axison or _is_colorbar(ax):
            continue
        name = f"panel {i}" + (f" ({ax.get_title()!r})" if ax.get_title() else "")
        for which in "xy":
            if _shows_ticks(getattr(ax, f"{which}axis")) and not _labelled(ax, which):
                problems.append(f"{name}: no {which}-axis label (ax.set_{which}label(...))")
        texts = [("tick", t) for t in ax.get_xticklabels() + ax.get_yticklabels() if t.get_visible() and t.get_text()]
        texts += [("axis-label", ax.xaxis.label), ("axis-label", ax.yaxis.label), ("title", ax.title)]
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            texts += [("legend", t) for t in legend.get_texts()]
            covered = _data_under_legend(ax, legend)
            if covered:
                problems.append(f"{name}: the legend covers {', '.join(covered)} (move it: loc=..., or outside)")
        small = sorted({kind for kind, t in texts if t.get_text() and t.get_fontsize() < MIN_FONT_SIZE})
        if small:
            problems.append(f"{name}: {', '.join(small)} text below {MIN_FONT_SIZE} pt")
    return problems


def check_figures_on_show() -> None:
    """Make ``plt.show()`` refuse figures that fail :func:`figure_problems` (an ``AssertionError`` naming them).

    Switched on by ``LSTM_TEACH_CHECK_FIGURES=1`` (the test suite sets it), so that every figure a
    notebook shows in the tests is checked; a student's run never is.
    """
    show = getattr(plt.show, "__wrapped__", plt.show)

    def checked_show(*args, **kwargs):
        problems = [f"figure {n}: {p}" for n in plt.get_fignums() for p in figure_problems(plt.figure(n))]
        if problems:
            plt.close("all")
            raise AssertionError("figure check (LSTM_TEACH_CHECK_FIGURES=1):\n  " + "\n  ".join(problems))
        return show(*args, **kwargs)

    checked_show.__wrapped__ = show
    plt.show = checked_show


def _legend_below(ax, ncol: int = 2) -> None:
    """The panel's legend under its x label (0.6 inch below the axes), clear of whatever it draws."""
    ax.legend(fontsize=9, ncol=ncol, loc="upper center", bbox_to_anchor=(0.5, -0.6 / ax.figure.get_figheight() - 0.08))


# ---------------------------------------------------------------- any training run
__all__ += ["plot_history"]


def plot_history(history, title: str = "training"):
    """Loss and metric per epoch of one ``History`` (any ``fit`` of the package), or of several.

    ``history`` is a :class:`~lstm_teach.history.History` or a dict ``{label: History}``. Left:
    mean cross-entropy, right: the metric (accuracy or perplexity); training dashed, validation
    solid, a star at the epoch whose weights the model kept. With several runs, one legend goes
    below both panels (inside, any corner would cover some run's line).
    """
    runs = history if isinstance(history, dict) else {"": history}
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(9, 3.4 if len(runs) == 1 else 4.2))
    starred = False
    for i, (label, h) in enumerate(runs.items()):
        epochs = range(1, len(h) + 1)
        name = f"{label}: " if label else ""
        for ax, train, valid in ((ax_loss, h.train_loss, h.valid_loss), (ax_metric, h.train_metric, h.valid_metric)):
            ax.plot(epochs, train, "--", marker=".", color=f"C{i}", lw=1, label=f"{name}training")
            if any(v == v for v in valid):  # not all nan
                ax.plot(epochs, valid, "-", marker="o", color=f"C{i}", label=f"{name}validation")
                if h.best_epoch is not None:
                    ax.plot(h.best_epoch, valid[h.best_epoch - 1], "k*", ms=10,
                            label=None if starred else "the weights kept")
        starred = starred or h.best_epoch is not None
    first = next(iter(runs.values()))  # the runs share a metric and a unit
    better = "lower" if first.lower_is_better else "higher"
    ax_loss.set(xlabel=first.unit, ylabel="cross-entropy (lower is better)", title=f"{title}: loss")
    ax_metric.set(xlabel=first.unit, ylabel=f"{first.metric} ({better} is better)", title=f"{title}: {first.metric}")
    for ax in (ax_loss, ax_metric):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if len(runs) == 1:
        for ax in (ax_loss, ax_metric):
            ax.legend(fontsize=9)
        fig.tight_layout()
    else:
        handles, labels = ax_metric.get_legend_handles_labels()
        columns = 2 if len(labels) > 3 else len(labels)
        fig.legend(handles, labels, loc="lower center", ncol=columns, fontsize=9, frameon=False)
        rows = -(-len(labels) // columns)
        fig.tight_layout(rect=(0, 0.07 * rows, 1, 1))  # room below the panels for the legend
    return fig


# ---------------------------------------------------------------- notebook 05
# The IMDB classifier: its ablation table and its mistakes on the test set. The numbers come from
# lstm_teach.sentiment (fit, evaluate); these functions only draw them.
__all__ += ["plot_ablation", "plot_errors_by_length"]


def plot_ablation(rows, title: str = "one change at a time (validation accuracy)"):
    """One dot per step of an ablation: ``rows`` of ``{"step", "valid_acc", "minutes"}``, the first
    being the reference, whose accuracy is drawn as a dashed line for the others to be read against.
    A row with ``"valid_sd"`` (the spread over seeds) gets a bar of one standard deviation each side.
    Each dot is annotated with its accuracy and training minutes."""
    if not rows:
        raise ValueError("plot_ablation needs at least one row (the reference)")
    steps = [r["step"] for r in rows][::-1]  # the reference on top
    accs = np.array([r["valid_acc"] for r in rows][::-1])
    sds = np.array([r.get("valid_sd") or 0.0 for r in rows][::-1])
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(rows) + 1.3))
    ax.axvline(rows[0]["valid_acc"], color="0.5", ls="--", lw=1)
    colours = ["C2" if a > rows[0]["valid_acc"] else "C3" for a in accs]
    colours[-1] = "0.3"
    if sds.any():
        ax.errorbar(accs, range(len(rows)), xerr=sds, fmt="none", ecolor="0.6", capsize=3, zorder=2)
    ax.scatter(accs, range(len(rows)), color=colours, zorder=3)
    for y, r in enumerate(rows[::-1]):
        sd = f" ± {r['valid_sd']:.1%}" if r.get("valid_sd") else ""
        ax.annotate(f"{r['valid_acc']:.1%}{sd}, {r['minutes']:.1f} min", (r["valid_acc"] + sds[y], y),
                    xytext=(8, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(range(len(rows)), steps)
    spread = max((accs + sds).max() - (accs - sds).min(), 0.01)
    ax.set_xlim((accs - sds).min() - 0.15 * spread, (accs + sds).max() + 1.1 * spread)  # room for the labels
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.set(xlabel="validation accuracy (dashed: the reference)", ylabel="step", title=title)
    fig.tight_layout()
    return fig


def plot_errors_by_length(probs, labels, lengths, edges=(100, 200, 400), title: str = "test set"):
    """Left: the confusion matrix of a binary classifier (``probs`` > 0.5 is positive). Right:
    its accuracy for reviews of each length range (``lengths`` in tokens, split at ``edges``), with
    the number of reviews in each range on its bar."""
    probs, labels, lengths = (np.asarray(v, dtype=float) for v in (probs, labels, lengths))
    if not (probs.shape == labels.shape == lengths.shape and probs.ndim == 1 and len(probs)):
        raise ValueError(f"probs, labels and lengths must be 1-d and of one length, got shapes "
                         f"{probs.shape}, {labels.shape}, {lengths.shape}")
    pred, gold = probs > 0.5, labels > 0.5
    confusion = np.array([[np.sum(~gold & ~pred), np.sum(~gold & pred)], [np.sum(gold & ~pred), np.sum(gold & pred)]])
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.4), gridspec_kw={"width_ratios": [1, 1.6]})
    a.imshow(confusion, cmap="Blues")
    a.grid(False)
    for (r, c), v in np.ndenumerate(confusion):
        a.text(c, r, f"{v:,}", ha="center", va="center", color="white" if v > confusion.max() / 2 else "black")
    a.set_xticks([0, 1], ["negative", "positive"])
    a.set_yticks([0, 1], ["negative", "positive"])
    a.set(xlabel="predicted", ylabel="true label", title=f"confusion matrix ({title})")
    bounds = [0, *edges, np.inf]
    names, accs, counts = [], [], []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        inside = (lengths > lo) & (lengths <= hi)
        names.append(f"{lo}–{hi}" if np.isfinite(hi) else f"> {lo}")
        counts.append(int(inside.sum()))
        accs.append((pred == gold)[inside].mean() if inside.any() else np.nan)
    bars = b.bar(names, accs, color="C0")
    for bar, n in zip(bars, counts):
        b.text(bar.get_x() + bar.get_width() / 2, 0.52, f"{n:,}", ha="center", va="bottom", color="white", fontsize=9)
    b.set_ylim(0.5, 1)
    b.set(xlabel="review length in tokens (number of reviews on each bar)", ylabel="accuracy",
          title=f"accuracy by review length ({title})")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- notebooks 01 and 02
# Gradients through time (01) and the LSTM cell (02). The measurements come from
# lstm_teach.gradients and lstm_teach.tasks; these functions only draw them.

__all__ += [
    "plot_gradient_norms", "plot_activation_derivatives", "plot_accuracy_vs_T",
    "plot_learning_curves", "plot_gradient_heatmap", "draw_lstm_cell", "plot_lstm_step",
]


def _plain_log_ticks(axis):
    """Plain numbers (300, 400) instead of powers of ten on a log axis, and labels on the minor
    ticks when the axis spans less than a decade (where no power of ten is in view)."""
    from matplotlib.ticker import LogFormatter

    axis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    axis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def _axes(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_gradient_norms(curves, ax=None, title="gradient norm through time", ylabel=r"$\|\partial L/\partial h_t\|$",
                        bounds=None):
    """Log-scale ||dL/dh_t|| against t, one line per entry of ``curves`` ({label: norms over t = 1..T}).

    ``bounds`` ({label: norms}) are drawn dashed in the same colour as the curve of that label.
    """
    import torch

    ax = _axes(ax)
    for label, norms in curves.items():
        norms = torch.as_tensor(norms, dtype=torch.float64)
        t = torch.arange(1, len(norms) + 1)
        line, = ax.semilogy(t, norms, label=label)
        if bounds and label in bounds:
            ax.semilogy(t, torch.as_tensor(bounds[label]), "--", color=line.get_color(), lw=1,
                        label=f"bound, {label}")
    ax.set_xlabel("time step t (the loss is computed at t = T)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=9)
    return ax


def plot_activation_derivatives(axes=None):
    """tanh' and sigmoid' side by side, with their maxima (1 and 1/4) marked."""
    import torch

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(7.5, 3.0), sharey=True, layout="constrained")
    a = torch.linspace(-6, 6, 400)
    for ax, name, f, top in ((axes[0], "tanh", torch.tanh, 1.0), (axes[1], "sigmoid", torch.sigmoid, 0.25)):
        y = f(a)
        dy = 1 - y ** 2 if name == "tanh" else y * (1 - y)
        ax.plot(a, y, label=name, color="0.6")
        ax.plot(a, dy, label=f"{name}'", lw=2)
        ax.axhline(top, ls="--", color="C3", lw=1)
        ax.text(-5.8, top + 0.04, f"max {name}' = {top:g}", color="C3", fontsize=9)
        ax.set_xlabel("pre-activation a")
        ax.set_title(f"{name} and its derivative")
        ax.legend(loc="lower right", fontsize=9)
    axes[0].set_ylim(-1.1, 1.25)
    axes[0].set_ylabel("value")
    return axes


def plot_accuracy_vs_T(Ts, results, chance=None, ax=None, title="recall the first symbol after T steps"):
    """Held-out accuracy against sequence length T, one line per model ({kind: [acc per T]})."""
    ax = _axes(ax)
    for kind, accs in results.items():
        ax.plot(Ts, accs, "o-", label=kind.upper())
    if chance is not None:
        ax.axhline(chance, ls="--", color="0.5", lw=1, label="chance")
    ax.set_xlabel("sequence length T (steps between the symbol and the question)")
    ax.set_ylabel("held-out accuracy")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=9)
    return ax


def plot_learning_curves(histories, ax=None, smooth=20, title="training loss", chance_loss=None):
    """Training loss against step ({label: History per step}, from ``train_recall``), moving average of ``smooth``."""
    import numpy as np

    ax = _axes(ax)
    for label, history in histories.items():
        steps = np.arange(1, len(history) + 1)
        loss = np.asarray(history.train_loss)
        k = max(1, min(smooth, len(loss)))
        avg = np.convolve(loss, np.ones(k) / k, mode="valid")
        ax.plot(steps[k - 1:], avg, label=label)
    if chance_loss is not None:
        ax.axhline(chance_loss, ls="--", color="0.5", lw=1, label="chance (ln K)")
    ax.set_xlabel("training step")
    ax.set_ylabel(f"cross-entropy (mean of {smooth} steps)")
    ax.set_title(title)
    ax.legend(fontsize=9)
    return ax


def plot_gradient_heatmap(norms, steps, ax=None, title=r"$\log_{10}\|\partial L/\partial C_t\|$ during training",
                          vmin=None, vmax=None):
    """A heatmap of log10 gradient norms: rows are training steps, columns time steps t = 1..T.
    Panels that are compared get the same ``vmin``, ``vmax`` (log10 units), i.e. one colour scale."""
    import numpy as np

    ax = _axes(ax)
    values = np.log10(np.maximum(np.asarray(norms, dtype=float), 1e-30))
    T = values.shape[1]
    im = ax.imshow(values, aspect="auto", origin="lower", cmap="viridis", vmin=vmin, vmax=vmax,
                   extent=(0.5, T + 0.5, steps[0], steps[-1]))
    ax.figure.colorbar(im, ax=ax, label="log10 norm")
    ax.set_xlabel("time step t")
    ax.set_ylabel("training step")
    ax.set_title(title)
    ax.grid(False)
    return ax


def draw_lstm_cell(ax=None):
    """A diagram of one LSTM step in d2l's notation: three gates, the candidate, C and H."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    ax = _axes(ax, figsize=(7.5, 4.2))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6)
    ax.axis("off")
    ax.add_patch(FancyBboxPatch((0.8, 0.6), 8.4, 4.6, boxstyle="round,pad=0.1", fc="#f4f4f4", ec="0.6"))

    def arrow(p, q, **kw):
        ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=12, lw=1.4,
                                     color=kw.pop("color", "0.2"), **kw))

    def box(x, y, text, fc):
        ax.text(x, y, text, ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round,pad=0.3", fc=fc, ec="0.3"))

    def op(x, y, text):
        ax.text(x, y, text, ha="center", va="center", fontsize=12,
                bbox=dict(boxstyle="circle,pad=0.15", fc="white", ec="0.3"))

    # the memory-cell highway along the top
    arrow((0.0, 4.6), (3.0, 4.6), color="C3")
    op(3.2, 4.6, "×")
    arrow((3.4, 4.6), (5.3, 4.6), color="C3")
    op(5.5, 4.6, "+")
    arrow((5.7, 4.6), (10.0, 4.6), color="C3")
    ax.text(0.05, 4.8, r"$C_{t-1}$", fontsize=11, color="C3")
    ax.text(9.4, 4.8, r"$C_t$", fontsize=11, color="C3")
    # inputs along the bottom
    ax.text(0.05, 1.0, r"$H_{t-1}$", fontsize=11)
    ax.text(1.9, 0.05, r"$X_t$", fontsize=11)
    ax.plot([0.6, 6.9], [1.1, 1.1], color="0.2", lw=1.4)
    arrow((2.1, 0.35), (2.1, 1.05))
    gates = [(3.2, r"$F_t$" "\n" r"$\sigma$", "#cfe3f7"), (4.4, r"$I_t$" "\n" r"$\sigma$", "#cfe3f7"),
             (5.5, r"$\tilde C_t$" "\n" r"tanh", "#fde2c8"), (6.9, r"$O_t$" "\n" r"$\sigma$", "#cfe3f7")]
    for x, text, fc in gates:
        arrow((x, 1.15), (x, 1.75))
        box(x, 2.3, text, fc)
    arrow((3.2, 2.85), (3.2, 4.35))  # F -> x on the highway
    op(5.0, 3.5, "×")
    arrow((4.4, 2.85), (4.85, 3.3))  # I -> x
    arrow((5.5, 2.85), (5.15, 3.3))  # C~ -> x
    arrow((5.0, 3.75), (5.35, 4.4))  # product -> +
    box(7.9, 3.7, "tanh", "#fde2c8")
    arrow((7.9, 4.55), (7.9, 4.0))  # C_t -> tanh
    op(7.9, 2.3, "×")
    arrow((7.25, 2.3), (7.65, 2.3))  # O -> x
    arrow((7.9, 3.4), (7.9, 2.55))  # tanh(C) -> x
    arrow((8.15, 2.3), (10.0, 2.3))
    ax.text(9.4, 2.45, r"$H_t$", fontsize=11)
    ax.text(0.9, 5.45, r"$C_t = F_t \odot C_{t-1} + I_t \odot \tilde C_t$,   $H_t = O_t \odot \tanh(C_t)$",
            fontsize=10)
    ax.set_title("one LSTM step (gates: σ = sigmoid; ⊙ = elementwise product)", fontsize=10)
    return ax


def plot_lstm_step(i, f, g, o, c_prev, c, h, axes=None):
    """Bar plots of one LSTM step for a few units: the gates, then C_{t-1}, C_t and H_t."""
    import numpy as np

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8, 3.8), layout="constrained")
    values = [np.asarray(v, dtype=float).ravel() for v in (i, f, g, o, c_prev, c, h)]
    n = len(values[0])
    width = 0.8 / 4
    for k, (name, v) in enumerate(zip(["input I", "forget F", "candidate C~", "output O"], values[:4])):
        axes[0].bar(np.arange(n) + (k - 1.5) * width, v, width, label=name)
    axes[0].set_ylim(-1.05, 1.05)
    axes[0].set_title("gate values")
    width = 0.8 / 3
    for k, (name, v) in enumerate(zip([r"$C_{t-1}$", r"$C_t$", r"$H_t$"], values[4:])):
        axes[1].bar(np.arange(n) + (k - 1) * width, v, width, label=name)
    axes[1].set_title("memory cell and hidden state")
    lim = max(1.05, max(abs(v).max() for v in values[4:]) * 1.1)
    axes[1].set_ylim(-lim, lim)
    for ax in axes:
        ax.set_xticks(range(n), [f"unit {u}" for u in range(n)])
        ax.set(xlabel="hidden unit", ylabel="value")
        ax.axhline(0, color="0.3", lw=0.8)
        ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4)  # below: bars go both ways
    return axes


# ---------------------------------------------------------------- notebooks 03 and 04
__all__ += ["plot_perplexity", "plot_speed"]


def plot_perplexity(history, baseline: float | None = None, baseline_label: str = "best n-gram",
                    title: str = "Character language model", zoom_from: int | None = None):
    """Training and held-out perplexity per epoch (a ``History`` from ``train.fit``), with a baseline line.

    ``zoom_from=k`` adds a second panel with the held-out curve from epoch k on, scaled to show
    gaps of a percent or two to the baseline that the first panel's scale hides.
    """
    fig, axes = plt.subplots(1, 2 if zoom_from else 1, figsize=(10.5, 3.8) if zoom_from else None, squeeze=False)
    epochs = list(range(1, len(history) + 1))
    ax = axes[0, 0]
    ax.plot(epochs, history.train_metric, marker=".", label="training (while learning)")
    ax.plot(epochs, history.valid_metric, marker=".", label="held-out (last 10% of the text)")
    if baseline is not None:
        ax.axhline(baseline, color="grey", linestyle="--", label=f"{baseline_label} (held-out): {baseline:.2f}")
    ax.set(xlabel="epoch", ylabel="perplexity (lower is better)", title=title)
    ax.legend()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs only
    if zoom_from:
        if not 1 <= zoom_from < len(epochs):
            raise ValueError(f"zoom_from={zoom_from}: choose an epoch from 1 to {len(epochs) - 1}")
        zoom = axes[0, 1]
        tail = slice(zoom_from - 1, None)
        zoom.plot(epochs[tail], history.valid_metric[tail], marker=".", color="C1", label="held-out")
        if baseline is not None:
            zoom.axhline(baseline, color="grey", linestyle="--", label=baseline_label)
        zoom.set(xlabel="epoch", title=f"held-out, from epoch {zoom_from} (zoomed)")
        zoom.legend()
        zoom.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return fig


def plot_speed(rows, title: str = "Training speed (forward + backward + Adam step)"):
    """Horizontal bars of tokens/s from ``speed.compare_speed``, each labelled with its ratio."""
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(rows) + 1.2))
    ok = [r for r in rows if not r["error"]]
    labels = [r["label"] for r in ok][::-1]
    speeds = [r["tokens_per_s"] for r in ok][::-1]
    bars = ax.barh(labels, speeds, color=["#d62728" if "nn.LSTM" in l else "#1f77b4" for l in labels])
    for bar, r in zip(bars, ok[::-1]):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {r['ratio']:.2f}x",
                va="center", fontsize=9)
    ax.set(xlabel="training tokens per second (higher is better)", ylabel="model", title=title)
    ax.set_xlim(0, max(speeds) * 1.18)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig





# ---------------------------------------------------------------- notebook 06
# Jay Chou lyrics. Chinese labels need a CJK font: use_cjk_font() below sets it.
__all__ += ["CJK_FONT_NAMES", "find_cjk_font", "use_cjk_font", "plot_char_frequency", "plot_grad_norms",
            "plot_lm_curves", "plot_heldout_comparison", "plot_next_char_probs", "plot_seconds_per_batch"]

# fonts with CJK glyphs, most likely first: Debian/Ubuntu (fonts-noto-cjk, fonts-wqy-*), macOS, Windows
CJK_FONT_NAMES = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans SC", "Noto Serif CJK SC",
    "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "AR PL UMing CN", "PingFang SC", "Heiti SC", "STHeiti", "Hiragino Sans GB", "Microsoft YaHei",
    "SimHei", "SimSun",
)
_CJK_FILE_HINTS = ("cjk", "wqy", "wenquanyi", "sourcehan", "uming", "ukai", "simhei", "simsun", "msyh", "pingfang")
_INSTALL_HINT = ("install one: `sudo apt-get install fonts-noto-cjk` (Debian/Ubuntu), "
                 "`!apt-get -qq install -y fonts-noto-cjk` in Colab, then restart the kernel")


def find_cjk_font(names=CJK_FONT_NAMES) -> str | None:
    """The name of an installed font with Chinese glyphs that matplotlib can use, or None.

    Looks in matplotlib's font list first; if none is there (matplotlib caches its list, so a font
    installed after the cache was built is missing from it), it adds the system's font files whose
    names suggest CJK glyphs and looks again.
    """
    from matplotlib import font_manager

    def known():
        have = {f.name for f in font_manager.fontManager.ttflist}
        return next((n for n in names if n in have), None)

    found = known()
    if found is None:
        for path in font_manager.findSystemFonts():
            if any(h in path.lower().replace("-", "").replace("_", "") for h in _CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except Exception:  # an unreadable font file: skip it
                    continue
        found = known()
    return found


def use_cjk_font(names=CJK_FONT_NAMES, verbose: bool = True) -> str | None:
    """Put a CJK font first in matplotlib's sans-serif list; warn (printed) and return None if none."""
    font = find_cjk_font(names)
    if font is None:
        print("WARNING: no font with Chinese characters found; plots will show boxes instead of "
              f"characters. To fix it, {_INSTALL_HINT}.")
        return None
    plt.rcParams["font.sans-serif"] = [font] + [f for f in plt.rcParams["font.sans-serif"] if f != font]
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False  # CJK fonts often lack the minus sign glyph
    if verbose:
        print(f"matplotlib font for Chinese characters: {font}")
    return font


def plot_char_frequency(counts, top: int = 30, title: str = "the most frequent characters"):
    """Bars of the ``top`` most frequent tokens of a ``collections.Counter`` (space as '␣', newline as '\\n')."""
    fig, ax = plt.subplots(figsize=(7.5, 3.0))
    items = counts.most_common(top)
    labels = [{" ": "␣", "\n": "\\n"}.get(t, t) for t, _ in items]
    ax.bar(range(len(items)), [n for _, n in items])
    ax.set_xticks(range(len(items)), labels, fontsize=11)
    ax.set(xlabel="character", ylabel="occurrences", title=title)
    ax.grid(axis="x", visible=False)
    fig.tight_layout()
    return fig


def plot_grad_norms(norms: dict, clip: float | None = None, title: str = "gradient norm at each step"):
    """Total gradient norm (before clipping) per training step, log scale, one line per run."""
    fig, ax = plt.subplots()
    for label, values in norms.items():
        ax.semilogy(range(1, len(values) + 1), values, label=label, lw=1)
    if clip is not None:
        ax.axhline(clip, color="C3", ls="--", lw=1, label=f"clipping threshold {clip:g}")
    ax.set(xlabel="training step (batch)", ylabel="gradient norm (before clipping)", title=title)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_lm_curves(histories: dict, baseline: float | None = None, baseline_label: str = "n-gram",
                   title: str = "perplexity per epoch", log: bool = True, which: str = "both",
                   valid_label: str = "validation", legend_loc: str = "best"):
    """Training (dashed) and validation (solid) perplexity per epoch for several ``History`` of ``train.fit``.

    The baseline (an n-gram's perplexity) is drawn as a dotted line; ``legend_loc`` places the legend
    (matplotlib's names, e.g. "upper right", or "below" the panel) where it hides no curve."""
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    for i, (label, h) in enumerate(histories.items()):
        epochs = range(1, len(h) + 1)
        if which in ("both", "train"):
            ax.plot(epochs, h.train_metric, ls="--", color=f"C{i}", lw=1, label=f"{label}: training")
        if which in ("both", "valid"):
            ax.plot(epochs, h.valid_metric, marker=".", color=f"C{i}", label=f"{label}: {valid_label}")
        if h.best_epoch:
            ax.plot(h.best_epoch, h.valid_metric[h.best_epoch - 1], "k*", ms=10)
    if baseline is not None:
        shown = f"{baseline:.2f}" if baseline < 10 else f"{baseline:.0f}"  # 3.80 on books, 200 on lyrics
        ax.axhline(baseline, color="grey", ls=":", lw=1.5, label=f"{baseline_label}: {shown}")
    if log:
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis)
    ax.set(xlabel="epoch", ylabel="perplexity (lower is better)", title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # whole epochs, also for one
    if legend_loc == "below":  # under the x label, clear of every curve however they run
        _legend_below(ax)
    else:
        ax.legend(fontsize=9, ncol=2, loc=legend_loc)
    fig.tight_layout()
    return fig


def plot_heldout_comparison(results: dict, uniform: float | None = None, title: str = "held-out perplexity"):
    """Horizontal bars of held-out perplexity per model ({label: ppl}); the best bar in red."""
    fig, ax = plt.subplots(figsize=(7.0, 0.42 * len(results) + 1.3))
    labels, values = list(results)[::-1], list(results.values())[::-1]
    best = min(values)
    bars = ax.barh(labels, values, color=["#d62728" if v == best else "#1f77b4" for v in values])
    for bar, v in zip(bars, values):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v:.0f}", va="center", fontsize=9)
    ax.set_xlim(0, max(values) * 1.15)
    ax.set(xlabel="perplexity on the held-out last 10% (lower is better)", ylabel="model", title=title)
    if uniform is not None:
        ax.set_title(f"{title}\n(a uniform guess over the vocabulary: {uniform:,.0f})", fontsize=10)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def plot_next_char_probs(probs: dict, title: str = "next-character probabilities"):
    """Bars of the most likely next characters at several temperatures ({label: [(char, p), ...]})."""
    fig, axes = plt.subplots(1, len(probs), figsize=(3.0 * len(probs), 2.8), squeeze=False)
    for ax, (label, pairs) in zip(axes[0], probs.items()):
        chars = [{" ": "␣", "\n": "\\n"}.get(c, c) for c, _ in pairs]
        ax.bar(range(len(pairs)), [p for _, p in pairs])
        ax.set_xticks(range(len(pairs)), chars, fontsize=11)
        ax.set_xlabel("next character")
        ax.set_title(f"{label}: largest p = {pairs[0][1]:.2f}", fontsize=9)
        ax.grid(axis="x", visible=False)
    axes[0][0].set_ylabel("probability")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_seconds_per_batch(seconds: dict, title: str = "time per batch"):
    """Seconds per training batch against the batch number, one line per run."""
    fig, ax = plt.subplots()
    for label, values in seconds.items():
        ax.plot(range(1, len(values) + 1), values, marker=".", label=label)
    ax.set(xlabel="batch", ylabel="seconds (forward + backward)", title=title)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig




# ---------------------------------------------------------------- notebook 07


__all__ += ["plot_tag_scores", "plot_tag_confusion"]


def plot_tag_scores(probs_before, probs_after, words, tags, title: str = "toy tagger"):
    """Two heat maps of tag probabilities ``(T, K)`` per word, before and after training."""
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 2.2 + 0.3 * len(words)), sharey=True)
    for ax, probs, when in zip(axes, (probs_before, probs_after), ("before training", "after training")):
        probs = np.asarray(probs)
        ax.imshow(probs, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        for (t, k), p in np.ndenumerate(probs):
            ax.text(k, t, f"{p:.2f}", ha="center", va="center", fontsize=9,
                    color="white" if p > 0.6 else "black")
        ax.set_xticks(range(len(tags)), tags)
        ax.set_yticks(range(len(words)), words)
        ax.set_xlabel("tag")
        ax.set_title(f"{title}: {when}", fontsize=10)
        ax.grid(False)
    axes[0].set_ylabel("word")
    fig.tight_layout()
    return fig


def plot_tag_confusion(pairs, mistakes, title: str = "mistakes on the test set"):
    """The listed mistakes ``pairs`` (``(gold, predicted, count)``, e.g. from
    :func:`lstm_teach.tagging.top_pairs`) outlined in a grid of the tags they involve.

    Every cell counts the words of one gold tag (row) predicted as another (column), from
    ``mistakes`` (``{(gold, predicted): count}``, :func:`lstm_teach.tagging.mistake_counts`), the
    same counts the list came from, so the figure shows exactly the printed pairs (outlined) and,
    around them, the smaller mistakes among the same tags. The diagonal (right answers) is blank.
    """
    pairs = [(g, p, int(n)) for g, p, n in pairs]
    if not pairs:
        raise ValueError("plot_tag_confusion got no pairs: pass e.g. tagging.top_pairs(mistakes, 8)")
    wrong = [(g, p, n) for g, p, n in pairs if mistakes.get((g, p), 0) != n]
    if wrong:
        raise ValueError(f"pairs and mistakes disagree, e.g. {wrong[0]} but mistakes has "
                         f"{mistakes.get(wrong[0][:2], 0)}: draw the list from the same counts")
    tags = list(dict.fromkeys(t for g, p, _ in pairs for t in (g, p)))  # order of first mention
    counts = np.array([[mistakes.get((g, p), 0) if g != p else np.nan for p in tags] for g in tags], float)
    size = 1.6 + 0.55 * len(tags)
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(counts, cmap="Reds", vmin=0)
    for (i, j), n in np.ndenumerate(counts):
        if not np.isnan(n):
            ax.text(j, i, int(n), ha="center", va="center", fontsize=9,
                    color="white" if n > 0.6 * np.nanmax(counts) else "black")
    for g, p, _ in pairs:  # the printed list, outlined
        ax.add_patch(Rectangle((tags.index(p) - 0.5, tags.index(g) - 0.5), 1, 1, fill=False,
                               edgecolor="black", linewidth=2))
    ax.set_xticks(range(len(tags)), tags)
    ax.set_yticks(range(len(tags)), tags)
    ax.set(xlabel="predicted tag", ylabel="gold tag", title=title)
    ax.grid(False)
    fig.colorbar(image, ax=ax, shrink=0.8, label="words")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- notebook 08
# What the LSTM learned: text coloured by a cell, gate saturation, loss per bucket. The numbers come
# from lstm_teach.interpret; Chinese characters need a CJK font (use_cjk_font above).
__all__ += ["plot_coloured_text", "plot_gate_saturation", "plot_bucket_losses", "plot_probe_scores"]


def plot_coloured_text(text: str, values, vmin: float = -1.0, vmax: float = 1.0, cmap: str = "coolwarm",
                       title: str = "", max_columns: int = 72, ax=None):
    """``text`` drawn on a grid, one character per cell, each cell's background coloured by its value
    (blue ``vmin`` to red ``vmax``), as in Karpathy et al.'s figures: a picture that GitHub and nbviewer
    show, beside the HTML version. A line break is drawn as ↵ and starts a new row; a line longer than
    ``max_columns`` wraps. Chinese characters get square cells."""
    import matplotlib

    values = [float(v) for v in values]
    if len(values) != len(text):
        raise ValueError(f"one value per character: {len(text)} characters, {len(values)} values")
    rows, row = [], []
    for ch, v in zip(text, values):
        row.append(("↵" if ch == "\n" else ch, v))
        if ch == "\n" or len(row) == max_columns:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    wide = any(ord(ch) > 0x2E80 for ch in text)
    cell_w, cell_h = (0.26, 0.30) if wide else (0.115, 0.24)  # inches
    columns = max(len(r) for r in rows)
    if ax is None:
        fig, ax = plt.subplots(figsize=(columns * cell_w + 0.3, len(rows) * cell_h + (0.45 if title else 0.15)))
    fig = ax.figure
    colours = matplotlib.colormaps[cmap]
    span = (vmax - vmin) or 1.0
    for y, row in enumerate(rows):
        for x, (ch, v) in enumerate(row):
            ax.add_patch(Rectangle((x, -y - 1), 1, 1, color=colours((v - vmin) / span), lw=0))
            mark = ch == "↵"  # CJK fonts lack this glyph: draw it with matplotlib's own DejaVu Sans
            ax.text(x + 0.5, -y - 0.5, ch, ha="center", va="center", fontsize=11 if wide else 10,
                    color="0.45" if mark else "black", **({"fontfamily": "DejaVu Sans"} if mark else {}))
    ax.set_xlim(0, columns)
    ax.set_ylim(-len(rows), 0)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99 if not title else 1 - 0.4 / fig.get_figheight())
    return fig


def plot_gate_saturation(stats: dict, title: str = "how often each gate is saturated"):
    """The paper's figure 3: for each gate, one dot per unit at (fraction of time left-saturated,
    fraction right-saturated); ``stats`` maps a label (model, layer) to ``{gate: (left, right)}``."""
    gates = {"f": "forget gate 遗忘门", "i": "input gate 输入门", "o": "output gate 输出门"}
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.6), sharex=True, sharey=True)
    markers = "os^vD"
    for k, (label, by_gate) in enumerate(stats.items()):
        for ax, gate in zip(axes, gates):
            left, right = by_gate[gate]
            ax.scatter(left, right, s=10, alpha=0.6, marker=markers[k % len(markers)], color=f"C{k}", label=label)
    for ax, name in zip(axes, gates.values()):
        ax.plot([0, 1], [1, 0], color="0.7", lw=0.8)  # left + right = 1: always saturated one way or the other
        ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), title=name, xlabel="fraction of time < 0.1 (closed)")
    axes[0].set_ylabel("fraction of time > 0.9 (open)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=9, markerscale=1.5, loc="lower center", ncol=min(3, len(labels)))
    fig.suptitle(title, fontsize=11)
    rows = -(-len(labels) // 3)  # legend rows below the panels, outside the dots
    fig.tight_layout(rect=(0, 0.07 * rows + 0.02, 1, 1))
    return fig


def plot_bucket_losses(tables: dict, title: str = "LSTM minus n-gram, nats per character"):
    """Horizontal bars of the LSTM's mean loss minus the n-gram's per bucket; ``tables`` maps a panel
    title to rows of ``interpret.loss_by_bucket``. Bars left of zero: the LSTM predicts better there."""
    height = 0.3 * max(len(r) for r in tables.values()) + 1.6
    fig, axes = plt.subplots(1, len(tables), figsize=(3.6 * len(tables), height), squeeze=False)
    for ax, (name, rows) in zip(axes[0], tables.items()):
        labels = [f"{r['bucket']} ({r['count']:,})" for r in rows][::-1]
        diffs = [r["diff"] for r in rows][::-1]
        ax.barh(labels, diffs, color=["#1f77b4" if d < 0 else "#d62728" for d in diffs])
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("LSTM − n-gram (nats/char)")
        ax.set_ylabel("bucket (characters in it)")
        ax.tick_params(axis="y", labelsize=9)
        ax.grid(axis="y", visible=False)
    fig.suptitle(title + "   (blue: the LSTM is better; in brackets: characters)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_probe_scores(rows: list[dict], title: str = "best single cell vs a linear probe"):
    """Grouped bars per property: best single cell's r² and the probe's R², trained vs untrained network.
    ``rows``: dicts with ``property`` and the four numbers ``cell_trained``, ``cell_untrained``,
    ``probe_trained``, ``probe_untrained``."""
    import numpy as np

    keys = [("cell_untrained", "best cell r², untrained", "#c7c7c7"),
            ("cell_trained", "best cell r², trained", "#9ecae1"),
            ("probe_untrained", "probe R², untrained", "#7f7f7f"), ("probe_trained", "probe R², trained", "#1f77b4")]
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(rows) + 1.6))
    y = np.arange(len(rows))[::-1]
    for j, (key, label, colour) in enumerate(keys):
        ax.barh(y + (1.5 - j) * 0.2, [max(0.0, r[key]) for r in rows], height=0.2, color=colour, label=label)
    ax.set_yticks(y, [r["property"] for r in rows], fontsize=9)
    ax.set(xlim=(0, 1), xlabel="share of the property's variance explained, held-out text (below 0 drawn as 0)",
           ylabel="property", title=title)
    _legend_below(ax)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig
