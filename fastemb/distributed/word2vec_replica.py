"""The worker side of distributed Word2Vec and FastText: a replica's weights,
and the tasks that train a round and hand the driver the weights.

A replica is trained by one worker (:func:`train_round`), or by the workers
of one machine together on weights in shared memory: the replica's first
worker starts its rounds (:func:`begin_shared_round`: the driver's weights,
or the others' changes merged) and ends them (:func:`end_shared_round`: the
round's change), and every worker trains its own partitions in between
(:func:`train_member`). With a single replica there is nothing to merge,
and the workers train round after round without waiting for each other.

A replica trains its weights in place from round to round and sees its own
changes at once, unrounded. Before its round ``k`` it merges the other
replicas' changes of round ``k - lag``:

``lag=1`` (lock-step, the default)
    the round just ended: every round starts when every replica has ended
    the one before, from weights that hold every change so far.
``lag=2`` (overlapping rounds, ``overlap=True``)
    the round before: a replica never waits for the round the others have
    just ended, their changes travel while it trains, and a replica slower
    in one round catches up in the next instead of holding everyone at a
    barrier; each sees the others' changes one round later.

With ``S(k)`` the start weights plus every replica's change of the rounds
before ``k``, replica ``r`` starts round ``k`` from ``S(k - lag + 1)`` plus
its own changes of the rounds after: what the driver keeps of round ``k``
(the weights training resumes from, or ends with) is replica 0's start of
round ``k`` plus the other replicas' changes of rounds ``k - lag + 1`` to
``k - 1``.
"""
import numpy as np

from fastemb import registry
from fastemb.distributed.cluster import worker_threads
from fastemb.distributed.rounds import ReplicaState, StaleReplica, new_run_id
from fastemb.distributed.shared_weights import SharedWeights
from fastemb.distributed.sync import half_delta, merge_others

__all__ = ["model_class", "run_spec", "weight_arrays", "set_weight_arrays", "ReplicaWeights",
           "build_model", "replica_state", "stretch", "train_round", "begin_shared_round",
           "train_member", "end_shared_round", "train_stretch", "synchronised_weights",
           "token_count"]


def model_class(kind):
    """The local model class a distributed training of ``kind`` builds."""
    if kind not in ("Word2Vec", "FastText"):
        raise ValueError(f"distributed training builds Word2Vec or FastText, not {kind!r}")
    return registry.class_named(kind)


def run_spec(model, sync_rule, members, run=None):
    """What a worker needs to build replicas of ``model`` for one run: its
    kind, parameters and vocabulary, the merge rule, the run's id, which
    workers' shares train each replica (``members``, a list of lists: more
    than one, on one machine, share its weights) and the weights' shapes."""
    return {"kind": type(model).__name__, "run": run or new_run_id(), "sync_rule": sync_rule,
            "params": {name: getattr(model, name) for name in model.PARAMS},
            "keys": list(model.wv.index_to_key), "counts": np.asarray(model.wv.counts),
            "members": [list(shares) for shares in members],
            "shapes": {name: array.shape for name, array in weight_arrays(model).items()}}


def weight_arrays(model):
    """The arrays training changes, by name: the input rows (words, and
    FastText's n-gram buckets) and the output layers in use."""
    arrays = {"input": model._kernel_inputs({})[0]}
    if model.negative:
        arrays["syn1neg"] = model.syn1neg
    if model.hs:
        arrays["syn1"] = model.syn1
    return arrays


def set_weight_arrays(model, arrays):
    """Make ``arrays`` (as :func:`weight_arrays` names them) the model's
    weights, without copying."""
    for name, array in arrays.items():
        if name != "input":
            setattr(model, name, array)
        elif hasattr(type(model.wv), "input_matrix"):  # FastText: words' and n-grams' rows
            model.wv.input_matrix = array
        else:
            model.wv.vectors = array


class ReplicaWeights(ReplicaState):
    """One replica's weights on a worker, trained in place from round to
    round.

    ``arrays`` are the weights by name; ``start`` is their copy at the start
    of the round being trained (a round's change is the difference), kept
    only when other replicas take the changes (``exchange``). ``version`` is the round
    the replica trains next, and ``merged`` whether the others' changes
    that round starts with are in ``arrays`` yet.
    """

    def __init__(self, spec, replica, arrays):
        super().__init__(spec, replica)
        self.rule, self.replica, self.run = spec["sync_rule"], replica, spec["run"]
        self.arrays = arrays
        self.exchange = len(spec["members"]) > 1
        self.start = None
        self.merged = False
        self.training = False

    def take(self, weights):
        for name, array in weights.items():
            np.copyto(self.arrays[name], array)
        self.merged = True  # the driver's weights are a round's whole start

    def merge(self, results):
        """Take the other replicas' changes among ``results`` (every
        replica's of one round; none when the driver's weights hold them)."""
        if results:
            merge_others(self.arrays, results, self.replica, self.rule)
        self.merged = True

    def begin(self, version, previous, keep):
        """Start round ``version`` (called with the lock held): merge
        ``previous`` (every replica's results of round ``version - lag``)
        unless already merged, keep the start for the driver if ``keep``,
        and copy it to measure the round's change.

        Raises
        ------
        StaleReplica
            The replica is past that round (the worker replaced a lost one,
            or the round was sent twice).
        """
        if self.version != version or self.training:
            raise StaleReplica(f"this worker holds round {self.version} of the replica, "
                               f"not round {version}")
        if not self.merged:
            self.merge(previous)
        if keep:
            self.keep_start_once(self.arrays)
        if self.exchange:
            if self.start is None:
                self.start = {name: np.empty_like(array) for name, array in self.arrays.items()}
            for name, array in self.arrays.items():
                np.copyto(self.start[name], array)
        self.training = True

    def deltas(self):
        """The round's change, for the other replicas (none without them)."""
        if not self.exchange:
            return {}
        return {name: half_delta(self.start[name], array) for name, array in self.arrays.items()}

    def end(self, version):
        """Round ``version`` trained: the next one may begin (after its merge)."""
        with self.lock:
            self.version, self.merged, self.training = version + 1, False, False
            self.lock.notify_all()


