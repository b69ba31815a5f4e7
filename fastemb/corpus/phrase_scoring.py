"""How phrase candidates are scored, and how a file names the scoring:
gensim's two scores (Mikolov et al. 2013; Bouma 2009's normalised PMI),
and a custom function by its module and name, never by pickle.
"""
import math
import sys

from fastemb.errors import FormatError

__all__ = ["original_scorer", "npmi_scorer", "SCORERS", "scoring_reference",
           "resolve_scoring"]


def original_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                    corpus_word_count):
    """Mikolov et al.'s score: ``(count(ab) - min_count) / (count(a) count(b))
    * len_vocab``."""
    denominator = worda_count * wordb_count
    if denominator == 0:
        return -math.inf
    return (bigram_count - min_count) / float(denominator) * len_vocab


def npmi_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                corpus_word_count):
    """Normalised pointwise mutual information (Bouma 2009), in [-1, 1];
    ``-inf`` below ``min_count``."""
    if bigram_count < min_count:
        return -math.inf
    total = float(corpus_word_count)
    pa, pb, pab = worda_count / total, wordb_count / total, bigram_count / total
    try:
        return math.log(pab / (pa * pb)) / -math.log(pab)
    except (ValueError, ZeroDivisionError):
        return -math.inf


SCORERS = {"default": original_scorer, "npmi": npmi_scorer}


def scoring_reference(scoring):
    """How a file names a scoring: ``'default'``, ``'npmi'``, or a
    module-level function's ``'module:qualified.name'``.

    Raises
    ------
    TypeError
        A function that cannot be found again by its name (a lambda, a
        closure, a method of an instance).
    """
    if isinstance(scoring, str):
        return scoring
    for named, function in SCORERS.items():
        if scoring is function:
            return named
    module, name = getattr(scoring, "__module__", None), getattr(scoring, "__qualname__", "")
    if module and "<" not in name and _find(module, name) is scoring:
        return f"{module}:{name}"
    raise TypeError(f"the scoring function {scoring!r} cannot be saved: files name a scoring "
                    "function by its module and name (no pickle), so it must be defined at "
                    "the top level of a module")


def resolve_scoring(reference, fname):
    """The scoring a file names (see :func:`scoring_reference`). A function
    is looked up in modules already imported: loading a file never imports
    (runs) a module it names.

    Raises
    ------
    FormatError
        The module is not imported, or has no such function.
    """
    if reference in SCORERS or ":" not in str(reference):
        return reference
    module, name = reference.split(":", 1)
    if module not in sys.modules:
        raise FormatError(f"{fname} is scored by {name} of module {module}; import {module} "
                          "before loading it (loading never imports the modules a file names)")
    function = _find(module, name)
    if not callable(function):
        raise FormatError(f"{fname} is scored by {reference}, which module {module} does not "
                          "define")
    return function


def _find(module, qualified_name):
    """The object ``module.qualified_name`` of an imported module, or None."""
    found = sys.modules.get(module)
    for part in qualified_name.split("."):
        found = getattr(found, part, None)
    return found
