"""Module paths of fastemb 0.2, before the package was arranged in
subpackages, keep importing: ``import fastemb.word2vec`` or
``from fastemb.keyedvectors import KeyedVectors`` gives the module that now
lives in its subpackage (the same module object, so patches and ``isinstance``
checks see one class). Installed by ``fastemb/__init__.py``.

``fastemb.fasttext`` is a package of its own now (fastText's API), which
still exports the ``FastText`` class the old module held."""
import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["MOVED", "install"]

#: Old module path -> where the module lives now.
MOVED = {f"fastemb.{old}": f"fastemb.{new}" for old, new in {
    "native": "io.native", "compression": "io.compression", "formats": "io.vector_files",
    "callbacks": "training.callbacks", "threads": "training.threads",
    "epochs": "training.epochs", "checkpoint": "training.checkpoint",
    "threaded_scan": "corpus.threaded_scan", "encode": "corpus.encode",
    "cache": "corpus.cache", "vocab": "corpus.vocab", "phrases": "corpus.phrases",
    "tfidf": "corpus.tfidf",
    "keyedvectors": "vectors.keyedvectors", "fasttext_vectors": "vectors.subword",
    "search": "vectors.search", "ann": "vectors.ann", "wmd": "vectors.wmd",
    "sentence": "vectors.sentence", "align": "vectors.align",
    "evaluation": "vectors.evaluation", "stats": "vectors.stats",
    "word2vec": "models.word2vec",
    "doc2vec": "models.doc2vec", "glove": "models.glove",
    "cooccurrence": "models.cooccurrence", "scoring": "models.scoring",
    "facebook": "models.facebook", "gensim_files": "models.gensim_models",
    "plotting": "viz.plotting", "projector": "viz.projector",
}.items()}


class _Alias(importlib.abc.Loader):
    """Loads an old path as the module at its new one."""

    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        """Nothing to run: the target module ran when it was imported."""


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, _Alias(MOVED[fullname]))


def install():
    """Put the finder of old paths on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
