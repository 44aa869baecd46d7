"""Padding and CPU speed of three ways to batch reviews for a 2-layer bidirectional LSTM.

    python benchmarks/bucketing.py [--batches 6] [--max-len 500]

Lengths are those of the IMDB training reviews (word tokens, cut at --max-len); token ids
are random, since speed does not depend on them. Prints the padding overhead of each way and
the speed of forward + backward on the CPU in real (non-pad) tokens per second, the number
that decides how long an epoch takes (median of the timed batches, after one warm-up batch).
"""

import argparse
import platform
import random
import statistics
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from lstm_teach import data
from lstm_teach.text import BucketBatches, pad_sequences, tokenize_words


class BiLSTM(nn.Module):
    def __init__(self, vocab=25_000, emb=100, hidden=256):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.out = nn.Linear(2 * hidden, 1)

    def forward(self, x, lengths, packed):
        e = self.emb(x)  # (B, T, E)
        if packed:
            e = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(e)
        return self.out(torch.cat([h[-2], h[-1]], dim=1)).squeeze(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-len", type=int, default=500)
    args = parser.parse_args()
    torch.manual_seed(0)
    texts, _ = data.load_imdb("train")
    lengths = [min(len(tokenize_words(t)), args.max_len) for t in texts]
    seqs = [[random.randrange(2, 25_000) for _ in range(n)] for n in lengths]
    labels = [0] * len(seqs)

    rng = random.Random(0)
    order = list(range(len(seqs)))
    rng.shuffle(order)
    random_batches = [order[i:i + args.batch_size] for i in range(0, len(order), args.batch_size)]
    bucketed = BucketBatches(seqs, labels, args.batch_size, seed=0).batch_indices()

    def overhead(batches):
        real = sum(lengths)
        padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
        return padded / real

    print(f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"IMDB train: {len(seqs)} reviews, length cut at {args.max_len}, batch size {args.batch_size}")
    model = BiLSTM()
    rows = []
    for name, batches, packed in [("random, padded", random_batches, False),
                                  ("bucketed, padded", bucketed, False),
                                  ("random, packed", random_batches, True)]:
        speeds = []
        for b in batches[:args.batches + 1]:
            x, lens = pad_sequences([seqs[i] for i in b])
            start = time.perf_counter()
            model(x, lens, packed).sum().backward()
            speeds.append(int(lens.sum()) / (time.perf_counter() - start))
        rows.append((name, overhead(batches), statistics.median(speeds[1:])))  # first is warm-up
    print(f"{'batching':18s} {'padded/real tokens':>18s} {'real tokens/s':>14s}")
    for name, over, speed in rows:
        print(f"{name:18s} {over:18.2f} {speed:14.0f}")


if __name__ == "__main__":
    main()
