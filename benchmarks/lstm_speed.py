"""Training speed of the from-scratch LSTM, step by step, against nn.LSTM (notebook 03).

    python benchmarks/lstm_speed.py [--seconds 1] [--no-compile] [--threads N]

Two sizes: The Time Machine (vocab 28) and the Jay Chou lyrics (vocab 1027), both with hidden
256, batch 32 and 35 time steps, as in d2l. Each row is the median batch of torch.utils.benchmark
(at least --seconds of timed batches after warm-up) of forward + backward + gradient clipping +
Adam step on random token ids;
the ratios are to nn.LSTM measured in the same run: fed one-hot vectors (as d2l's concise model)
and fed by an embedding lookup (nn.Embedding(V, 256), the fair peer of the scratch models that
look up rows of W_x instead of multiplying one-hot vectors). torch.compile's compile time is reported
apart from its steady-state speed. Timings on a shared machine are noisy: the load average
is printed beside the table. On a CPU it ends with a floor: the matrix products any LSTM layer
must do, timed alone, beside nn.LSTM's whole layer (lstm_teach.speed.time_products).
"""

import argparse
import os
import platform

import torch

from lstm_teach.config import get_device
from lstm_teach.speed import SPEED_STEPS, compare_speed, format_speed_table, time_products


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0, help="timed seconds per model at least (median batch)")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile row")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--vocab", type=int, nargs="*", default=[28, 1027])
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    steps = [s for s in SPEED_STEPS if not (args.no_compile and s[2])]
    device = get_device()
    print(f"torch {torch.__version__} | {device.type} | {platform.processor() or platform.machine()} | "
          f"{os.cpu_count()} cores, {torch.get_num_threads()} torch threads")
    for vocab in args.vocab:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"\nvocab {vocab}, hidden 256, batch 32, 35 steps; median batch of {args.seconds:g} s or more "
              f"(load average at start {load:.1f})")
        rows = compare_speed(vocab, 256, 32, 35, steps, args.seconds, device=device, progress=False)
        print(format_speed_table(rows), flush=True)
        scratch = [r for r, (_, kwargs, _) in zip(rows, steps) if kwargs["kind"] == "scratch" and not r["error"]]
        if scratch:
            best = max(scratch, key=lambda r: r["tokens_per_s"])
            print(f"fastest scratch model: {best['label']}, {best['ratio']:.2f}x nn.LSTM (one-hot), "
                  f"{best['ratio_peer']:.2f}x nn.LSTM fed by an embedding lookup", flush=True)
    if device.type == "cpu":  # why vocab 28 is hard: the products alone, beside nn.LSTM's whole layer
        floor = time_products(256, 32, 35, input_size=28)
        print(f"\nper batch (hidden 256, batch 32, 35 steps): the matrix products alone {floor['products_ms']:.2f} ms, "
              f"nn.LSTM's layer forward + backward {floor['nn_lstm_ms']:.2f} ms;\nleft for all other work of a "
              f"time step, to tie: {floor['left_us']:.0f} us (one sigmoid on the gates: {floor['sigmoid_us']:.0f} us)")


if __name__ == "__main__":
    main()
