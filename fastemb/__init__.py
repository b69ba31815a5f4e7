"""fastemb: fast static word embeddings trained in multithreaded nogil Cython.

A drop-in for gensim's ``Word2Vec`` and ``KeyedVectors``::

    from fastemb import Word2Vec, KeyedVectors
"""
from fastemb.callbacks import CallbackAny2Vec
from fastemb.corpus import LineSentence, PathLineSentences, Text8Corpus, simple_tokenize
from fastemb.errors import CorpusError, FormatError, UnknownKeyError, VocabularyError
from fastemb.evaluation import datapath
from fastemb.glove import GloVe
from fastemb.keyedvectors import KeyedVectors
from fastemb.word2vec import Word2Vec

__version__ = "0.1.0"

__all__ = ["Word2Vec", "GloVe", "KeyedVectors", "CallbackAny2Vec", "LineSentence", "PathLineSentences",
           "Text8Corpus", "simple_tokenize", "datapath", "CorpusError", "FormatError",
           "UnknownKeyError", "VocabularyError"]
