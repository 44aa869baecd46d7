"""Train notebook 05's IMDB model on the full data and print its accuracy and speed.

    python benchmarks/imdb_sentiment.py                     # the reference (the seed's model), 5 epochs
    python benchmarks/imdb_sentiment.py --pooling max --schedule --patience 2 --epochs 8
    python benchmarks/imdb_sentiment.py --train-subset 5000 --epochs 3 --vocab 25000
    python benchmarks/imdb_sentiment.py --quick             # a small subset, to check the script
    python benchmarks/imdb_sentiment.py --no-test ...       # a setting being chosen: validation only

The same split as notebook 05 (20,000 training and 5,000 validation reviews drawn from the
training set with seed 0; all 25,000 test reviews, touched once at the end), a vocabulary of the
10,000 most frequent words of the training part (``--vocab``), GloVe 100-d (50-d offline),
reviews cut at 500 tokens, length-bucketed batches of 64. Prints validation accuracy per epoch,
seconds per epoch and the test accuracy of the weights kept (the last epoch's, or with
``--patience`` the best validation epoch's). ``--seed`` changes the model's initial weights, the
dropout masks and the batch order, never the split. On a 2-core CPU one epoch of the reference
model takes about ten minutes: run it in the background with a log. ``imdb_ablation.py`` runs
notebook 05's one-change-at-a-time steps with the pieces below.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time

import torch

from lstm_teach import data, sentiment
from lstm_teach.config import describe_run, get_device, seed_everything
from lstm_teach.text import BucketBatches, Vocab, tokenize_words

SPLIT_SEED = 0  # the split of notebook 05, whatever the training seed
BIG_VOCAB = 25_000  # GloVe is read for this vocabulary's words, as in notebook 05 (one cached subset)


def prepare(quick: bool = False, max_len: int = 500, vocabs=(10_000,), train_subset: int | None = None,
            with_test: bool = True) -> dict:
    """Notebook 05's split, tokens, vocabularies (``size -> Vocab``) and GloVe embeddings."""
    n_train, n_valid, n_test = (1_000, 200, 500) if quick else (20_000, 5_000, 25_000)
    max_len = 100 if quick else max_len
    train_texts, train_labels = data.load_imdb("train")
    order = random.Random(SPLIT_SEED).sample(range(len(train_texts)), n_train + n_valid)
    train_ids, valid_ids = order[:n_train], order[n_train:]
    if train_subset:
        train_ids = train_ids[:train_subset]
    tokens = {i: tokenize_words(train_texts[i])[:max_len] for i in train_ids + valid_ids}
    sizes = sorted(set(vocabs) | {BIG_VOCAB})
    vocab = {size: Vocab([tokens[i] for i in train_ids], max_size=size + 2) for size in sizes}  # + <pad>, <unk>
    glove = data.load_glove(100, words=vocab[BIG_VOCAB].itos)
    prepared = dict(tokens=tokens, labels=train_labels, train_ids=train_ids, valid_ids=valid_ids, vocab=vocab,
                    glove=glove, test=None, max_len=max_len, n_valid=n_valid)
    if with_test:
        test_texts, test_labels = data.load_imdb("test")
        test_order = random.Random(SPLIT_SEED).sample(range(len(test_texts)), n_test)
        prepared["test"] = ([tokenize_words(test_texts[i])[:max_len] for i in test_order],
                            [test_labels[i] for i in test_order])
    return prepared


def train_one(prepared: dict, config: sentiment.SentimentConfig, vocab_size: int = 10_000, seed: int = 0,
              device=None, test: bool = False, progress: bool = True) -> dict:
    """Train one model with ``config`` on the prepared split; its validation (and test) accuracy."""
    vocab, p = prepared["vocab"][vocab_size], prepared

    def batches(seqs, labels, size, shuffle):
        return BucketBatches([vocab.encode(s) for s in seqs], labels, size, seed=seed, shuffle=shuffle)

    train = batches([p["tokens"][i] for i in p["train_ids"]], [p["labels"][i] for i in p["train_ids"]], 64, True)
    valid = batches([p["tokens"][i] for i in p["valid_ids"]], [p["labels"][i] for i in p["valid_ids"]], 256, False)
    seed_everything(seed)
    embeddings, share = sentiment.glove_matrix(vocab, p["glove"])
    seed_everything(seed)
    model = sentiment.SentimentLSTM(len(vocab), dataclasses.replace(config, embed_dim=p["glove"].dim),
                                    vocab.pad_index)
    model.embedding.weight.data.copy_(embeddings)
    start = time.perf_counter()
    history = sentiment.fit(model, train, valid, device=device, progress=progress)
    kept = history.best_epoch or len(history)
    record = {"valid_acc": history.valid_metric[kept - 1], "valid_by_epoch": list(history.valid_metric),
              "epochs": len(history), "kept_epoch": kept, "minutes": (time.perf_counter() - start) / 60,
              "glove_dim": p["glove"].dim, "glove_share": share, "seed": seed}
    if test:
        record["test_acc"] = sentiment.evaluate(model, batches(*p["test"], 256, False), device)["acc"]
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--pooling", choices=["last", "max"], default="last")
    parser.add_argument("--embed-dropout", type=float, default=0.5)
    parser.add_argument("--vocab", type=int, default=10_000, help="most frequent training words kept")
    parser.add_argument("--train-subset", type=int, default=None, help="train on the first N training reviews")
    parser.add_argument("--schedule", action="store_true", help="cosine learning-rate schedule")
    parser.add_argument("--patience", type=int, default=None, help="early stopping on validation accuracy")
    parser.add_argument("--max-len", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0, help="initial weights, dropout and batch order")
    parser.add_argument("--quick", action="store_true", help="1,000/200/500 reviews cut at 100 tokens")
    parser.add_argument("--no-test", action="store_true",
                        help="stop after validation: for runs that choose a setting (the test set is read once)")
    args = parser.parse_args()

    device = get_device()
    print(describe_run(seed=args.seed).split(" | ", 1)[1], f"| {torch.get_num_threads()} threads")
    if args.quick:
        print("--quick: a small subset, to check the script; the numbers are not the real results")
    prepared = prepare(args.quick, args.max_len, (args.vocab,), args.train_subset, with_test=not args.no_test)
    glove = prepared["glove"]
    print(f"{len(prepared['train_ids'])} train / {len(prepared['valid_ids'])} validation reviews; "
          f"{len(prepared['vocab'][args.vocab])} words; GloVe {glove.dim}-d from {glove.source}")
    config = sentiment.SentimentConfig(hidden_size=args.hidden, pooling=args.pooling,
                                       embed_dropout=args.embed_dropout, epochs=args.epochs, lr=args.lr,
                                       patience=args.patience, schedule=args.schedule)
    print(config)
    r = train_one(prepared, config, args.vocab, args.seed, device, test=not args.no_test)
    print(f"validation accuracy {r['valid_acc']:.4f} at epoch {r['kept_epoch']} (the weights kept); "
          f"{60 * r['minutes'] / r['epochs']:.0f} s per epoch (training + validation); GloVe covers "
          f"{r['glove_share']:.1%} of the vocabulary")
    print("test set not read (--no-test)" if args.no_test else f"test accuracy {r['test_acc']:.4f}")


if __name__ == "__main__":
    main()
