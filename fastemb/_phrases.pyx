# cython: language_level=3, boundscheck=False, wraparound=False
# cython: cdivision=True, initializedcheck=False
"""Phrase candidates of an encoded corpus, found without the GIL.

A candidate is gensim's: a word, any run of connector words ("of", "the",
…), and the next word that is not a connector, all in one sentence; the
second word then starts the next candidate. Each candidate is identified by
a 64-bit hash of its word ids, and its ids are written out so that the
distinct ones can be turned back into text. Counting the hashes (a sort)
is left to numpy.
"""
import numpy as np

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t

cnp.import_array()

cdef uint64_t FNV64_OFFSET = 14695981039346656037ULL
cdef uint64_t FNV64_PRIME = 1099511628211ULL


cdef inline uint64_t mix_id(uint64_t h, int32_t word) noexcept nogil:
    return (h ^ <uint64_t><uint32_t>word) * FNV64_PRIME


def sequence_hash(ids):
    """The hash :func:`phrase_candidates` gives the word-id sequence ``ids``.

    Parameters
    ----------
    ids : sequence of int

    Returns
    -------
    int
    """
    cdef uint64_t h = FNV64_OFFSET
    for word in ids:
        h = mix_id(h, <int32_t>word)
    return h


def phrase_candidates(const int32_t[::1] tokens, const int64_t[::1] sentence_ends,
                      const uint8_t[::1] is_connector):
    """Every phrase candidate of an encoded corpus.

    Parameters
    ----------
    tokens : ndarray of int32
        Word ids, sentences back to back.
    sentence_ends : ndarray of int64
        Exclusive end of each sentence in ``tokens``.
    is_connector : ndarray of uint8
        1 for the ids of connector words.

    Returns
    -------
    hashes : ndarray of uint64
        One per candidate, in corpus order.
    offsets : ndarray of int64, shape (len(hashes) + 1,)
    ids : ndarray of int32
        Candidate ``k``'s word ids are ``ids[offsets[k]:offsets[k + 1]]``.
    """
    cdef int64_t n = tokens.shape[0]
    cdef int64_t n_words = is_connector.shape[0]
    cdef int64_t k
    for k in range(n):
        if tokens[k] < 0 or tokens[k] >= n_words:
            raise ValueError(f"token id {tokens[k]} outside the {n_words} words")
    if sentence_ends.shape[0] and sentence_ends[sentence_ends.shape[0] - 1] > n:
        raise ValueError("sentence ends run past the tokens")
    # at most one candidate ends at each token, and consecutive candidates
    # share only their boundary word, so there are at most n candidates with
    # at most n + count <= 2n ids in all
    hashes = np.empty(n, dtype=np.uint64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    ids = np.empty(2 * n + 1, dtype=np.int32)
    cdef uint64_t[::1] h_out = hashes
    cdef int64_t[::1] off = offsets
    cdef int32_t[::1] id_out = ids
    cdef int64_t count = 0, written = 0, start = 0, s, pos, phrase_start, j
    cdef uint64_t h
    cdef int32_t word
    with nogil:
        for s in range(sentence_ends.shape[0]):
            phrase_start = -1  # position of the current start word, if any
            for pos in range(start, sentence_ends[s]):
                word = tokens[pos]
                if is_connector[word]:
                    continue
                if phrase_start >= 0:
                    h = FNV64_OFFSET
                    for j in range(phrase_start, pos + 1):
                        h = mix_id(h, tokens[j])
                    h_out[count] = h
                    for j in range(phrase_start, pos + 1):
                        id_out[written] = tokens[j]
                        written += 1
                    count += 1
                    off[count] = written
                phrase_start = pos
            start = sentence_ends[s]
    return hashes[:count], offsets[:count + 1], ids[:written]
