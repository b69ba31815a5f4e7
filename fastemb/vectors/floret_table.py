"""Reading floret's ``.floret`` vector table, the file spaCy's
``spacy init vectors --mode floret`` reads: the whole hashed table of a
floret-mode model, with the hashing settings in its header and no word list
(every word's vector is computed from its subwords' rows). Written by
:meth:`FastTextKeyedVectors.save_floret_vectors`.
"""
from fastemb.errors import FormatError
from fastemb.io.vector_reader import read_floret_table
from fastemb.vectors.subword import FastTextKeyedVectors

__all__ = ["load_floret_vectors"]

def load_floret_vectors(path, workers=None):
    """Read a ``.floret`` table as floret-mode vectors without a vocabulary:
    ``kv[word]`` gives any word's vector from its subwords, as spaCy does.

    Parameters
    ----------
    path : str or os.PathLike
        Plain or compressed.
    workers : int, optional
        Threads parsing the text (default: the machine's cores, at most 8).

    Returns
    -------
    FastTextKeyedVectors
        ``len(kv) == 0``; ``kv.vectors_ngrams`` is the table.

    Raises
    ------
    FormatError
        Not a ``.floret`` table, a damaged one, or one hashed with settings
        floret never writes (word markers other than ``<`` ``>``, more than
        four hashes).
    """
    settings, table = read_floret_table(path, workers=workers)
    if (settings["bow"], settings["eow"]) != ("<", ">"):
        raise FormatError(f"{path}: words are marked {settings['bow']!r} {settings['eow']!r}; "
                          "floret marks them '<' '>'")
    if not 1 <= settings["hash_count"] <= 4:
        raise FormatError(f"{path}: {settings['hash_count']} hashes a subword; floret uses 1 "
                          "to 4")
    kv = FastTextKeyedVectors(settings["dim"], settings["minn"], settings["maxn"],
                              settings["bucket"], mode="floret",
                              hash_count=settings["hash_count"])
    kv.hash_seed = settings["hash_seed"]
    kv.input_matrix = table
    kv.adjust_vectors()
    return kv
