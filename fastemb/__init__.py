"""fastemb: fast static word embeddings trained in multithreaded nogil Cython.

A drop-in for gensim's ``Word2Vec``, ``FastText``, ``Doc2Vec`` and
``KeyedVectors``::

    from fastemb import Word2Vec, FastText, Doc2Vec, TaggedDocument, KeyedVectors
"""
from fastemb.align import Alignment
from fastemb.callbacks import CallbackAny2Vec
from fastemb.corpus import LineSentence, PathLineSentences, Text8Corpus, simple_tokenize
from fastemb.doc2vec import Doc2Vec, TaggedDocument, TaggedLineDocument
from fastemb.errors import CorpusError, FormatError, UnknownKeyError, VocabularyError
from fastemb.evaluation import datapath
from fastemb.facebook import load_facebook_model, load_facebook_vectors, save_facebook_model
from fastemb.fasttext import FastText
from fastemb.fasttext_vectors import FastTextKeyedVectors
from fastemb.gensim_files import load_gensim
from fastemb.glove import GloVe
from fastemb.keyedvectors import KeyedVectors
from fastemb.phrases import ENGLISH_CONNECTOR_WORDS, FrozenPhrases, Phraser, Phrases
from fastemb.plotting import plot
from fastemb.projector import export_projector
from fastemb.sentence import SentenceVectors
from fastemb.tfidf import document_term_matrix
from fastemb.word2vec import Word2Vec

__version__ = "0.2.0"

__all__ = ["Word2Vec", "FastText", "Doc2Vec", "TaggedDocument", "TaggedLineDocument", "GloVe",
           "KeyedVectors", "FastTextKeyedVectors", "SentenceVectors", "document_term_matrix",
           "Phrases", "FrozenPhrases", "Phraser", "ENGLISH_CONNECTOR_WORDS",
           "CallbackAny2Vec", "LineSentence", "PathLineSentences", "Text8Corpus",
           "simple_tokenize", "datapath", "load_facebook_model", "load_facebook_vectors",
           "save_facebook_model", "load_gensim", "CorpusError", "FormatError", "UnknownKeyError",
           "VocabularyError", "Alignment", "plot", "export_projector"]
