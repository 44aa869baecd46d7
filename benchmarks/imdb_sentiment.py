"""Train notebook 05's IMDB model on the full data and print its accuracy and speed.

    python benchmarks/imdb_sentiment.py                     # the reference (the seed's model), 5 epochs
    python benchmarks/imdb_sentiment.py --pooling max --schedule --patience 2 --epochs 8
    python benchmarks/imdb_sentiment.py --train-subset 5000 --epochs 3 --vocab 25000  # an ablation step
    python benchmarks/imdb_sentiment.py --quick             # a small subset, to check the script
    python benchmarks/imdb_sentiment.py --no-test ...       # a setting being chosen: validation only

Longer sweeps than notebook 05's ablation (which gives every step the same small budget) belong
here. The same split as notebook 05 (20,000 training and 5,000 validation reviews drawn from the
training set with seed 0; all 25,000 test reviews, touched once at the end), a vocabulary of the
10,000 most frequent words of the training part (``--vocab``), GloVe 100-d (50-d offline),
reviews cut at 500 tokens, length-bucketed batches of 64. Prints validation accuracy per epoch,
seconds per epoch and the test accuracy of the weights kept (the last epoch's, or with
``--patience`` the best validation epoch's). On a 2-core CPU one epoch of the reference
model takes several minutes: run it in the background with a log.
"""

import argparse
import random

import torch

from lstm_teach import data, sentiment
from lstm_teach.config import describe_run, get_device, seed_everything
from lstm_teach.text import BucketBatches, Vocab, tokenize_words


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
    parser.add_argument("--quick", action="store_true", help="1,000/200/500 reviews cut at 100 tokens")
    parser.add_argument("--no-test", action="store_true",
                        help="stop after validation: for runs that choose a setting (the test set is read once)")
    args = parser.parse_args()

    seed = seed_everything(0)
    device = get_device()
    print(describe_run(seed=seed).split(" | ", 1)[1], f"| {torch.get_num_threads()} threads")
    if args.quick:
        print("--quick: a small subset, to check the script; the numbers are not the real results")
    n_train, n_valid, n_test = (1_000, 200, 500) if args.quick else (20_000, 5_000, 25_000)
    max_len = 100 if args.quick else args.max_len
    train_texts, train_labels = data.load_imdb("train")
    test_texts, test_labels = data.load_imdb("test")
    order = random.Random(seed).sample(range(len(train_texts)), n_train + n_valid)
    test_order = random.Random(seed).sample(range(len(test_texts)), n_test)
    tokens = {i: tokenize_words(train_texts[i])[:max_len] for i in order}
    train_ids, valid_ids = order[:n_train], order[n_train:]
    if args.train_subset:
        train_ids = train_ids[:args.train_subset]
        n_train = len(train_ids)

    vocab = Vocab([tokens[i] for i in train_ids], max_size=args.vocab + 2)  # + <pad>, <unk>
    glove = data.load_glove(100, words=vocab.itos)
    embeddings, share = sentiment.glove_matrix(vocab, glove)
    print(f"{n_train} train / {n_valid} validation / {n_test} test reviews; {len(vocab)} words; "
          f"GloVe {glove.dim}-d from {glove.source} covers {share:.1%}")

    def batches(ids, texts, labels, size, shuffle):
        seqs = [vocab.encode(tokens[i] if texts is None else tokenize_words(texts[i])[:max_len]) for i in ids]
        return BucketBatches(seqs, [labels[i] for i in ids], size, seed=seed, shuffle=shuffle)

    train = batches(train_ids, None, train_labels, 64, True)
    valid = batches(valid_ids, None, train_labels, 256, False)
    test = batches(test_order, test_texts, test_labels, 256, False)

    config = sentiment.SentimentConfig(embed_dim=glove.dim, hidden_size=args.hidden, pooling=args.pooling,
                                       embed_dropout=args.embed_dropout, epochs=args.epochs, lr=args.lr,
                                       patience=args.patience, schedule=args.schedule)
    model = sentiment.SentimentLSTM(len(vocab), config, vocab.pad_index)
    model.embedding.weight.data.copy_(embeddings)
    history = sentiment.fit(model, train, valid, device=device)
    seconds = sum(history.seconds) / len(history)
    print(f"\n{config}")
    kept = history.best_epoch or len(history)
    print(f"validation accuracy {history.valid_metric[kept - 1]:.4f} at epoch {kept} (the weights kept); "
          f"{seconds:.0f} s per epoch (training + validation)")
    if args.no_test:
        print("test set not read (--no-test)")
    else:
        print(f"test accuracy {sentiment.evaluate(model, test, device)['acc']:.4f}")


if __name__ == "__main__":
    main()
