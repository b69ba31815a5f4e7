"""Exceptions raised by fastemb. Each subclasses the built-in exception a
gensim user would already catch for the same problem (``ValueError``,
``KeyError``, and where gensim raises something else, that too: a truncated
vectors file is also an ``EOFError``, an empty vocabulary also a
``RuntimeError``), so ``except`` clauses written for gensim keep working."""

__all__ = ["CorpusError", "CorpusEncodingError", "CorpusArgumentError", "FormatError",
           "TruncatedFileError", "FileEncodingError", "ModelKindError", "EmptyQueryError",
           "TrainingDivergedError", "UnknownKeyError", "VocabularyError",
           "UnsupportedModelError"]


class CorpusError(ValueError):
    """The corpus cannot be read: missing file, bad encoding, wrong type."""


class CorpusEncodingError(CorpusError):
    """Corpus text is not valid UTF-8.

    Parameters
    ----------
    detail : str
        Where the bad bytes are.
    option : str
        The keyword argument that reads past them (``encoding_errors``); a
        front end with other spellings (the CLI's flags) names its own.
    """

    def __init__(self, detail, option="encoding_errors"):
        super().__init__(f"{detail}; pass {option}='replace' or 'ignore' to read it anyway")
        self.detail = detail
        self.option = option


class CorpusArgumentError(CorpusError, TypeError):
    """The corpus arguments do not name one corpus: both or neither of
    ``corpus_iterable`` and ``corpus_file``, or a value of the wrong type.
    gensim raises ``TypeError`` here."""


class VocabularyError(ValueError, RuntimeError):
    """The corpus yields no usable vocabulary (empty, or nothing reaches
    ``min_count``). gensim raises ``RuntimeError`` here."""


class FormatError(ValueError):
    """A vectors or model file is corrupt, truncated or of another kind."""


class UnsupportedModelError(FormatError, NotImplementedError):
    """The file holds a kind of model this reader does not take (a fastText
    classifier given to ``load_facebook_model``). gensim raises
    ``NotImplementedError`` here."""


class TruncatedFileError(FormatError, EOFError):
    """A file ends before the data its header announces (gensim: ``EOFError``)."""


class ModelKindError(FormatError, AttributeError):
    """A file holds another kind of object than the one asked to load
    (vectors given to ``Word2Vec.load``; gensim: ``AttributeError``)."""


class FileEncodingError(FormatError, UnicodeDecodeError):
    """Text in a file is not valid in the expected encoding
    (gensim: ``UnicodeDecodeError``).

    Parameters
    ----------
    detail : str
        What is wrong, and where.
    error : UnicodeDecodeError
        The decoder's error, whose details this one carries.
    option : str
        The keyword argument that reads the file anyway (``unicode_errors``);
        the message advises it, and a front end with other spellings (the
        CLI's flags) names its own from ``detail`` and ``option``.
    """

    def __init__(self, detail, error, option="unicode_errors"):
        UnicodeDecodeError.__init__(self, error.encoding, error.object, error.start, error.end,
                                    error.reason)
        self.detail = detail
        self.option = option
        self.message = f"{detail}; pass {option}='replace' to read it anyway"

    def __str__(self):
        return self.message


class EmptyQueryError(ValueError, ZeroDivisionError):
    """A query needs at least one key and got none (gensim:
    ``ZeroDivisionError``)."""


class TrainingDivergedError(RuntimeError):
    """Training made the weights non-finite (a learning rate too high, or
    non-finite input vectors); the message names the epoch."""


class UnknownKeyError(KeyError):
    """A word asked for is not in the vocabulary."""

    def __init__(self, key, message=None):
        super().__init__(key)
        self.key = key
        self.message = message

    def __str__(self):
        return self.message or f"Key {self.key!r} not present in vocabulary"
