"""Data bundled with fastemb: the King James Bible (a demo corpus, public
domain), WordSim-353 and the Google analogy questions."""
import os

__all__ = ["datapath"]

_DATA_DIR = os.path.dirname(os.path.abspath(__file__))


def datapath(name):
    """Path of a data file bundled with fastemb (``'wordsim353.tsv'``,
    ``'questions-words.txt.gz'``, ``'kjv.txt.gz'``).

    Raises
    ------
    FileNotFoundError
    """
    path = os.path.join(_DATA_DIR, name)
    if not os.path.exists(path) or name.startswith(("_", ".")):
        available = sorted(n for n in os.listdir(_DATA_DIR) if not n.startswith(("_", ".")))
        raise FileNotFoundError(f"no bundled data file {name!r}; available: {available}")
    return path
