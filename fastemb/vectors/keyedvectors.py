"""``KeyedVectors``: a vocabulary of keys with one float32 vector each, and
similarity queries over them (gensim's API and return shapes)."""
import logging
import warnings

import numpy as np

from fastemb import registry
from fastemb.errors import EmptyQueryError, FormatError, UnknownKeyError
from fastemb.io import native
from fastemb.io.gensim_pickle import is_pickle
from fastemb.io.vector_files import read_word2vec, write_word2vec
from fastemb.legacy import LegacyVocab, renamed_attribute, warn_renamed
from fastemb.lifecycle import LifecycleEvents
from fastemb.vectors.evaluation import evaluate_word_analogies, evaluate_word_pairs
from fastemb.vectors.search import exact_top_k
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


def _unit_rows(matrix):
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32, copy=False)


def _as_list(items):
    """Query terms as a list: one key or vector alone becomes a list of one;
    a matrix is a list of its rows (gensim's reading of both)."""
    if items is None:
        return []
    if isinstance(items, np.ndarray) and items.ndim == 2:
        return list(items)
    if isinstance(items, (str, np.ndarray)) or np.isscalar(items):
        return [items]
    return list(items)


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
        "vectors", lambda kv, shape: [(len(kv.index_to_key), kv.vector_size)],
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
    def from_arrays(cls, keys, vectors, counts=None):
        """Build from a list of keys and a matching matrix.

        Parameters
        ----------
        keys : list of str
        vectors : ndarray of shape (len(keys), dim)
            Kept as it is if it is a float32 (or other float) array, so a
            ``np.memmap`` stays mapped.
        counts : ndarray of int64, optional
            Corpus frequency of each key.

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
        kv.key_to_index = {key: i for i, key in enumerate(kv.index_to_key)}
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
        return self.vectors[index]

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
            # einsum avoids a squared copy of the whole matrix
            norms = np.sqrt(np.einsum("ij,ij->i", self.vectors, self.vectors)).astype(np.float32)
            norms[norms == 0] = 1.0
            self.norms = norms

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

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False,
                        ignore_missing=True):
        """Weighted mean of the vectors of ``keys``.

        Parameters
        ----------
        keys : list of (key or ndarray)
            Keys, row numbers or vectors (vectors are used as they are).
        weights : list or ndarray of float, optional
            One per key; the mean divides by the sum of their absolute values.
        pre_normalize : bool
            Average the keys' unit vectors instead of their raw vectors.
        post_normalize : bool
            Scale the mean to unit length.
        ignore_missing : bool
            Skip unknown keys instead of raising.

        Returns
        -------
        ndarray of shape (vector_size,)

        Raises
        ------
        ValueError
            No keys, or weights of another length.
        KeyError
            Unknown key with ``ignore_missing=False``.
        """
        if len(keys) == 0:
            raise ValueError("cannot compute a mean vector of no keys")
        weights = (np.ones(len(keys), dtype=np.float32) if weights is None
                   else np.asarray(weights, dtype=np.float32))
        if weights.shape != (len(keys),):
            raise ValueError(f"{len(keys)} keys but {weights.shape[0]} weights")
        mean = np.zeros(self.vector_size, dtype=np.float32)
        total = 0.0
        for key, weight in zip(keys, weights):
            if isinstance(key, np.ndarray):
                vector = key
            elif key in self:
                vector = self.get_vector(key, norm=pre_normalize)
            elif not ignore_missing:
                self.get_index(key)  # raises with suggestions
            else:
                continue
            mean += weight * vector
            total += abs(weight)
        if total > 0:
            mean /= total
        if post_normalize:
            mean = _unit_rows(mean)
        return mean

    def vectors_for_all(self, keys, allow_inference=True, copy_vecattrs=False):
        """New ``KeyedVectors`` holding the vectors of ``keys`` (deduplicated,
        in the given order; unknown keys are left out).

        Parameters
        ----------
        keys : iterable of keys
        allow_inference : bool
            Subword models: include unseen words, answered from their
            n-grams. Plain vectors have nothing to infer.
        copy_vecattrs : bool
            Copy the keys' attributes; otherwise counts are made up in
            descending order, as for a file without counts.

        Returns
        -------
        KeyedVectors
        """
        chosen, seen = [], set()
        known = self if allow_inference else self.key_to_index
        for key in keys:
            if key not in seen:
                seen.add(key)
                if key in known:
                    chosen.append(key)
        vectors = (np.vstack([self[key] for key in chosen]) if chosen
                   else np.zeros((0, self.vector_size), dtype=self.vectors.dtype))
        result = KeyedVectors.from_arrays(chosen, vectors,
                                          np.arange(len(chosen), 0, -1, dtype=np.int64))
        if copy_vecattrs:
            # keys answered by inference (subword models) have no attributes to copy
            present = [i for i, key in enumerate(chosen) if key in self.key_to_index]
            rows = [self.key_to_index[chosen[i]] for i in present]
            for attr, values in self.expandos.items():
                column = result.expandos.get(attr)
                column = (np.zeros(len(chosen), dtype=values.dtype) if column is None
                          else column.astype(values.dtype))
                column[present] = values[rows]
                result.expandos[attr] = column
        return result

    # ------------------------------------------------------------ similarities
    def similarity(self, w1, w2):
        """Cosine similarity of two keys (exactly 1 for a key with itself)."""
        if isinstance(w1, str) and w1 == w2 and w1 in self.key_to_index:
            return 1.0
        return float(np.dot(self.get_vector(w1, norm=True), self.get_vector(w2, norm=True)))

    def distance(self, w1, w2):
        """Cosine distance (1 - similarity) of two keys."""
        return 1.0 - self.similarity(w1, w2)

    def relative_cosine_similarity(self, wa, wb, topn=10):
        """Similarity of ``wa`` and ``wb`` over the summed similarities of
        ``wa``'s ``topn`` nearest keys (Leeuwenberg et al. 2016; above
        ``1/topn`` suggests synonyms).

        Raises
        ------
        ValueError
            ``wa`` has no neighbours.
        """
        neighbours = self.similar_by_key(wa, topn)
        if not neighbours:
            raise ValueError(f"{wa!r} has no neighbours to compare with")
        return self.similarity(wa, wb) / sum(score for _, score in neighbours)

    def most_similar_to_given(self, key1, keys_list):
        """The key of ``keys_list`` most similar to ``key1``."""
        return keys_list[int(np.argmax([self.similarity(key1, key) for key in keys_list]))]

    def rank_by_centrality(self, words, use_norm=True):
        """Known ``words`` ordered by similarity to their centroid.

        Returns
        -------
        list of (float, str)
            Most central first.

        Raises
        ------
        ValueError
            No known word.
        """
        known = [w for w in words if w in self]
        if len(known) != len(words):
            logger.warning("rank_by_centrality ignores unknown words: %s",
                           sorted(set(words) - set(known), key=str))
        if not known:
            raise ValueError("rank_by_centrality: none of the given words is known")
        vectors = np.vstack([self.get_vector(w, norm=use_norm) for w in known])
        centre = _unit_rows(vectors.mean(axis=0))
        return sorted(zip((vectors @ centre).tolist(), known), reverse=True)

    def wmdistance(self, document1, document2, norm=True):
        """Word Mover's Distance between two token lists (Kusner et al. 2015).

        See :func:`fastemb.vectors.wmd.wmdistance`.
        """
        return wmdistance(self, document1, document2, norm)

    def n_similarity(self, ws1, ws2):
        """Cosine similarity of the means of two lists of keys.

        Raises
        ------
        ValueError
            If a list is empty.
        """
        if not len(ws1) or not len(ws2):
            raise EmptyQueryError("n_similarity needs two non-empty lists of keys")
        mean1 = self[list(ws1)].mean(axis=0)
        mean2 = self[list(ws2)].mean(axis=0)
        return float(np.dot(_unit_rows(mean1), _unit_rows(mean2)))

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine similarity of one vector with each row of ``vectors_all``."""
        vector_1 = np.asarray(vector_1, dtype=np.float64)
        vectors_all = np.asarray(vectors_all, dtype=np.float64)
        norm = np.linalg.norm(vector_1)
        norms = np.linalg.norm(vectors_all, axis=1)
        return vectors_all @ vector_1 / np.maximum(norm * norms, 1e-30)

    def distances(self, word_or_vector, other_words=()):
        """Cosine distances from a key or vector to ``other_words`` (default: all)."""
        vector = (self.get_vector(word_or_vector) if isinstance(word_or_vector, str)
                  else np.asarray(word_or_vector))
        others = self[list(other_words)] if len(other_words) else self.vectors
        return 1.0 - self.cosine_similarities(vector, others)

    def _term_vector(self, key):
        """Unit vector of a query key, and its row (excluded from results) or
        None for a key that has a vector but no row."""
        index = self.get_index(key)
        return self.get_vector(index, norm=True), index

    def _weighted_query(self, positive, negative):
        """Unit mean of the (weighted) unit vectors of the query terms, and the
        rows of keys among them, which are excluded from results."""
        terms = [(item, 1.0) for item in _as_list(positive)]
        terms += [(item, -1.0) for item in _as_list(negative)]
        if not terms:
            raise ValueError("cannot compute similarity with no input: give positive or negative")
        parts, exclude = [], set()
        for item, weight in terms:
            if isinstance(item, tuple) and len(item) == 2 and not isinstance(item[0], np.ndarray):
                item, weight = item[0], weight * item[1]
            if isinstance(item, np.ndarray):
                if item.shape != (self.vector_size,):
                    raise ValueError(f"query vector has shape {item.shape}, "
                                     f"expected ({self.vector_size},)")
                parts.append(weight * item.astype(np.float32))
            else:
                vector, index = self._term_vector(item)
                if index is not None:
                    exclude.add(index)
                parts.append(weight * vector)
        return _unit_rows(np.mean(parts, axis=0)), exclude

    def _top(self, scores, topn, exclude, offset=0):
        count = min(topn + len(exclude), len(scores))
        if count <= 0:
            return []
        best = np.argpartition(-scores, count - 1)[:count]
        best = best[np.argsort(-scores[best], kind="stable")]
        result = [(self.index_to_key[i + offset], float(scores[i])) for i in best
                  if i + offset not in exclude]
        return result[:topn]

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None, indexer=None):
        """Keys most similar to the mean of ``positive`` minus ``negative``.

        Parameters
        ----------
        positive, negative : key, vector, (key, weight), or a list of them
        topn : int or None
            Number of results; None returns the similarity to every key.
        clip_start, clip_end : int
            Search rows ``[clip_start, clip_end)`` only.
        restrict_vocab : int, optional
            Search the first (most frequent) ``restrict_vocab`` keys only.
        indexer : object, optional
            Approximate-neighbour index with ``most_similar(vector, topn)``.

        Returns
        -------
        list of (str, float), or ndarray when ``topn`` is None
        """
        if isinstance(topn, int) and topn < 1:
            return []
        query, exclude = self._weighted_query(positive, negative)
        if indexer is not None and isinstance(topn, int):
            return indexer.most_similar(query, topn)
        clip_end = clip_end if clip_end is not None else len(self)
        if restrict_vocab is not None:
            clip_end = min(clip_end, restrict_vocab)
        scores = self.cosine_scores(query, clip_start, clip_end)
        if topn is None:
            return scores
        return self._top(scores, topn, exclude, clip_start)

    def similar_by_key(self, key, topn=10, restrict_vocab=None):
        """Keys most similar to ``key``."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_word = similar_by_key

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        """Keys most similar to ``vector``."""
        return self.most_similar(positive=[np.asarray(vector)], topn=topn,
                                 restrict_vocab=restrict_vocab)

    def most_similar_batch(self, queries, topn=10, restrict_vocab=None, indexer=None,
                           workers=None):
        """:meth:`most_similar` of many queries at once, as blocks of matrix
        products: one answer list a query, far faster than a loop.

        Parameters
        ----------
        queries : sequence of keys, or ndarray of shape (n, vector_size)
            A key is excluded from its own answer, as in :meth:`most_similar`.
        topn : int
        restrict_vocab : int, optional
            Search the first (most frequent) ``restrict_vocab`` keys only.
        indexer : object, optional
            An approximate index with ``most_similar_batch(vectors, topn)``
            (such as :class:`fastemb.vectors.ann.HnswIndex`).
        workers : int, optional
            Threads of exact search's selection step (default: every core;
            the matrix products use BLAS's own threads).

        Returns
        -------
        list of list of (str, float)

        Raises
        ------
        UnknownKeyError
            A query key has no vector (FastText: not even from its n-grams).
        """
        if isinstance(queries, np.ndarray):
            vectors = np.atleast_2d(queries).astype(np.float32)
            if vectors.shape[1] != self.vector_size:
                raise ValueError(f"query vectors have {vectors.shape[1]} dimensions, expected "
                                 f"{self.vector_size}")
            rows = [None] * len(vectors)
        else:
            # through _term_vector, so FastText answers for unseen words too
            terms = [self._term_vector(key) for key in queries]
            rows = [row for _, row in terms]
            vectors = np.vstack([vector for vector, _ in terms]) if terms else \
                np.zeros((0, self.vector_size), dtype=np.float32)
        vectors = _unit_rows(vectors)
        if indexer is not None:
            return indexer.most_similar_batch(vectors, topn, exclude=rows)
        end = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
        self.fill_norms()
        inverse_norms = (1.0 / np.maximum(self.norms[:end], 1e-30)).astype(np.float32)
        skip = np.array([-1 if row is None else row for row in rows], dtype=np.int64)
        keys = np.ascontiguousarray(self.vectors[:end], dtype=np.float32)
        best, values = exact_top_k(vectors, keys, inverse_norms, max(min(topn, end), 1), skip,
                                   workers=workers)
        return [[(self.index_to_key[i], float(v)) for i, v in zip(ids, vals) if i >= 0][:topn]
                for ids, vals in zip(best, values)]

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Analogy search with the multiplicative objective of Levy & Goldberg
        (2014): maximise the product of shifted cosines to ``positive`` over
        the product to ``negative``.

        Returns
        -------
        list of (str, float), or ndarray when ``topn`` is None
        """
        positive, negative = _as_list(positive), _as_list(negative)
        if not positive and not negative:
            raise ValueError("cannot compute similarity with no input: give positive or negative")
        exclude = set()

        def shifted(term):
            if isinstance(term, np.ndarray):
                vector = _unit_rows(term.astype(np.float32))
            else:
                vector, index = self._term_vector(term)
                if index is not None:
                    exclude.add(index)
            return (1.0 + self.cosine_scores(vector, 0, restrict_vocab)) / 2.0

        numerator = np.prod([shifted(t) for t in positive], axis=0) if positive else 1.0
        denominator = np.prod([shifted(t) for t in negative], axis=0) if negative else 1.0
        scores = numerator / (denominator + 1e-6)
        if topn is None:
            return scores
        return self._top(scores, topn, exclude)

    def doesnt_match(self, words):
        """The key furthest from the mean of ``words`` (keys without a vector
        ignored; FastText builds one for unseen words from their n-grams).

        Raises
        ------
        ValueError
            If no key of ``words`` has a vector.
        """
        known = [w for w in words if w in self]
        if len(known) != len(words):
            logger.warning("doesnt_match ignores unknown keys: %s",
                           [w for w in words if w not in self])
        if not known:
            raise ValueError("doesnt_match: none of the given keys is in the vocabulary")
        vectors = np.vstack([self.get_vector(w, norm=True) for w in known])
        mean = _unit_rows(vectors.mean(axis=0))
        return known[int(np.argmin(vectors @ mean))]

    def rank(self, key1, key2):
        """Rank of ``key2`` among the neighbours of ``key1`` (1 is nearest)."""
        return len(self.closer_than(key1, key2)) + 1

    def words_closer_than(self, word1, word2):
        """gensim 3's name of :meth:`closer_than` (deprecated)."""
        warn_renamed(".words_closer_than()", ".closer_than()")
        return self.closer_than(word1, word2)

    def closer_than(self, key1, key2):
        """Keys of the vocabulary closer to ``key1`` than ``key2`` is (either
        may be a FastText word unseen in training)."""
        vector, row = self._term_vector(key1)
        scores = self.cosine_scores(vector)
        # a key of the vocabulary is scored in the same product, so it is not
        # closer than itself by rounding
        threshold = scores[self.key_to_index[key2]] if key2 in self.key_to_index else \
            self.similarity(key1, key2)
        closer = np.flatnonzero(scores > threshold)
        return [self.index_to_key[i] for i in closer if i != row]

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
    def save_word2vec_format(self, fname, fvocab=None, binary=False, total_vec=None,
                             write_header=True, prefix="", append=False, sort_attr="count"):
        """Write the vectors in word2vec text or binary format (or GloVe's, with
        ``write_header=False``), readable by gensim and the C tools.

        Parameters
        ----------
        fname : str
            Replaced atomically unless ``append``.
        fvocab : str, optional
            Also write ``word count`` lines to this file.
        binary : bool
        total_vec : int, optional
            Count in the header (default: the number of keys written), for a
            file more vectors will be appended to.
        write_header : bool
        prefix : str
            Written before every key (e.g. to tell documents from words).
        append : bool
            Add to an existing file instead of replacing it.
        sort_attr : str
            Write keys by descending value of this attribute (ties keep their
            order); keys are written in row order if the attribute is missing.
        """
        if sort_attr in self.expandos:
            values = np.asarray(self.expandos[sort_attr])
            order = np.argsort(-values, kind="stable") if len(values) == len(self) \
                else np.arange(len(self))
        else:
            if fvocab is not None:
                raise ValueError(f"cannot write a vocabulary of {sort_attr!r}: "
                                 "no such attribute")
            order = np.arange(len(self))
        # leading integer keys 0..k (documents tagged by number) stay first, in order
        leading = 0
        while leading < len(self) and self.index_to_key[leading] == leading:
            leading += 1
        if leading:
            order = np.concatenate([np.arange(leading), order[order >= leading]])
        keys = [f"{prefix}{self.index_to_key[i]}" for i in order]
        write_word2vec(fname, keys, self.vectors[order], binary, write_header, total_vec, append)
        if fvocab is not None:
            counts = self.expandos[sort_attr][order]
            text = "".join(f"{key} {int(count)}\n" for key, count in zip(keys, counts))
            if append:
                with open(fvocab, "ab") as out:
                    out.write(text.encode("utf-8"))
            else:
                with native.atomic_writer(fvocab) as out:
                    out.write(text.encode("utf-8"))

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8",
                             unicode_errors="strict", limit=None, datatype=np.float32,
                             no_header=False):
        """Read word2vec text/binary or GloVe text (``no_header=True``) vectors.

        Parameters
        ----------
        fname : str
        fvocab : str, optional
            ``word count`` lines (the C tool's ``-save-vocab``) giving counts.
        binary : bool
        encoding : str
            Only UTF-8 is supported.
        unicode_errors : str
            How to decode keys that are not valid UTF-8 (``'strict'`` raises,
            ``'replace'``/``'ignore'`` as for ``bytes.decode``).
        limit : int, optional
            Read only the first ``limit`` vectors.
        datatype : numpy float dtype
            Kept for the vectors (e.g. ``np.float16`` halves the memory).
        no_header : bool
            The file has no ``count dim`` line (GloVe).

        Returns
        -------
        KeyedVectors

        Raises
        ------
        FormatError
            Corrupt file; a ``TruncatedFileError`` (also an ``EOFError``)
            when it ends early, a ``FileEncodingError`` (also a
            ``UnicodeDecodeError``) for undecodable keys.
        """
        if encoding.replace("-", "").lower() != "utf8":
            raise ValueError("only UTF-8 vector files are supported")
        keys, vectors = read_word2vec(fname, binary, no_header, limit, unicode_errors, datatype)
        counts = None
        if fvocab is not None:
            table = {}
            with open(fvocab, encoding="utf-8", errors=unicode_errors) as handle:
                for line in handle:
                    word, _, count = line.rstrip("\n").rpartition(" ")
                    table[word] = int(count)
            counts = np.array([table.get(k, 0) for k in keys], dtype=np.int64)
        kv = cls.from_arrays(keys, vectors, counts)
        if counts is None:
            # the files are sorted by frequency: keep that order as a proxy
            kv.counts = np.arange(len(keys), 0, -1, dtype=np.int64)
        return kv

    def intersect_word2vec_format(self, fname, lockf=0.0, binary=False, encoding="utf8",
                                  unicode_errors="strict"):
        """Take the vectors of a word2vec file for the keys already present
        (no key is added), and set their lock factor: 0 (the default) freezes
        them in later training, 1 trains them as usual.

        Parameters
        ----------
        fname : str
        lockf : float
        binary, encoding, unicode_errors
            As for :meth:`load_word2vec_format`.

        Returns
        -------
        int
            Number of keys whose vectors were taken.

        Raises
        ------
        ValueError
            The file's vectors have another dimension.
        """
        other = KeyedVectors.load_word2vec_format(fname, binary=binary, encoding=encoding,
                                                  unicode_errors=unicode_errors)
        if other.vector_size != self.vector_size:
            raise ValueError(f"{fname} holds vectors of dimension {other.vector_size}, "
                             f"these have {self.vector_size}")
        pairs = [(self.key_to_index[k], i) for i, k in enumerate(other.index_to_key)
                 if k in self.key_to_index]
        if pairs:
            mine, theirs = (np.array(side, dtype=np.int64) for side in zip(*pairs))
            self.make_writable()
            self.vectors[mine] = other.vectors[theirs]
            self.expand_lockf()
            self.vectors_lockf[mine] = lockf
        self.norms = None
        self.add_lifecycle_event("intersect_word2vec_format",
                                 msg=f"merged {len(pairs)} vectors into {self.vectors.shape} "
                                     f"matrix from {fname}")
        return len(pairs)

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

    def _arrays(self):
        """The arrays of a native file: vectors, keys, counts, the other
        numeric per-key attributes and per-row lock factors."""
        blob, ends = native.encode_strings(self.index_to_key)
        arrays = {"vectors": np.asarray(self.vectors, dtype=np.float32), "keys_blob": blob,
                  "keys_ends": ends, "counts": self.counts}
        for attr, values in self.expandos.items():
            if attr == "count":
                continue
            if values.dtype == object:
                logger.warning("attribute %r holds Python objects and is not saved", attr)
                continue
            arrays[f"vecattr:{attr}"] = values
        if np.asarray(self.vectors_lockf).size > 1:
            arrays["vectors_lockf"] = np.asarray(self.vectors_lockf, dtype=np.float32)
        return arrays

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
    def _from_native(cls, arrays, meta):
        keys = native.decode_strings(arrays["keys_blob"], arrays["keys_ends"])
        kv = cls.from_arrays(keys, arrays["vectors"], arrays["counts"])
        for name, values in arrays.items():
            if name.startswith("vecattr:"):
                if len(values) != len(keys):
                    raise FormatError(f"attribute {name[8:]!r} has {len(values)} entries "
                                      f"for {len(keys)} keys")
                kv.expandos[name[8:]] = values
        if "vectors_lockf" in arrays:
            kv.vectors_lockf = arrays["vectors_lockf"]
        return kv

    def make_writable(self):
        """Copy the vectors into a writable C-ordered array if they are mapped
        read-only from a file (training writes them in place)."""
        if not self.vectors.flags.writeable or not self.vectors.flags.c_contiguous or \
                self.vectors.dtype != np.float32:
            self._vectors = np.array(self.vectors, dtype=np.float32, order="C")

    def save(self, fname, *args, **kwargs):
        """Save in fastemb's native format (atomic, no pickle).

        Parameters
        ----------
        fname : str or os.PathLike
        *args, **kwargs
            gensim's pickling options (``separately``, ``sep_limit``,
            ``ignore``, ``pickle_protocol``): accepted and ignored, as the
            native file is one file whose arrays can always be mapped.
        """
        native.save_arrays(fname, self._arrays(), {"kind": type(self).__name__,
                                                   "vectors": self._meta()})

    @classmethod
    def load(cls, fname, mmap=None):
        """Load vectors saved by :meth:`save` (or the ``wv`` of a saved model).

        Parameters
        ----------
        fname : str or os.PathLike
        mmap : {None, 'r', 'c'}
            Map the vectors from the file instead of reading them.

        Returns
        -------
        KeyedVectors

        Notes
        -----
        A ``KeyedVectors`` file saved by gensim (a pickle) is read too,
        through :func:`fastemb.load_gensim`, which never runs code from it.
        """
        if is_pickle(fname):
            loaded = registry.reader_named("gensim")(fname, mmap=mmap)
            return loaded if isinstance(loaded, KeyedVectors) else loaded.wv
        arrays, meta = native.load_arrays(fname, mmap=mmap)
        if "vectors" not in arrays or "keys_blob" not in arrays:
            raise FormatError(f"{fname} holds a {meta.get('kind', 'unknown')} file "
                              "without word vectors")
        vectors_class = cls
        if "input_matrix" in arrays:
            # subword vectors (a FastText model or its wv): keep unseen-word lookups
            vectors_class = registry.class_named("FastTextKeyedVectors")
        try:
            return vectors_class._from_native(arrays, meta)
        except FormatError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise FormatError(f"{fname} is missing vectors data or holds it damaged "
                              f"({type(exc).__name__}: {exc})") from None


def _load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8",
                          unicode_errors="strict", limit=None, datatype=np.float32,
                          no_header=False, binary_chunk_size=100 * 1024):
    """Module-level form of :meth:`KeyedVectors.load_word2vec_format` for
    class ``cls`` (gensim's helper of the same name). ``binary_chunk_size``
    is accepted and ignored: the file is read in one piece."""
    return cls.load_word2vec_format(fname, fvocab, binary, encoding, unicode_errors, limit,
                                    datatype, no_header)
