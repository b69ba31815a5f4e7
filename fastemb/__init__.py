"""fastemb: fast static word embeddings trained in multithreaded nogil Cython.

A drop-in for gensim's ``Word2Vec``, ``FastText``, ``Doc2Vec`` and
``KeyedVectors``, and for fastText's Python API::

    from fastemb import Word2Vec, FastText, Doc2Vec, TaggedDocument, KeyedVectors
    from fastemb import fasttext   # train_supervised, load_model, ...
"""
from fastemb import _moved
from fastemb._version import __version__  # noqa: F401  (fastemb.__version__)
from fastemb.corpus.phrases import ENGLISH_CONNECTOR_WORDS, FrozenPhrases, Phraser, Phrases
from fastemb.corpus.readers import LineSentence, PathLineSentences, Text8Corpus, simple_tokenize
from fastemb.corpus.tfidf import document_term_matrix
from fastemb.data import datapath
from fastemb.errors import CorpusError, FormatError, UnknownKeyError, VocabularyError
from fastemb.explorer import explore
from fastemb.fasttext.estimator import FastTextClassifier
from fastemb.models.doc2vec import Doc2Vec, TaggedDocument, TaggedLineDocument
from fastemb.models.facebook import load_facebook_model, load_facebook_vectors, save_facebook_model
from fastemb.models.fasttext import FastText
from fastemb.models.gensim_models import load_gensim
from fastemb.models.glove import GloVe
from fastemb.models.word2vec import Word2Vec
from fastemb.training.callbacks import CallbackAny2Vec
from fastemb.vectors.align import Alignment
from fastemb.vectors.annoy_index import AnnoyIndexer
from fastemb.vectors.compressed import CompressedKeyedVectors
from fastemb.vectors.compressed_subword import CompressedFastTextKeyedVectors
from fastemb.vectors.floret_table import load_floret_vectors
from fastemb.vectors.keyedvectors import KeyedVectors
from fastemb.vectors.sentence import SentenceVectors
from fastemb.vectors.subword import FastTextKeyedVectors
from fastemb.viz.plotting import plot
from fastemb.viz.projector import export_projector

_moved.install()

__all__ = ["Word2Vec", "FastText", "Doc2Vec", "TaggedDocument", "TaggedLineDocument", "GloVe",
           "KeyedVectors", "FastTextKeyedVectors", "SentenceVectors", "document_term_matrix",
           "Phrases", "FrozenPhrases", "Phraser", "ENGLISH_CONNECTOR_WORDS",
           "CallbackAny2Vec", "LineSentence", "PathLineSentences", "Text8Corpus",
           "simple_tokenize", "datapath", "load_facebook_model", "load_facebook_vectors",
           "save_facebook_model", "load_gensim", "CorpusError", "FormatError", "UnknownKeyError",
           "VocabularyError", "Alignment", "plot", "export_projector", "FastTextClassifier",
           "CompressedKeyedVectors", "CompressedFastTextKeyedVectors", "load_floret_vectors",
           "AnnoyIndexer", "explore"]
