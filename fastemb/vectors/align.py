"""Cross-lingual (or cross-corpus) alignment of two sets of word vectors.

A source space is mapped into a target space by an orthogonal matrix ``W``
fitted to a seed dictionary (orthogonal Procrustes, Schönemann 1966; Xing et
al. 2015), and translations are retrieved with CSLS (Conneau et al. 2018),
which discounts "hub" words that are near everything. The dictionary can be
refined: map, take the mutual nearest neighbours among the most frequent
words as a new dictionary, fit again (Artetxe et al. 2017; Conneau et al.
2018). Without a dictionary, identical strings in both vocabularies (names,
numbers) seed the first fit.

Vectors are prepared as in VecMap: unit length, mean-centred, unit length
again; cosine similarity is then a dot product.

Everything works on any two :class:`fastemb.KeyedVectors`.
"""
import logging

import numpy as np

from fastemb.errors import FormatError, UnknownKeyError
from fastemb.io import native
from fastemb.vectors.keyedvectors import KeyedVectors
from fastemb.vectors.queries import unit_rows

__all__ = ["Alignment", "procrustes", "csls_scores", "mean_neighbour_similarity",
           "read_dictionary", "write_dictionary"]

logger = logging.getLogger(__name__)

#: Rows compared at once in the batched similarity products (bounds memory).
BATCH_ROWS = 4096


def procrustes(source, target):
    """The orthogonal ``W`` minimising ``||source @ W - target||``.

    Parameters
    ----------
    source, target : ndarray, shape (n, d)
        Row ``i`` of each is one pair of the dictionary.

    Returns
    -------
    ndarray of float32, shape (d, d)
    """
    if source.shape != target.shape or source.ndim != 2:
        raise ValueError(f"source and target rows must pair up with the same dimension, got "
                         f"{source.shape} and {target.shape}")
    u, _, vt = np.linalg.svd(source.T.astype(np.float64) @ target.astype(np.float64))
    return (u @ vt).astype(np.float32)


def _prepare(vectors, mean=None):
    """Unit length, mean-centred, unit length again (float32).

    Returns
    -------
    prepared : ndarray of float32
    mean : ndarray
        The mean of the unit vectors that was subtracted (``mean`` when
        given, so other vectors of the same space are prepared alike).
    """
    unit = unit_rows(np.asarray(vectors, dtype=np.float32))
    if mean is None:
        mean = unit.mean(axis=0)
    return unit_rows(unit - mean), mean


def mean_neighbour_similarity(queries, keys, k=10):
    """For each query row, the mean similarity (dot product) of its ``k``
    most similar rows of ``keys``: CSLS's measure of how much of a hub a
    vector is.

    Returns
    -------
    ndarray of float32, shape (len(queries),)
    """
    k = min(k, len(keys))
    out = np.empty(len(queries), dtype=np.float32)
    for start in range(0, len(queries), BATCH_ROWS):
        scores = queries[start:start + BATCH_ROWS] @ keys.T
        top = np.partition(scores, -k, axis=1)[:, -k:]
        out[start:start + len(scores)] = top.mean(axis=1)
    return out


def csls_scores(queries, keys, query_hubness, key_hubness):
    """CSLS similarities: ``2 cos(q, k) - r(q) - r(k)``, where ``r`` is a
    vector's mean similarity to its nearest neighbours in the other space.

    Parameters
    ----------
    queries : ndarray, shape (m, d)
    keys : ndarray, shape (n, d)
    query_hubness : ndarray, shape (m,)
    key_hubness : ndarray, shape (n,)

    Returns
    -------
    ndarray of float32, shape (m, n)
    """
    scores = 2.0 * (queries @ keys.T)
    scores -= query_hubness[:, None]
    scores -= key_hubness[None, :]
    return scores


def _best_by_csls(queries, keys, query_hubness, key_hubness):
    """Index of each query's best key by CSLS, in blocks of queries."""
    best = np.empty(len(queries), dtype=np.int64)
    for start in range(0, len(queries), BATCH_ROWS):
        scores = csls_scores(queries[start:start + BATCH_ROWS], keys,
                             query_hubness[start:start + BATCH_ROWS], key_hubness)
        best[start:start + len(scores)] = scores.argmax(axis=1)
    return best


