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

__all__ += ["check_masked_accuracy", "check_unseen_share", "check_two_tags_for_one_word"]


def check_masked_accuracy(fn) -> bool:
    """Exercise 07.1: ``fn(scores (B, T, K), tags (B, T))`` must return the accuracy on the
    positions whose tag is not -100, as a float."""
    import torch

    generator = torch.Generator().manual_seed(7)
    scores = torch.randn(3, 5, 4, generator=generator)
    tags = scores.argmax(-1)
    tags[0, 1] = (tags[0, 1] + 1) % 4  # one mistake among the real positions
    tags[1, 3:] = -100
    tags[2, 2:] = -100
    real = int((tags != -100).sum())  # 10 real positions, 9 of them right
    try:
        got = float(fn(scores, tags))
    except Exception as err:  # a check reports, it does not raise
        return report(False, "", f"your function raised {type(err).__name__}: {err}")
    want = (real - 1) / real
    if abs(got - want) < 1e-6:
        return report(True, f"right: {real - 1} of {real} real positions, pads ignored", "")
    n = tags.numel()
    if abs(got - (real - 1) / n) < 1e-6 or abs(got - (n - 1) / n) < 1e-6:
        return report(False, "", f"got {got:.4f}: the padded positions were counted; keep only tags != -100")
    return report(False, "", f"got {got:.4f}, expected {want:.4f}: compare argmax(-1) with the tags "
                     "where tags != -100, then divide by the number of such positions")


def check_unseen_share(share: float, test_words, train_words) -> bool:
    """Exercise 07.2: the share of test *tokens* whose word (ignoring case) is not in training."""
    seen = {w.lower() for s in train_words for w in s}
    tokens = [w for s in test_words for w in s]
    want = sum(w.lower() not in seen for w in tokens) / len(tokens)
    types = {w.lower() for w in tokens}
    by_type = len(types - seen) / len(types)
    if abs(float(share) - want) < 1e-4:
        return report(True, f"right: {100 * want:.1f}% of the test tokens are unseen in training", "")
    if abs(float(share) - by_type) < 1e-4:
        return report(False, "", "that is the share of distinct words; count every occurrence (token) instead")
    return report(False, "", f"got {share}, expected {want:.4f}: lower-case both sides, count tokens")


def check_two_tags_for_one_word(tagged_a, tagged_b, word: str) -> bool:
    """Exercise 07.4: ``word`` is in both tagged sentences and gets a different tag in each."""
    tags_a = {t for w, t in tagged_a if w.lower() == word.lower()}
    tags_b = {t for w, t in tagged_b if w.lower() == word.lower()}
    if not tags_a or not tags_b:
        return report(False, "", f"{word!r} must appear in both sentences")
    if tags_a.isdisjoint(tags_b):
        return report(True, f"{word!r} is {'/'.join(sorted(tags_a))} in one sentence and "
                         f"{'/'.join(sorted(tags_b))} in the other: the context decided", "")
    return report(False, "", f"{word!r} got {sorted(tags_a)} and {sorted(tags_b)}: find contexts "
                     "that make it a different part of speech (e.g. a noun after 'a', a verb after 'to')")
