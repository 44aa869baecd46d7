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
__all__ += ["check_final_states"]


def check_final_states(fn) -> bool:
    """Notebook 05: ``fn(h_n, num_layers)`` must return the last layer's forward and backward
    final states of a bidirectional ``nn.LSTM``, concatenated to ``(B, 2H)``."""
    import torch
    from torch import nn

    torch.manual_seed(1)
    lstm = nn.LSTM(3, 4, num_layers=3, bidirectional=True, batch_first=True)
    out, (h_n, _) = lstm(torch.randn(2, 5, 3))
    want = torch.cat([out[:, -1, :4], out[:, 0, 4:]], dim=1)  # (B, 2H) from the outputs
    try:
        got = fn(h_n, 3)
    except Exception as err:  # a student's bug: say what happened, do not stop the notebook
        return report(False, "", f"your function raised {type(err).__name__}: {err}")
    ok = torch.is_tensor(got) and got.shape == want.shape and torch.allclose(got, want)
    return report(ok, "right: h_n.view(num_layers, 2, B, H)[-1] holds the last layer's two directions",
                  f"not yet: expected shape {tuple(want.shape)} equal to the outputs' final steps; "
                  "hint: h_n has shape (num_layers * 2, B, H), layer by layer, forward first")



# ---------------------------------------------------------------- notebook 06



# ---------------------------------------------------------------- notebook 07