def read_dictionary(path):
    """Word pairs from a tab-separated file, a pair a line (MUSE's and the
    bundled evaluation sets' format; spaces also separate).

    Returns
    -------
    list of (str, str)

    Raises
    ------
    FormatError
        A line is not two words.
    """
    pairs = []
    with open(path, encoding="utf-8", newline="") as handle:
        for number, line in enumerate(handle, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2:
                raise FormatError(f"{path}, line {number}: expected two words (source, target),"
                                  f" got {len(fields)}")
            pairs.append((fields[0], fields[1]))
    if not pairs:
        raise FormatError(f"{path} holds no word pair")
    return pairs


class Alignment:
    """An orthogonal map from a source vector space into a target one.

    Build it with :meth:`fit`; then :meth:`translate` words,
    :meth:`evaluate_translation` on a test dictionary, map any vectors with
    :meth:`transform`, or get the whole source vocabulary in target space
    with :meth:`mapped_source`.

    Parameters
    ----------
    source, target : KeyedVectors
    matrix : ndarray, shape (d_source, d_target), optional
        The map (identity when omitted).
    csls_k : int
        Neighbours in CSLS's hubness term.
    """

    def __init__(self, source, target, matrix=None, csls_k=10):
        if source.vector_size != target.vector_size:
            raise ValueError(f"both spaces need the same dimension: source "
                             f"{source.vector_size}, target {target.vector_size}")
        self.source = source
        self.target = target
        self.csls_k = int(csls_k)
        self.matrix = (np.eye(source.vector_size, dtype=np.float32) if matrix is None
                       else np.asarray(matrix, dtype=np.float32))
        if self.matrix.shape != (source.vector_size, target.vector_size):
            raise ValueError(f"the map has shape {self.matrix.shape}, expected "
                             f"{(source.vector_size, target.vector_size)}")
        self._source_prepared, self._source_mean = _prepare(source.vectors)
        self._target_prepared, _ = _prepare(target.vectors)
        self._cache = {}
        self.dictionary = []

    # ---------------------------------------------------------------- fitting
    @classmethod
    def fit(cls, source, target, pairs=None, identical=False, refine=0, max_rank=15000,
            csls_k=10):
        """Fit the map.

        Parameters
        ----------
        source, target : KeyedVectors
        pairs : iterable of (str, str), optional
            Seed dictionary; pairs with a word missing from either space are
            skipped (and counted in the log).
        identical : bool
            Also (or, without ``pairs``, only) seed with the words spelled
            the same in both vocabularies.
        refine : int
            Rounds of refinement: each maps the ``max_rank`` most frequent
            words of both sides, takes the pairs that are each other's CSLS
            nearest neighbour (plus the seed pairs) and fits again.
        max_rank : int
            Words of each vocabulary (most frequent first) refinement uses.
        csls_k : int

        Returns
        -------
        Alignment

        Raises
        ------
        ValueError
            No usable seed pair.
        """
        alignment = cls(source, target, csls_k=csls_k)
        seed = alignment._seed_pairs(pairs, identical)
        if not seed:
            raise ValueError("no seed pair has both words in the two vocabularies: give "
                             "pairs=, or identical=True when the languages share words")
        alignment._fit_pairs(seed)
        for round_number in range(int(refine)):
            induced = alignment._mutual_neighbours(max_rank)
            merged = list(dict.fromkeys(seed + induced))
            logger.info("refinement %d: %d mutual nearest neighbours, %d pairs in all",
                        round_number + 1, len(induced), len(merged))
            alignment._fit_pairs(merged)
        return alignment

    def _seed_pairs(self, pairs, identical):
        src, tgt = self.source.key_to_index, self.target.key_to_index
        seed = []
        if pairs is not None:
            pairs = list(pairs)
            seed = [(src[s], tgt[t]) for s, t in pairs if s in src and t in tgt]
            logger.info("seed dictionary: %d of %d pairs have both words", len(seed),
                        len(pairs))
        if identical:
            same = [(src[w], tgt[w]) for w in self.source.index_to_key if w in tgt]
            logger.info("identical strings: %d words in both vocabularies", len(same))
            seed = list(dict.fromkeys(seed + same))
        return seed

    def _fit_pairs(self, index_pairs):
        rows = np.array(index_pairs, dtype=np.int64)
        self.matrix = procrustes(self._source_prepared[rows[:, 0]],
                                 self._target_prepared[rows[:, 1]])
        self._cache = {}
        self.dictionary = [(self.source.index_to_key[s], self.target.index_to_key[t])
                           for s, t in index_pairs]

    def _mutual_neighbours(self, max_rank):
        """Index pairs (source, target) among the ``max_rank`` first words of
        each side that are each other's CSLS nearest neighbour."""
        n_src = min(max_rank, len(self.source))
        n_tgt = min(max_rank, len(self.target))
        mapped = self._mapped()[:n_src]
        keys = self._target_prepared[:n_tgt]
        src_hub = mean_neighbour_similarity(mapped, keys, self.csls_k)
        tgt_hub = mean_neighbour_similarity(keys, mapped, self.csls_k)
        forward = _best_by_csls(mapped, keys, src_hub, tgt_hub)
        backward = _best_by_csls(keys, mapped, tgt_hub, src_hub)
        return [(int(s), int(t)) for s, t in enumerate(forward) if backward[t] == s]

    # -------------------------------------------------------------- retrieval
    def _mapped(self):
        """The prepared source vectors mapped into target space (cached)."""
        if "mapped" not in self._cache:
            self._cache["mapped"] = self._source_prepared @ self.matrix
        return self._cache["mapped"]

    def _target_hubness(self):
        if "target_hub" not in self._cache:
            self._cache["target_hub"] = mean_neighbour_similarity(
                self._target_prepared, self._mapped(), self.csls_k)
        return self._cache["target_hub"]

    def _scores(self, source_rows, method):
        queries = self._mapped()[source_rows]
        if method == "nn":
            return queries @ self._target_prepared.T
        if method == "csls":
            query_hub = mean_neighbour_similarity(queries, self._target_prepared, self.csls_k)
            return csls_scores(queries, self._target_prepared, query_hub,
                               self._target_hubness())
        raise ValueError(f"method must be 'nn' or 'csls', got {method!r}")

    def translate(self, word, topn=5, method="csls"):
        """The target words nearest a source word once mapped.

        Parameters
        ----------
        word : str
        topn : int
        method : {'csls', 'nn'}
            CSLS (default) or plain cosine nearest neighbours.

        Returns
        -------
        list of (str, float)

        Raises
        ------
        UnknownKeyError
            ``word`` is not in the source vocabulary.
        """
        if word not in self.source.key_to_index:
            raise UnknownKeyError(f"Key '{word}' not present in the source vocabulary")
        scores = self._scores(np.array([self.source.key_to_index[word]]), method)[0]
        best = np.argsort(-scores, kind="stable")[:topn]
        return [(self.target.index_to_key[i], float(scores[i])) for i in best]

    def evaluate_translation(self, pairs, topn=(1, 5), methods=("nn", "csls")):
        """Precision at k of translation on a test dictionary.

        A source word counts as translated at k when any of its reference
        translations is among its k best target words (MUSE's protocol);
        source words missing from either space are left out (and counted).

        Parameters
        ----------
        pairs : iterable of (str, str)
            Source word, one reference translation; a word may repeat.
        topn : tuple of int
        methods : tuple of {'nn', 'csls'}

        Returns
        -------
        dict
            ``{"nn": {"p@1": ..., "p@5": ...}, "csls": {...}, "words": n,
            "skipped": m}``.
        """
        references = {}
        skipped = set()
        for source_word, target_word in pairs:
            if source_word in self.source.key_to_index and \
                    target_word in self.target.key_to_index:
                references.setdefault(source_word, set()).add(
                    self.target.key_to_index[target_word])
            else:
                skipped.add(source_word)
        skipped -= references.keys()
        if not references:
            raise ValueError("no test pair has both words in the two vocabularies")
        words = list(references)
        rows = np.array([self.source.key_to_index[w] for w in words])
        result = {"words": len(words), "skipped": len(skipped)}
        deepest = max(topn)
        for method in methods:
            ranked = np.argsort(-self._scores(rows, method), axis=1, kind="stable")[:, :deepest]
            result[method] = {
                f"p@{k}": float(np.mean([bool(references[w] & set(ranked[i, :k].tolist()))
                                         for i, w in enumerate(words)]))
                for k in topn}
        return result

    def transform(self, vectors):
        """Map vectors of the source space into the target space (after the
        same preparation as the source's: unit length, centred by the source
        mean, unit length)."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        return _prepare(vectors, self._source_mean)[0] @ self.matrix

    def mapped_source(self):
        """The source vocabulary with its vectors in target space, as
        :class:`KeyedVectors` (counts kept)."""
        return KeyedVectors.from_arrays(list(self.source.index_to_key), self._mapped().copy(),
                                        np.asarray(self.source.counts).copy())

    # ------------------------------------------------------------ persistence
    def save(self, path):
        """Save the map (and the dictionary it was last fitted to) in
        fastemb's native format, atomically."""
        flat = [w for pair in self.dictionary for w in pair]
        blob, ends = native.encode_strings(flat)
        native.save_arrays(path, {"matrix": self.matrix, "dictionary_blob": blob,
                                  "dictionary_ends": ends},
                           {"kind": "Alignment", "params": {"csls_k": self.csls_k}})

    @classmethod
    def load(cls, path, source, target):
        """An alignment saved by :meth:`save`, between ``source`` and
        ``target``.

        Raises
        ------
        FormatError
            Not an alignment file, or its map does not fit the two spaces.
        """
        arrays, meta = native.load_model_arrays(path, "Alignment")
        try:
            alignment = cls(source, target, arrays["matrix"], meta["params"]["csls_k"])
            flat = native.decode_strings(arrays["dictionary_blob"], arrays["dictionary_ends"])
        except (KeyError, ValueError) as exc:
            raise FormatError(f"{path}: {exc}") from None
        alignment.dictionary = list(zip(flat[::2], flat[1::2]))
        return alignment


def write_dictionary(pairs, path):
    """Write word pairs as a tab-separated file (atomic)."""
    with native.atomic_writer(path) as out:
        for source_word, target_word in pairs:
            out.write(f"{source_word}\t{target_word}\n".encode())
