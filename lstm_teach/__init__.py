"""lstm_teach: the small library behind the lstm-teach notebooks.

Modules, each readable on its own:

* :mod:`lstm_teach.config`: quick mode, seeds, device, the data folder, one thread on a JupyterHub.
* :mod:`lstm_teach.data`: the data-set registry, checksummed downloads, loaders.
* :mod:`lstm_teach.text`: tokenizers, ``Vocab``, language-model and bucketed batches.
* :mod:`lstm_teach.gradients`: per-step gradient norms and the LSTM cell Jacobian (01, 02).
* :mod:`lstm_teach.history`: ``History``, what every training loop returns (loss, metric, seconds
  per epoch, the kept epoch), and the one progress convention: a live bar, then one summary line.
* :mod:`lstm_teach.tasks`: the recall-the-first-symbol memory task and its training (01, 02).
* :mod:`lstm_teach.models`: ``LSTMScratch`` (03) and its faster variants, weight copies to and
  from ``nn.LSTM``, the character language model ``RNNLM``; the one place with private oneDNN calls.
* :mod:`lstm_teach.train`: ``optimizer_step`` (the update every training loop makes), the
  language-model training loop, perplexity, generation (03, 04, 06).
* :mod:`lstm_teach.speed`: every timing, on one timer (``torch.utils.benchmark``): training and
  generation speed, the speed table of 03, packed vs padded batches (04, 05).
* :mod:`lstm_teach.ngram`: an interpolated Kneser-Ney character n-gram baseline (03, 06).
* :mod:`lstm_teach.lyrics`: Jay Chou lyrics (06): memorisation (longest verbatim substring), prefix
  checks, LSTM + n-gram mixtures.
* :mod:`lstm_teach.sentiment`: IMDB sentiment (05): a biLSTM on padded batches equal to packed ones.
* :mod:`lstm_teach.tagging`: part-of-speech tagging (07): baseline, BiLSTM + char-CNN tagger.
* :mod:`lstm_teach.interpret`: what a trained LSTM learned (08): every state and gate recorded, single
  cells against a linear probe, clamping a cell during generation, gate saturation, loss per bucket.
* :mod:`lstm_teach.plots`, :mod:`lstm_teach.exercises`: figures (and a CJK font for them) and
  exercise checks.
* :mod:`lstm_teach.hub`: the nbgitpuller link that hands the course to a JupyterHub's students.

The approach follows *Dive into Deep Learning* (Zhang, Lipton, Li and Smola, d2l.ai),
chapters 9 and 10 (8 and 9 of the Chinese edition), rewritten for a current PyTorch stack.
"""

import os

from .config import data_dir, default_threads, describe_run, get_device, quick_mode, seed_everything
from .text import BucketBatches, LMBatches, Vocab, tokenize_chars, tokenize_words

__version__ = "0.1.0"

default_threads()  # one torch thread per kernel on a JupyterHub (see config.default_threads)

if os.environ.get("LSTM_TEACH_CHECK_FIGURES", "").lower() in ("1", "true", "yes", "on"):
    from .plots import check_figures_on_show

    check_figures_on_show()  # the test suite's projector check of every figure shown (plots.figure_problems)

__all__ = [
    "__version__", "quick_mode", "seed_everything", "get_device", "data_dir", "describe_run",
    "Vocab", "tokenize_chars", "tokenize_words", "LMBatches", "BucketBatches",
]
