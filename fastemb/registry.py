"""Classes and readers by name, filled as they are defined.

A native file names the class that wrote it (``meta["kind"]``), and a lower
layer sometimes has to build an object of a higher one: ``KeyedVectors.load``
given a FastText model's file, or given a gensim pickle. Instead of
importing upward, the lower layer asks here; the classes and readers
register themselves when their modules are imported (``fastemb/__init__.py``
imports them all).
"""

__all__ = ["register", "class_named", "register_reader", "reader_named"]

_CLASSES = {}
_READERS = {}


def register(cls):
    """Class decorator: make ``cls`` findable by its name."""
    _CLASSES[cls.__name__] = cls
    return cls


def class_named(name):
    """The registered class called ``name``, or None."""
    return _CLASSES.get(name)


def register_reader(name, function):
    """Make ``function`` the reader called ``name`` (such as ``"gensim"``)."""
    _READERS[name] = function


def reader_named(name):
    """The registered reader called ``name``.

    Raises
    ------
    LookupError
        No reader of that name was registered (its module was not imported).
    """
    try:
        return _READERS[name]
    except KeyError:
        raise LookupError(f"no {name} reader is registered: import fastemb first") from None
