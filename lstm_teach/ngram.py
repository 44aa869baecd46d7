"""A smoothed n-gram language model over token ids: the baseline an LSTM has to beat.

Interpolated Kneser-Ney smoothing (Kneser & Ney 1995; the interpolated form and the discount
``D = n1 / (n1 + 2 n2)`` as in Chen & Goodman, "An Empirical Study of Smoothing Techniques
for Language Modeling", 1998, section 3.5 with one discount per order). For a context ``h`` of
``n - 1`` tokens and the same context without its first token ``h'``::

    P(w | h) = max(c(h w) - D, 0) / c(h)  +  D * N1+(h .) / c(h) * P(w | h')

where ``c`` counts n-grams in the training text for the highest order and counts distinct
left neighbours ("continuation counts", N1+(. h w)) for the lower orders; ``N1+(h .)`` is
the number of distinct tokens seen after ``h``. Unseen contexts pass all their mass to the
lower order; the lowest order is interpolated with the uniform distribution over the
vocabulary, so no token ever gets probability zero. Used in notebooks 03 and 06.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import torch

__all__ = ["KneserNeyLM"]


class KneserNeyLM:
    """An interpolated Kneser-Ney n-gram model of ``order`` n over ids ``0 .. vocab_size - 1``.

    ``KneserNeyLM(order, vocab_size).fit(ids)`` counts; ``prob(context, w)`` and
    ``distribution(context)`` give probabilities; ``perplexity(ids)`` scores a held-out text,
    predicting every token after the first from the tokens before it (in that text only).
    """

    def __init__(self, order: int, vocab_size: int):
        if order < 1 or vocab_size < 1:
            raise ValueError(f"order={order} and vocab_size={vocab_size} must be positive")
        self.order, self.vocab_size = order, vocab_size

    def fit(self, ids) -> KneserNeyLM:
        ids = [int(i) for i in torch.as_tensor(ids).tolist()]
        if len(ids) < self.order:
            raise ValueError(f"{len(ids)} tokens are too few for a {self.order}-gram model")
        if min(ids) < 0 or max(ids) >= self.vocab_size:
            raise ValueError(f"token ids must lie in [0, {self.vocab_size})")
        n = self.order
        # counts[k][(h, w)] for k = 1..n: raw counts for k = n, continuation counts below
        full = Counter(tuple(ids[i:i + n]) for i in range(len(ids) - n + 1))
        self.counts = {n: full}
        for k in range(n - 1, 0, -1):
            # N1+(. h w): distinct tokens before each k-gram, from the (k+1)-grams seen
            grams = {tuple(ids[i:i + k + 1]) for i in range(len(ids) - k)}
            self.counts[k] = Counter(g[1:] for g in grams)
        self.context_total, self.context_types, self.discount = {}, {}, {}
        for k, counts in self.counts.items():
            total, types = defaultdict(int), defaultdict(int)
            for gram, c in counts.items():
                total[gram[:-1]] += c
                types[gram[:-1]] += 1
            self.context_total[k], self.context_types[k] = dict(total), dict(types)
            n1 = sum(1 for c in counts.values() if c == 1)
            n2 = sum(1 for c in counts.values() if c == 2)
            self.discount[k] = n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5
        return self

    def prob(self, context, w: int) -> float:
        """P(w | the last ``order - 1`` tokens of ``context``)."""
        context = tuple(int(c) for c in context)[-(self.order - 1):] if self.order > 1 else ()
        p = 1.0 / self.vocab_size  # order 0: uniform
        for k in range(1, self.order + 1):
            if k - 1 > len(context):
                break
            h = context[len(context) - (k - 1):] if k > 1 else ()
            total = self.context_total[k].get(h, 0)
            if total == 0:
                continue  # unseen context: all mass to the lower order
            D = self.discount[k]
            c = self.counts[k].get(h + (w,), 0)
            p = max(c - D, 0.0) / total + D * self.context_types[k][h] / total * p
        return p

    def distribution(self, context) -> torch.Tensor:
        """P(. | context) over the whole vocabulary, shape (V,), float64; sums to 1."""
        return torch.tensor([self.prob(context, w) for w in range(self.vocab_size)], dtype=torch.float64)

    def token_probs(self, ids) -> torch.Tensor:
        """P(ids[t] | the tokens before it in ``ids``) for t = 1 .., float64 of length ``len(ids) - 1``."""
        ids = [int(i) for i in torch.as_tensor(ids).tolist()]
        return torch.tensor([self.prob(ids[max(0, t - self.order + 1):t], ids[t]) for t in range(1, len(ids))],
                            dtype=torch.float64)

    def perplexity(self, ids) -> float:
        """exp of the mean negative log-probability of ``ids[1:]``, each given the tokens before it."""
        ids = [int(i) for i in torch.as_tensor(ids).tolist()]
        if len(ids) < 2:
            raise ValueError("need at least two tokens to measure perplexity")
        nll = 0.0
        for t in range(1, len(ids)):
            nll -= math.log(self.prob(ids[max(0, t - self.order + 1):t], ids[t]))
        return math.exp(nll / (len(ids) - 1))
