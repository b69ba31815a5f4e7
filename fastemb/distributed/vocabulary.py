"""The vocabulary of a partitioned corpus, counted on the workers and reduced
as a tree.

Each partition is scanned by the C scanner where it lies; the scan (its
words as provisional ids) stays in that worker's memory until it is encoded
over the final vocabulary. Only the counts travel: pairs of neighbouring
partitions are merged, then pairs of those, so the driver receives one
table. A merge keeps the words of the earlier
partition first, then the later one's new words in their order: the result
lists every word in order of first appearance in the whole corpus, with its
total count -- exactly what one scanner reading the files in order gives,
so :func:`fastemb.corpus.vocab.select_vocabulary` chooses the same words in the
same order (ties in count included).
"""
from dataclasses import dataclass

import numpy as np

from fastemb.corpus.encode import remap_ids, scan_files
from fastemb.distributed.partitions import open_partition

__all__ = ["WordCounts", "SentVocabulary", "scan_partition", "counts_of", "merge_counts",
           "reduce_counts", "encode_partition", "encode_scan", "read_encoded"]


@dataclass
class WordCounts:
    """Word counts of a stretch of the corpus.

    Attributes
    ----------
    words : list of str
        In order of first appearance.
    counts : ndarray of int64
    n_sentences, raw_words : int
    """

    words: list
    counts: np.ndarray
    n_sentences: int
    raw_words: int

    # what ``Word2Vec.prepare_vocab`` reads of a scan
    chunks = ()
    encoded = None


def scan_partition(partition, encoding_errors="strict"):
    """Read one partition with the C scanner (run on a worker).

    Returns
    -------
    fastemb.corpus.encode.EncodedCorpus
        Its words as provisional ids, kept on the worker for
        :func:`encode_partition`.
    """
    with open_partition(partition) as stream:
        return scan_files([stream], encoding_errors=encoding_errors)


def counts_of(scan):
    """The :class:`WordCounts` of a scanned partition."""
    return WordCounts(list(scan.words), np.asarray(scan.counts, np.int64), scan.n_sentences,
                      int(scan.raw_words))


def merge_counts(first, second):
    """Counts of two consecutive stretches: ``first``'s words, then the new
    words of ``second`` in their order.

    Returns
    -------
    WordCounts
    """
    index = dict(zip(first.words, range(len(first.words))))
    # a partition's words are distinct: its new ones keep their order
    new = [word for word in second.words if word not in index]
    index.update(zip(new, range(len(index), len(index) + len(new))))
    words = [*first.words, *new]
    position = np.fromiter(map(index.__getitem__, second.words), dtype=np.int64,
                           count=len(second.words))
    counts = np.zeros(len(words), dtype=np.int64)
    counts[:len(first.counts)] = first.counts
    np.add.at(counts, position, second.counts)
    return WordCounts(words, counts, first.n_sentences + second.n_sentences,
                      first.raw_words + second.raw_words)


def reduce_counts(client, count_futures):
    """Merge per-partition counts pairwise on the cluster, in corpus order.

    Parameters
    ----------
    client : dask.distributed.Client
    count_futures : list of Future
        :class:`WordCounts` of the partitions, in corpus order.

    Returns
    -------
    WordCounts
        Of the whole corpus, on the driver.
    """
    level = list(count_futures)
    while len(level) > 1:
        merged = [client.submit(merge_counts, a, b, pure=False)
                  for a, b in zip(level[0::2], level[1::2])]
        if len(level) % 2:
            merged.append(level[-1])
        level = merged
    return level[0].result()


def encode_partition(scan, key_to_index):
    """A scanned partition as ids of the final vocabulary (run on a worker).

    Words outside the vocabulary are dropped, as a single machine drops them.

    Returns
    -------
    tokens : ndarray of int32
    sentence_ends : ndarray of int64
    """
    mapping = np.fromiter((key_to_index.get(word, -1) for word in scan.words), dtype=np.int32,
                          count=len(scan.words))
    total = int(scan.counts[mapping >= 0].sum())
    tokens = np.empty(total, dtype=np.int32)
    ends = remap_ids(iter(scan.chunks), scan.sentence_ends, mapping, tokens)
    return tokens, ends


@dataclass
class SentVocabulary:
    """The final vocabulary as it is sent to the workers: inside an object,
    not as a bare dict, because Dask serialises a dict it scatters entry by
    entry (gcide8's 46,618 words took 4.9 s to reach two workers, longer
    than reading and encoding the corpus; wrapped, 0.03 s)."""

    key_to_index: dict


def encode_scan(scan, vocabulary):
    """A partition's counting scan encoded over the final vocabulary, a
    :class:`SentVocabulary` (run on the worker that holds the scan)."""
    return encode_partition(scan, vocabulary.key_to_index)


def read_encoded(partition, vocabulary, encoding_errors="strict"):
    """Read a partition again and encode it over the final vocabulary, a
    :class:`SentVocabulary` (run on a worker): when its scan is gone (a new
    vocabulary, or after a loss Dask could not repair)."""
    return encode_partition(scan_partition(partition, encoding_errors),
                            vocabulary.key_to_index)