def build_model(spec):
    """An untrained model of the run's kind, parameters and vocabulary."""
    model = model_class(spec["kind"])(**spec["params"])
    model.wv = model._new_vectors(spec["keys"], spec["counts"])
    model.init_weights()
    return model


class _Replica(ReplicaWeights):
    """A replica trained by one worker: the model's own arrays are its
    weights."""

    def __init__(self, spec, replica):
        model = build_model(spec)
        super().__init__(spec, replica, weight_arrays(model))
        self.model = model


class _SharedReplica(ReplicaWeights):
    """A replica trained by the workers of one machine together: its
    weights lie in shared memory (created here, on the replica's first
    member), and each member trains them in place from its own process as
    threads of one process would, with no exchange between them."""

    def __init__(self, spec, replica):
        super().__init__(spec, replica, None)
        self.shared = None

    def take(self, weights):
        if self.shared is None:
            path = SharedWeights.path_for(self.run, self.replica)
            self.shared = SharedWeights.create(path, weights)
            self.arrays = self.shared.arrays
        super().take(weights)

    def close(self):
        super().close()
        if self.shared is not None:
            self.shared.close()


class _Member(ReplicaState):
    """One worker's model on a shared replica's weights; ``version`` is the
    round it trains next."""

    def __init__(self, spec, member):
        super().__init__(spec, member)
        self.model = None

    def attach(self, spec, replica, version):
        """Build the run's model and point its weights at the machine's
        shared copy of replica ``replica``; round ``version`` is next."""
        model = build_model(spec)
        shared = SharedWeights.attach(SharedWeights.path_for(spec["run"], replica),
                                      spec["shapes"])
        set_weight_arrays(model, shared.arrays)
        self.model, self.version = model, version

    def close(self):
        super().close()
        self.model = None


def replica_state(spec, replica):
    """The worker's state of replica ``replica``: its own weights, or its
    share of a machine's (made on first use)."""
    shared = len(spec["members"][replica]) > 1
    return (_SharedReplica if shared else _Replica).of(spec, replica)


def begin_shared_round(spec, replica, version, keep, weights, after, *previous):
    """Start round ``version`` of a shared replica (on its first member):
    take the driver's ``weights`` (a run's first round) or merge the other
    replicas' ``previous`` results, and copy the start. ``after`` is the
    replica's result of the round before, which must have ended."""
    state = replica_state(spec, replica)
    if weights is not None:
        state.load(version, weights)
    with state.lock:
        state.begin(version, previous, keep)


def train_member(spec, replica, member, version, share, *begun):
    """A worker's share of round ``version`` of a shared replica: it trains
    the stretch of its own partitions on the machine's weights. ``begun``
    is the round's :func:`begin_shared_round` when it has one (a run's
    first round, and every round when other replicas exchange changes).

    Returns
    -------
    dict
        ``loss``, ``raw``, ``trained``, ``seconds``.
    """
    state = _Member.of(spec, member)
    if begun:
        with state.lock:
            if state.model is None:
                state.attach(spec, replica, version)
    # a later round can arrive first: it waits for the one before (its task
    # may wait on the round's start); the run's end drops a round never reached
    state.wait_for(version)
    try:
        # the machine's threads train one copy: each keeps the rows private
        # that threads of one process would
        state.model._weight_writers = len(spec["members"][replica]) * worker_threads()
        figures = train_stretch(state.model, share)
    except BaseException:
        state.close()
        raise
    with state.lock:
        state.version = version + 1
        state.lock.notify_all()
    return figures


def end_shared_round(spec, replica, version, keep_next, *figures):
    """End round ``version`` of a shared replica once every member trained
    its share (``figures``): its change for the other replicas, and the
    members' figures summed. ``keep_next``: keep the weights for the
    driver's snapshot of the next round's start here (when no round begins
    with a merge; the members may already be training it)."""
    state = replica_state(spec, replica)
    state.wait_for(version)
    with state.lock:
        if state.version != version or (state.exchange and not state.training):
            raise StaleReplica(f"this worker holds round {state.version} of the replica, "
                               f"not round {version}")
        deltas = state.deltas()
        state.shared.unlink()  # every member has mapped the weights by now
    state.end(version)
    if keep_next and not state.exchange:
        state.keep(version + 1, state.arrays)
    return {"deltas": deltas, "loss": sum(f["loss"] for f in figures),
            "raw": sum(f["raw"] for f in figures),
            "trained": sum(f["trained"] for f in figures),
            "seconds": max(f["seconds"] for f in figures)}


