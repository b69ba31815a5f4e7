"""``KeyedVectors``: a vocabulary of keys with one float32 vector each, and
similarity queries over them (gensim's API and return shapes)."""
import logging
import warnings

import numpy as np

from fastemb import registry
from fastemb.errors import UnknownKeyError
from fastemb.legacy import LegacyVocab, renamed_attribute, warn_renamed
from fastemb.lifecycle import LifecycleEvents
from fastemb.vectors import persistence, queries
from fastemb.vectors.evaluation import evaluate_word_analogies, evaluate_word_pairs
from fastemb.vectors.wmd import wmdistance
from fastemb.weights import matrix_attribute

__all__ = ["KeyedVectors", "REAL", "pseudorandom_weak_vector"]

logger = logging.getLogger(__name__)

#: The dtype of every vector (gensim's name for it).
REAL = np.float32


def pseudorandom_weak_vector(size, seed_string=None, hashfxn=None):
    """A small random vector, uniform in [-1, 1) / size: what a new word gets
    before training (gensim's helper of the same name).

    Parameters
    ----------
    size : int
    seed_string : str, optional
        The same string always gives the same vector; None draws a fresh one.
    hashfxn : callable, optional
        Ignored (gensim's hash of the seed string); a stable CRC32 is used so
        that the vector does not change between processes.

    Returns
    -------
    ndarray of shape (size,), float32
    """
    import zlib
    seed = None if seed_string is None else zlib.crc32(str(seed_string).encode("utf-8"))
    rng = np.random.default_rng(seed)
    return ((rng.random(size, dtype=np.float32) * 2.0 - 1.0) / size).astype(REAL)


