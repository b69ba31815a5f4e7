"""What every distributed trainer shares: the checks of its parameters, the
corpus cut into partitions and dealt to replicas, each replica's home worker
and the vocabulary counted where the partitions lie."""
import numpy as np

from fastemb.distributed.cluster import (
    cluster_workers,
    log_dashboard,
    rebuildable,
    require_dask,
    scatter_one,
)
from fastemb.distributed.partitions import assign_partitions, plan_partitions
from fastemb.distributed.vocabulary import (
    SentVocabulary,
    counts_of,
    encode_scan,
    read_encoded,
    reduce_counts,
    scan_partition,
)
from fastemb.models.base import check

__all__ = ["PartitionedTraining"]


class PartitionedTraining:
    """A model to train on a Dask cluster from a partitioned corpus.

    Parameters
    ----------
    client : dask.distributed.Client
    model : fastemb model
        Untrained, holding the parameters.
    corpus_files : str, os.PathLike or sequence of them
        Files, directories or fsspec URLs every worker can read.
    partition_bytes : int
        Plain files larger than this are read as several byte ranges.
    replicas : int, optional
        Model copies (or row ranges) trained side by side; default one a
        worker.

    Raises
    ------
    ValueError
        A parameter distributed training cannot honour.
    """

    def __init__(self, client, model, corpus_files, partition_bytes, replicas):
        require_dask()
        check(replicas is None or (isinstance(replicas, (int, np.integer)) and replicas >= 1),
               f"replicas must be a positive integer or None, got {replicas!r}")
        check(model.max_vocab_size is None,
               "max_vocab_size prunes words while one reader goes through the corpus, which "
               "depends on the reading order: use max_final_vocab for distributed training")
        check(model.encoded_cache is None,
               "encoded_cache is for one machine: each Dask worker keeps its own partitions")
        self.client = client
        self.model = model
        self.partitions = plan_partitions(corpus_files, partition_bytes)
        self.workers = cluster_workers(client)
        self.n_replicas = int(replicas or len(self.workers))
        self.assignment = assign_partitions(self.partitions, self.n_replicas)
        self._scans = None  # the counting scans, until the partitions are encoded
        log_dashboard(client)

    def _home(self, replica):
        """The worker a replica's tasks prefer (any other may take them over)."""
        return self.workers[replica % len(self.workers)][0]

    def _partition_homes(self):
        """The worker each partition is read on: its replica's."""
        homes = [None] * len(self.partitions)
        for replica, indices in enumerate(self.assignment):
            for index in indices:
                homes[index] = self._home(replica)
        return homes

    def _count_words(self):
        """Scan every partition on its worker and reduce the counts.

        Returns
        -------
        fastemb.distributed.vocabulary.WordCounts
            Of the whole corpus, in first-appearance order.
        """
        client = self.client
        self._scans = [client.submit(scan_partition, partition, workers=[home],
                                     allow_other_workers=True, pure=False)
                       for partition, home in zip(self.partitions, self._partition_homes())]
        return reduce_counts(client, [client.submit(counts_of, scan, pure=False)
                                      for scan in self._scans])

    def _encode_partitions(self):
        """Send the model's vocabulary to every worker and encode each
        partition over it on its home worker: from its counting scan the
        first time (the scans are then let go), by reading it again after
        that.

        Returns
        -------
        list of Future
            ``(tokens, sentence_ends)`` of each partition, in partition order;
            Dask can rebuild any of them from the partition's name (a lost
            scan is scanned again).
        """
        client = self.client
        vocabulary = scatter_one(client, SentVocabulary(self.model.wv.key_to_index),
                                 broadcast=True)
        homes = self._partition_homes()
        if self._scans is not None and rebuildable(self._scans):
            sources, encode = self._scans, encode_scan
        else:
            sources, encode = self.partitions, read_encoded
        self._scans = None
        return [client.submit(encode, source, vocabulary, workers=[home],
                              allow_other_workers=True, pure=False)
                for source, home in zip(sources, homes)]

    def _epochs(self, epochs):
        """``epochs``, or the model's own when None, checked."""
        epochs = self.model.epochs if epochs is None else epochs
        check(isinstance(epochs, (int, np.integer)) and epochs >= 1,
               f"epochs must be an integer >= 1, got {epochs!r}")
        return int(epochs)

    def _notify(self, callbacks, hook):
        """Call ``hook`` (``"on_epoch_end"``, …) of every callback with the model."""
        for callback in callbacks:
            getattr(callback, hook)(self.model)