def stretch(parts, start, end):
    """Tokens ``[start, end)`` of a replica's partitions laid end to end.

    Parameters
    ----------
    parts : list of (tokens, sentence_ends)
    start, end : int

    Returns
    -------
    tokens : ndarray of int32
    sentence_ends : ndarray of int64
        A sentence cut by ``start`` or ``end`` is cut there (as the threads
        of one machine cut their shards).
    """
    pieces, ends = [], []
    offset = out = 0
    for tokens, sentence_ends in parts:
        lo, hi = max(start - offset, 0), min(end - offset, len(tokens))
        offset += len(tokens)
        if lo >= hi:
            continue
        first = np.searchsorted(sentence_ends, lo, side="right")
        last = np.searchsorted(sentence_ends, hi, side="right")
        piece_ends = sentence_ends[first:last] - lo
        if not len(piece_ends) or piece_ends[-1] != hi - lo:
            piece_ends = np.append(piece_ends, hi - lo)
        pieces.append(tokens[lo:hi])
        ends.append(piece_ends + out)
        out += hi - lo
    if not pieces:
        return np.zeros(0, np.int32), np.zeros(0, np.int64)
    return np.concatenate(pieces), np.concatenate(ends).astype(np.int64, copy=False)


def train_round(spec, replica, version, share, weights, *previous):
    """One replica's share of a round (run on a worker).

    Parameters
    ----------
    spec : dict
        The run: model kind, parameters, vocabulary, merge rule.
    replica : int
    version : int
        The round's position in the whole training.
    share : tuple
        ``(parts, start, end, alpha_start, alpha_end, seed, epoch_id, keep)``:
        the replica's encoded partitions, the stretch of them to train, the
        learning rate at the stretch's ends (of the global schedule), what
        fixes the round's random draws, and whether to keep the round's
        start for the driver.
    weights : dict of ndarray or None
        The weights the round starts from, when the driver sends them (the
        first round of a run); otherwise the replica goes on from its own.
    *previous : dict
        Every replica's result of round ``version - lag``, in replica order
        (none in a run's first ``lag`` rounds: the driver's weights hold
        everything before them); with ``lag=2`` Dask fetches the others'
        while the replica trains round ``version - 1``.

    Returns
    -------
    dict
        ``deltas`` (name -> the rows this replica changed and by how much,
        in half precision), ``loss``, ``raw``, ``trained``, ``seconds``.
    """
    state = _Replica.of(spec, replica)
    keep = share[-1]
    if weights is not None:
        state.load(version, weights)
    else:
        state.wait_for(version)
    with state.lock:
        state.begin(version, previous, keep)
    try:
        figures = train_stretch(state.model, share)
        deltas = state.deltas()
    except BaseException:
        state.close()  # half-trained weights: no later round may use them
        raise
    state.end(version)
    return {"deltas": deltas, **figures}


def train_stretch(model, share):
    """Train ``model`` on the stretch of its partitions ``share`` names,
    with all the worker's threads.

    Returns
    -------
    dict
        ``loss``, ``raw`` and ``trained`` words, ``seconds``.
    """
    parts, start, end, alpha_start, alpha_end, seed, epoch_id, _ = share
    tokens, ends = stretch(parts, start, end)
    call = {"epochs": 1, "start_alpha": float(alpha_start), "end_alpha": float(alpha_end),
            "trained": 0, "raw": 0, "seconds": 0.0, "loss": 0.0}
    trained = raw = 0
    if len(tokens):
        model.seed = int(seed)
        model.workers = worker_threads()
        model.epochs_trained = int(epoch_id)
        trained, raw = model._train_call(tokens, ends, {}, call, 3600.0, (), None, None,
                                         None, watch_weights=False)
    return {"loss": call["loss"], "raw": raw, "trained": trained, "seconds": call["seconds"]}


def synchronised_weights(spec, replica, version, n_merged, *results):
    """The synchronised weights ``S(version)`` (run on the worker of
    replica ``replica``, which trained round ``version - 1``): what the
    driver keeps.

    ``results`` are every replica's results of round ``version - lag``
    (the first ``n_merged``: what the replica merges before its round
    ``version``; none when that round came before the run), then, with
    ``lag=2``, of round ``version - 1`` (whose changes are added on top).
    """
    state = replica_state(spec, replica)
    merged, after = results[:n_merged], results[n_merged:]
    with state.lock:
        if state.version == version and not state.training:  # its next round has not begun
            if not state.merged:
                state.merge(merged)
            state.keep_start_once(state.arrays)
    kept = state.kept_arrays(version)
    if after:
        merge_others(kept, after, replica, state.rule)
    return kept


def token_count(encoded):
    """Tokens of an encoded partition."""
    return len(encoded[0])
