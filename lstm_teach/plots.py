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

