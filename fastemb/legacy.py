"""gensim 3 names that tutorials still use (``size``, ``iter``, ``wv.syn0``,
``wv.vocab``, ``model.most_similar`` …), accepted with a
``DeprecationWarning`` that names the gensim 4 spelling, instead of failing.
"""
import warnings
from collections.abc import Mapping

__all__ = ["corpus_keyword", "renamed_attribute", "translate_keywords", "warn_renamed",
           "class_only_method",
           "LegacyVocab",
           "MODEL_KEYWORDS", "TRAIN_KEYWORDS", "MODEL_TO_WV"]

#: Constructor keywords gensim 4 renamed, for the Word2Vec family.
MODEL_KEYWORDS = {"size": "vector_size", "iter": "epochs"}

#: ``build_vocab``/``train`` keywords gensim 4 renamed.
TRAIN_KEYWORDS = {"sentences": "corpus_iterable", "documents": "corpus_iterable"}

#: What gensim 3 let one ask the model that gensim 4 asks its ``wv``.
MODEL_TO_WV = frozenset({
    "most_similar", "most_similar_cosmul", "similar_by_word", "similar_by_vector", "similarity",
    "n_similarity", "doesnt_match", "distance", "distances", "rank", "closer_than",
    "evaluate_word_pairs", "init_sims", "syn0", "syn0norm", "index2word", "vocab"})


def warn_renamed(old, new, stacklevel=3):
    """Warn that ``old`` is gensim 3's spelling of ``new``."""
    warnings.warn(f"{old} is the gensim 3 name; use {new} (fastemb follows gensim 4)",
                  DeprecationWarning, stacklevel=stacklevel)


def translate_keywords(kwargs, renames, where):
    """Rename gensim 3 keywords to their gensim 4 names.

    Parameters
    ----------
    kwargs : dict
        The keywords the function did not recognise.
    renames : dict of str to str
        Old name -> new name.
    where : str
        The function's name, for errors.

    Returns
    -------
    dict
        New name -> value.

    Raises
    ------
    TypeError
        A keyword that is neither current nor an old name, as Python says.
    """
    translated = {}
    for name, value in kwargs.items():
        if name not in renames:
            raise TypeError(f"{where}() got an unexpected keyword argument '{name}'")
        new = renames[name]
        warn_renamed(f"'{name}='", f"'{new}='", stacklevel=4)
        translated[new] = value
    return translated


def corpus_keyword(corpus_iterable, kwargs, where):
    """``corpus_iterable``, or the corpus given under a gensim 3 keyword
    (``sentences=``, ``documents=``), which is taken out of ``kwargs``."""
    for old in TRAIN_KEYWORDS:
        if old in kwargs:
            if corpus_iterable is not None:
                raise TypeError(f"{where}() got both '{old}' and 'corpus_iterable'")
            warn_renamed(f"'{old}='", "'corpus_iterable='", stacklevel=4)
            corpus_iterable = kwargs.pop(old)
    return corpus_iterable


def renamed_attribute(new, old, writable=True):
    """A property named ``old`` that reads (and writes) attribute ``new``."""
    def get(self):
        warn_renamed(f".{old}", f".{new}")
        return getattr(self, new)

    def put(self, value):
        warn_renamed(f".{old}", f".{new}")
        setattr(self, new, value)
    return property(get, put if writable else None,
                    doc=f"gensim 3's name for ``{new}`` (deprecated).")


class LegacyVocabEntry:
    """What gensim 3's ``wv.vocab[word]`` held: the word's ``count`` and ``index``."""

    __slots__ = ("count", "index")

    def __init__(self, count, index):
        self.count = count
        self.index = index

    def __repr__(self):
        return f"Vocab(count={self.count}, index={self.index})"


class LegacyVocab(Mapping):
    """gensim 3's ``wv.vocab``: word -> entry with ``count`` and ``index``,
    read from the vectors' current vocabulary.

    Parameters
    ----------
    kv : KeyedVectors
    """

    def __init__(self, kv):
        self._kv = kv

    def __getitem__(self, key):
        index = self._kv.key_to_index[key]
        counts = self._kv.counts
        return LegacyVocabEntry(int(counts[index]) if index < len(counts) else 0, index)

    def __iter__(self):
        return iter(self._kv.index_to_key)

    def __len__(self):
        return len(self._kv.index_to_key)

    def __contains__(self, key):
        return key in self._kv.key_to_index


class class_only_method:
    """A classmethod that refuses to be called on an instance, as gensim's
    ``load`` does: ``model.load(path)`` would return a new model and leave
    ``model`` unchanged, which is never what the caller meant."""

    def __init__(self, function):
        self.function = function
        self.__doc__ = function.__doc__

    def __get__(self, instance, owner):
        if instance is None:
            return self.function.__get__(owner, owner)
        name = self.function.__name__

        def refuse(*args, **kwargs):
            raise AttributeError(f"{name}() creates a new object: call it on the class, "
                                 f"model = {owner.__name__}.{name}(...), not on an instance")
        return refuse