@registry.register
class KeyedVectors(LifecycleEvents):
    """Vectors looked up by key.

    Parameters
    ----------
    vector_size : int
        Dimension of the vectors.
    count : int
        Slots to allocate: :meth:`add_vector` fills them in order before
        growing the arrays (the keys of unfilled slots are None).
    dtype : numpy dtype
    mapfile_path : str, optional
        Accepted for gensim compatibility (unused).

    Attributes
    ----------
    vectors : ndarray of shape (n, vector_size), float32
    index_to_key : list of str
    key_to_index : dict of str to int
    expandos : dict of str to ndarray
        Per-key attributes, one array each (``'count'``: corpus frequency);
        see :meth:`get_vecattr` / :meth:`set_vecattr`.
    vectors_lockf : ndarray of float32
        Lock factor of each row during training (0 freezes a row, 1 trains it
        fully); the default single value applies to every row.
    """

    vectors = matrix_attribute(
        "vectors", lambda kv: (len(kv.index_to_key),),
        "The vectors, a row per key in ``index_to_key`` order: C-ordered floats "
        "(an assigned array is stored as such; one of another shape is refused).")

    def __init__(self, vector_size, count=0, dtype=np.float32, mapfile_path=None):
        if vector_size <= 0:
            raise ValueError(f"vector_size must be positive, got {vector_size}")
        self.vector_size = int(vector_size)
        self.vectors = np.zeros((count, vector_size), dtype=dtype)
        self.index_to_key = [None] * count
        self.key_to_index = {}
        self.next_index = 0
        self.expandos = {"count": np.zeros(count, dtype=np.int64)}
        self.vectors_lockf = np.ones(1, dtype=np.float32)
        self.mapfile_path = mapfile_path
        self.norms = None
        # attributes computed from a model's tables instead of stored per key
        # (a Word2Vec model's Huffman 'code' and 'point', its 'sample_int')
        self.derived_vecattrs = {}

    # ------------------------------------------------------------------ basics
    @classmethod
    def from_arrays(cls, keys, vectors, counts=None, key_to_index=None):
        """Build from a list of keys and a matching matrix.

        Parameters
        ----------
        keys : list of str
        vectors : ndarray of shape (len(keys), dim)
            Kept as it is if it is a float32 (or other float) array, so a
            ``np.memmap`` stays mapped.
        counts : ndarray of int64, optional
            Corpus frequency of each key.
        key_to_index : dict, optional
            Each key's row, when the caller built it already (a file reader
            does, while it copies the vectors); taken as it is.

        Returns
        -------
        KeyedVectors
        """
        vectors = np.asanyarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(keys):
            raise ValueError(f"vectors of shape {vectors.shape} do not match {len(keys)} keys")
        kv = cls(vectors.shape[1])
        kv.index_to_key = list(keys)
        kv._vectors = vectors if np.issubdtype(vectors.dtype, np.floating) else \
            vectors.astype(np.float32)
        kv.key_to_index = key_to_index if key_to_index is not None else \
            {key: i for i, key in enumerate(kv.index_to_key)}
        if len(kv.key_to_index) != len(kv.index_to_key):
            raise ValueError("keys must be unique")
        kv.next_index = len(keys)
        kv.counts = (np.asarray(counts, dtype=np.int64) if counts is not None
                     else np.zeros(len(keys), dtype=np.int64))
        return kv

    @property
    def counts(self):
        """Corpus frequency of each key (the ``'count'`` vecattr), int64."""
        return self.expandos["count"]

    @counts.setter
    def counts(self, values):
        self.expandos["count"] = values

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, key):
        return self.has_index_for(key)

    def __iter__(self):
        return iter(self.index_to_key)

    def __str__(self):
        return f"{type(self).__name__}<vector_size={self.vector_size}, {len(self)} keys>"

    def has_index_for(self, key):
        """True if ``key`` has a row of its own (subword models also answer
        unseen words, but have no row for them)."""
        return key in self.key_to_index

    def get_index(self, key, default=None):
        """Row of ``key`` (an int is taken as a row number); ``default`` if
        given and the key is unknown.

        Raises
        ------
        UnknownKeyError
            Unknown key and no default (a ``KeyError`` that suggests close keys).
        """
        index = self.key_to_index.get(key)
        if index is not None:
            return index
        if isinstance(key, (int, np.integer)) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        suggestions = self.suggest_keys(key)
        hint = f"; did you mean {' or '.join(map(repr, suggestions))}?" if suggestions else ""
        raise UnknownKeyError(key, f"Key {key!r} not present in vocabulary{hint}")

    def suggest_keys(self, key, n=3):
        """Known keys a mistyped ``key`` may have meant: other cases of it
        first (``'moses'`` -> ``'Moses'``), then close spellings among the
        most frequent 100,000 keys.

        Returns
        -------
        list of str
        """
        if not isinstance(key, str):
            return []
        variants = [key.lower(), key.capitalize(), key.title(), key.upper()]
        found = [v for v in dict.fromkeys(variants) if v != key and v in self.key_to_index]
        if found:
            return found[:n]
        import difflib
        keys = [k for k in self.index_to_key[:100000] if isinstance(k, str)]
        return difflib.get_close_matches(key, keys, n=n, cutoff=0.8)

    def get_vector(self, key, norm=False):
        """Vector of ``key``; unit-length if ``norm``.

        Returns
        -------
        ndarray of shape (vector_size,)
        """
        index = self.get_index(key)
        if norm:
            self.fill_norms()
            return self.vectors[index] / self.norms[index]
        # a view of the row, read-only as gensim's: writing into it would
        # change the model behind the norms' back (``kv[key] = v`` does it)
        row = self.vectors[index].view()
        row.flags.writeable = False
        return row

    def word_vec(self, key, norm=False):
        """gensim 3's name of :meth:`get_vector` (deprecated)."""
        warn_renamed(".word_vec()", ".get_vector()")
        return self.get_vector(key, norm=norm)

    def __getitem__(self, keys):
        if isinstance(keys, (str, int, np.integer)):
            return self.get_vector(keys)
        return np.vstack([self.get_vector(key) for key in keys]) if len(keys) else \
            np.zeros((0, self.vector_size), dtype=self.vectors.dtype)

    def __setitem__(self, keys, weights):
        """``kv[key] = vector`` or ``kv[[k1, k2]] = matrix``: add the keys,
        replacing the vectors of keys already present."""
        if not isinstance(keys, list):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    # --------------------------------------------------- per-key attributes
    def allocate_vecattrs(self, attrs=None, types=None):
        """Make sure the attribute arrays exist and have one entry per key.

        Parameters
        ----------
        attrs : list of str, optional
            Attributes to create if missing; default: resize every existing one.
        types : list of type, optional
            Element type of each new attribute (``int`` means int64, ``str``
            an object array).

        Raises
        ------
        TypeError
            An attribute exists with a type the new one does not fit.
        """
        if attrs is None:
            attrs = list(self.expandos)
            types = [self.expandos[a].dtype for a in attrs]
        size = len(self.index_to_key)
        for attr, kind in zip(attrs, types):
            kind = {int: np.int64, str: object}.get(kind, kind)
            current = self.expandos.get(attr)
            if current is None:
                self.expandos[attr] = np.zeros(size, dtype=kind)
                continue
            if not np.issubdtype(kind, current.dtype):
                raise TypeError(f"attribute {attr!r} holds {current.dtype}, "
                                f"cannot store {np.dtype(kind)} in it")
            if len(current) != size:
                grown = np.zeros(size, dtype=current.dtype)
                keep = min(size, len(current))
                grown[:keep] = current[:keep]
                self.expandos[attr] = grown

    def set_vecattr(self, key, attr, val):
        """Store ``val`` as attribute ``attr`` of ``key`` (e.g. ``'count'``)."""
        self.allocate_vecattrs([attr], [type(val)])
        self.expandos[attr][self.get_index(key)] = val

    def get_vecattr(self, key, attr):
        """Attribute ``attr`` of ``key``: ``'count'`` (corpus frequency), any
        attribute set with :meth:`set_vecattr`, and for a model's words the
        Huffman ``'code'``/``'point'`` and the subsampling ``'sample_int'``.

        Raises
        ------
        KeyError
            Unknown key or attribute.
        """
        index = self.get_index(key)
        if attr in self.expandos:
            return self.expandos[attr][index]
        if attr in self.derived_vecattrs:
            return self.derived_vecattrs[attr](index)
        known = sorted(self.expandos) + sorted(self.derived_vecattrs)
        raise KeyError(f"no attribute {attr!r} for key {key!r}; known: {known}")

    # ------------------------------------------------------------ additions
    def _own_index(self):
        """Make ``key_to_index`` a dict before keys are added (a mapped
        file's index is read-only)."""
        if not isinstance(self.key_to_index, dict):
            self.key_to_index = self.key_to_index.copy()

    def add_vector(self, key, vector):
        """Add one key: into the next preallocated slot if there is one, else
        at the end (which copies the arrays: prefer :meth:`add_vectors`).

        Returns
        -------
        int
            The key's row.
        """
        slot = self.next_index
        if slot < len(self.index_to_key) and self.index_to_key[slot] is None:
            self._own_index()
            self.index_to_key[slot] = key
            self.key_to_index[key] = slot
            self.vectors[slot] = vector
            self.next_index += 1
            self.norms = None
            return slot
        warnings.warn("adding keys one at a time to full KeyedVectors copies the arrays each "
                      "time; add them in batches (add_vectors) or preallocate", UserWarning)
        self.add_vectors([key], [vector])
        self.next_index = len(self)
        return len(self) - 1

    def add_vectors(self, keys, weights, extras=None, replace=False):
        """Append keys with their vectors.

        Parameters
        ----------
        keys : key or list of keys
        weights : ndarray of shape (vector_size,) or (len(keys), vector_size)
        extras : dict of str to ndarray, optional
            Per-key attributes of the new keys.
        replace : bool
            Overwrite the vectors (and extras) of keys already present;
            by default they keep their old values.

        Raises
        ------
        ValueError
            Vectors of another dimension.
        """
        if isinstance(keys, (str, int, np.integer)):
            keys = [keys]
        keys = list(keys)
        weights = np.asarray(weights, dtype=self.vectors.dtype).reshape(len(keys), -1)
        if weights.shape[1] != self.vector_size:
            raise ValueError(f"vectors have dimension {weights.shape[1]}, "
                             f"expected {self.vector_size}")
        extras = {attr: np.asarray(values) for attr, values in (extras or {}).items()}
        self.allocate_vecattrs(list(extras), [v.dtype for v in extras.values()])
        present = np.array([k in self.key_to_index for k in keys], dtype=bool)
        # a key given twice among the new ones: the last vector wins
        fresh = {}
        for i in np.flatnonzero(~present):
            fresh[keys[i]] = i
        order = list(fresh.values())
        if fresh:
            self._own_index()
        for key in fresh:
            self.key_to_index[key] = len(self.index_to_key)
            self.index_to_key.append(key)
        if order:
            self.vectors = np.vstack([self.vectors, weights[order]])
        self.allocate_vecattrs()
        for attr, values in extras.items():
            if order:
                self.expandos[attr][-len(order):] = values[order]
        if replace and present.any():
            rows = [self.key_to_index[keys[i]] for i in np.flatnonzero(present)]
            self.vectors[rows] = weights[present]
            for attr, values in extras.items():
                self.expandos[attr][rows] = values[present]
        self.norms = None

    def fill_norms(self, force=False):
        """Compute the length of every vector (zero vectors count as length 1).

        Only the norms are kept, not a normalised copy of the matrix, so
        queries cost no extra memory of the vocabulary's size.
        """
        if self.norms is None or force:
            self.norms = queries.row_norms(self.vectors)

    def get_normed_vectors(self):
        """All vectors scaled to unit length (a new array).

        Returns
        -------
        ndarray of shape (n, vector_size)
        """
        self.fill_norms()
        return self.vectors / self.norms[:, None]

    def cosine_scores(self, queries, start=0, end=None):
        """Cosine similarity of unit-length ``queries`` with rows ``[start, end)``.

        Parameters
        ----------
        queries : ndarray of shape (vector_size,) or (n, vector_size)
            Unit-length query vectors.
        start, end : int

        Returns
        -------
        ndarray of shape (end - start,) or (n, end - start)
        """
        self.fill_norms()
        return (queries @ self.vectors[start:end].T) / self.norms[start:end]

    def ranking_scores(self, query, start, end, count):
        """Cosines of one unit-length query with rows ``[start, end)`` for
        finding the best ``count``: exact for every row that can be among
        them (here: every row; compressed vectors rule rows out first)."""
        return self.cosine_scores(query, start, end)

    def resize_vectors(self, seed=0):
        """Bring the arrays to one row per key after keys were added to
        ``index_to_key`` directly (new rows get small random vectors), and
        forget cached norms (call it after changing vectors in place too).

        Parameters
        ----------
        seed : int
            Seed of the new rows.
        """
        missing = len(self.index_to_key) - len(self.vectors)
        if missing > 0:
            rng = np.random.default_rng(seed)
            fresh = (rng.random((missing, self.vector_size), dtype=np.float32) * 2 - 1)
            self.vectors = np.vstack([self.vectors, fresh / self.vector_size])
        elif missing < 0:
            self.vectors = self.vectors[:len(self.index_to_key)]
        self.allocate_vecattrs()
        self.norms = None

    def unit_normalize_all(self):
        """Scale every vector to unit length, in place (training cannot
        sensibly continue afterwards)."""
        self.make_writable()
        self.fill_norms(force=True)
        self.vectors /= self.norms[:, None]
        self.norms = np.ones(len(self.vectors), dtype=np.float32)

    def sort_by_descending_frequency(self):
        """Reorder the keys (and their vectors and attributes) by descending
        count, ties in their current order."""
        if not len(self):
            return
        order = np.lexsort((np.arange(len(self)), -np.asarray(self.counts, dtype=np.int64)))
        self.index_to_key = [self.index_to_key[i] for i in order]
        self.key_to_index = {key: i for i, key in enumerate(self.index_to_key)}
        self.allocate_vecattrs()
        for attr in self.expandos:
            self.expandos[attr] = self.expandos[attr][order]
        if len(self.vectors):
            self.vectors = self.vectors[order]
        self.norms = None

    get_mean_vector = queries.get_mean_vector
    vectors_for_all = queries.vectors_for_all

    # ------------------------------------------------------------ similarities
    def similarity(self, w1, w2):
        """Cosine similarity of two keys (exactly 1 for a key with itself)."""
        if isinstance(w1, str) and w1 == w2 and w1 in self.key_to_index:
            return 1.0
        return float(np.dot(self.get_vector(w1, norm=True), self.get_vector(w2, norm=True)))

    def distance(self, w1, w2):
        """Cosine distance (1 - similarity) of two keys."""
        return 1.0 - self.similarity(w1, w2)

    # queries (fastemb.vectors.queries)
    relative_cosine_similarity = queries.relative_cosine_similarity
    most_similar_to_given = queries.most_similar_to_given
    rank_by_centrality = queries.rank_by_centrality
    n_similarity = queries.n_similarity
    distances = queries.distances
    most_similar = queries.most_similar
    similar_by_key = queries.similar_by_key
    similar_by_vector = queries.similar_by_vector
    most_similar_batch = queries.most_similar_batch
    most_similar_cosmul = queries.most_similar_cosmul
    doesnt_match = queries.doesnt_match
    rank = queries.rank
    words_closer_than = queries.words_closer_than
    closer_than = queries.closer_than

    def wmdistance(self, document1, document2, norm=True):
        """Word Mover's Distance between two token lists (Kusner et al. 2015).

        See :func:`fastemb.vectors.wmd.wmdistance`.
        """
        return wmdistance(self, document1, document2, norm)

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine similarity of one vector with each row of ``vectors_all``."""
        vector_1 = np.asarray(vector_1, dtype=np.float64)
        vectors_all = np.asarray(vectors_all, dtype=np.float64)
        norm = np.linalg.norm(vector_1)
        norms = np.linalg.norm(vectors_all, axis=1)
        return vectors_all @ vector_1 / np.maximum(norm * norms, 1e-30)

    def _term_vector(self, key):
        """Unit vector of a query key, and its row (excluded from results) or
        None for a key that has a vector but no row."""
        index = self.get_index(key)
        return self.get_vector(index, norm=True), index

    similar_by_word = similar_by_key

    # -------------------------------------------------------------- evaluation
    def evaluate_word_pairs(self, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False):
        """Correlate model similarities with human judgements (WordSim-353 style).

        See :func:`fastemb.vectors.evaluation.evaluate_word_pairs`.
        """
        return evaluate_word_pairs(self, pairs, delimiter, encoding, restrict_vocab,
                                   case_insensitive, dummy4unknown)

    def evaluate_word_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True,
                                dummy4unknown=False, similarity_function="most_similar"):
        """Accuracy on ``a : b :: c : d`` questions (Google analogy format).

        See :func:`fastemb.vectors.evaluation.evaluate_word_analogies`.
        """
        return evaluate_word_analogies(self, analogies, restrict_vocab, case_insensitive,
                                       dummy4unknown, similarity_function)

    @staticmethod
    def log_evaluate_word_pairs(pearson, spearman, oov, pairs):
        """Log the result of :meth:`evaluate_word_pairs`."""
        logger.info("%s: Pearson %.4f, Spearman %.4f, %.1f%% pairs unknown", pairs,
                    pearson[0], spearman[0], oov)

    @staticmethod
    def log_accuracy(section):
        """Log one section of :meth:`evaluate_word_analogies`; return its
        accuracy (None for a section with no question answered)."""
        correct, incorrect = len(section["correct"]), len(section["incorrect"])
        if correct + incorrect == 0:
            return None
        score = correct / (correct + incorrect)
        logger.info("%s: %.1f%% (%d/%d)", section["section"], 100.0 * score, correct,
                    correct + incorrect)
        return score

    # ------------------------------------------------------------------ files
    # files (fastemb.vectors.persistence)
    save_word2vec_format = persistence.save_word2vec_format
    load_word2vec_format = classmethod(persistence.load_word2vec_format)
    intersect_word2vec_format = persistence.intersect_word2vec_format
    save = persistence.save
    load = classmethod(persistence.load)

    def expand_lockf(self):
        """Give ``vectors_lockf`` one entry per row (from its single default
        value) so rows can be locked one by one."""
        lockf = np.asarray(self.vectors_lockf, dtype=np.float32).ravel()
        if len(lockf) == len(self):
            return
        # one value applies to every key; a shorter array (keys added since)
        # leaves the new keys free to learn
        grown = np.full(len(self), lockf[0] if len(lockf) == 1 else 1.0, dtype=np.float32)
        if len(lockf) > 1:
            keep = min(len(lockf), len(self))
            grown[:keep] = lockf[:keep]
        self.vectors_lockf = grown

    def compress(self, method="pq", dsub=2, bits=8, keep_words=None, threads=None):
        """Compressed vectors that answer every query from their codes
        (:class:`~fastemb.vectors.compressed.CompressedKeyedVectors`).

        Parameters
        ----------
        method : {'pq', 'int8'}
            Product quantization (a byte every ``dsub`` columns) or one byte
            a value.
        dsub : int
            pq: columns a sub-vector (larger: smaller and coarser).
        bits : int
            Bits a code; 8 (256 centroids a sub-vector).
        keep_words : int or iterable of str, optional
            Keep only the first ``keep_words`` keys (the most frequent) or
            the keys listed.
        threads : int, optional
            Threads of the k-means (default: every core).

        Returns
        -------
        CompressedKeyedVectors
        """
        return registry.class_named("CompressedKeyedVectors").from_vectors(
            self, method, dsub, bits, keep_words, threads)

    def _arrays(self):
        """The arrays of its native file (:func:`~fastemb.vectors.persistence.
        native_arrays`)."""
        return persistence.native_arrays(self)

    # ------------------------------------------------------- gensim 3 names
    syn0 = renamed_attribute("vectors", "syn0")
    index2word = renamed_attribute("index_to_key", "index2word")
    index2entity = renamed_attribute("index_to_key", "index2entity")

    @property
    def vocab(self):
        """gensim 3's word -> ``(count, index)`` mapping (deprecated: use
        ``key_to_index`` and ``get_vecattr(word, "count")``)."""
        warn_renamed(".vocab", ".key_to_index / .get_vecattr(word, 'count')")
        return LegacyVocab(self)

    @property
    def syn0norm(self):
        """gensim 3's unit-length copy of the vectors (deprecated)."""
        warn_renamed(".syn0norm", ".get_normed_vectors()")
        return self.get_normed_vectors()

    vectors_norm = syn0norm

    def init_sims(self, replace=False):
        """gensim 3's preparation of unit vectors (deprecated): norms are
        computed as needed; ``replace=True`` scales the vectors in place."""
        warn_renamed(".init_sims()", ".fill_norms() (or .unit_normalize_all())")
        self.fill_norms(force=True)
        if replace:
            self.vectors /= self.norms[:, None]
            self.fill_norms(force=True)

    def _meta(self):
        """What a native file needs besides the arrays to rebuild these vectors."""
        return {}

    @classmethod
    def _from_native(cls, arrays, meta, mapped=False):
        """Vectors from a native file's arrays
        (:func:`~fastemb.vectors.persistence.from_native`)."""
        return persistence.from_native(cls, arrays, meta, mapped)

    def make_writable(self):
        """Copy the vectors into a writable C-ordered array if they are mapped
        read-only from a file (training writes them in place)."""
        if not self.vectors.flags.writeable or not self.vectors.flags.c_contiguous or \
                self.vectors.dtype != np.float32:
            self._vectors = np.array(self.vectors, dtype=np.float32, order="C")

def _load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8",
                          unicode_errors="strict", limit=None, datatype=np.float32,
                          no_header=False, binary_chunk_size=100 * 1024):
    """Module-level form of :meth:`KeyedVectors.load_word2vec_format` for
    class ``cls`` (gensim's helper of the same name): the file is read
    ``binary_chunk_size`` bytes at a time."""
    return cls.load_word2vec_format(fname, fvocab, binary, encoding, unicode_errors, limit,
                                    datatype, no_header, binary_chunk_size=binary_chunk_size)
