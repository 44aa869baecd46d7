"""Check functions for the notebooks' exercises: each says whether an answer is right.

A check never raises on a wrong answer (a student should keep going); it prints what is right
or what to look at again, and returns ``True`` or ``False`` so a notebook can also assert it.
"""

from __future__ import annotations

__all__ = ["report"]


def report(ok: bool, right: str, wrong: str) -> bool:
    """Print ``right`` or ``wrong`` with a mark, and return ``ok``."""
    print(("✔ " + right) if ok else ("✘ " + wrong))
    return bool(ok)


# ---------------------------------------------------------------- notebook 01



# ---------------------------------------------------------------- notebook 02



# ---------------------------------------------------------------- notebook 03



# ---------------------------------------------------------------- notebook 04



# ---------------------------------------------------------------- notebook 05



# ---------------------------------------------------------------- notebook 06



# ---------------------------------------------------------------- notebook 07

