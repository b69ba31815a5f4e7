"""fastText's Python API on fastemb's kernels: ``from fastemb import
fasttext`` replaces ``import fasttext``.

``train_supervised``, ``train_unsupervised``, ``load_model``, ``tokenize``
and the model object take fastText 0.9.2's names, defaults and return
types, read and write its ``.bin`` files, and work with NumPy 2. The
gensim-style :class:`FastText` class is importable from here too, as it was
from ``fastemb.fasttext`` before.
"""
from fastemb.corpus.labelled import BOW, EOS, EOW
from fastemb.fasttext import util
from fastemb.fasttext.api import load_model, tokenize, train_supervised, train_unsupervised
from fastemb.fasttext.model import FastTextModel
from fastemb.models.fasttext import FastText

__all__ = ["train_supervised", "train_unsupervised", "load_model", "tokenize", "FastTextModel",
           "FastText", "EOS", "BOW", "EOW", "util"]
