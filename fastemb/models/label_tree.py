"""fastText's Huffman tree over the labels, for the hierarchical softmax
of a classifier.

The tree is rebuilt from the label counts wherever a model is loaded, so it
must be fastText's own to the last tie: the labels come sorted by falling
count, inner nodes are created in order, and each takes the two smallest
of the next leaf (from the rarest up) and the next inner node, a leaf
winning only when it is strictly smaller. Inner node ``i`` (of
``n - 1``) is row ``i`` of the output matrix; node ``2n - 2`` is the root.
"""
import numpy as np

__all__ = ["LabelTree"]

#: The count of a node not yet created, larger than any real count.
_UNSET = 10 ** 15


class LabelTree:
    """The tree of ``n`` labels.

    Attributes
    ----------
    left, right : ndarray of int32, shape (2n - 1,)
        Children of each node (-1 for the leaves, which are the labels).
    points, codes, offsets : ndarray of int32, uint8, int64
        Label ``l``'s path from its leaf up: inner nodes (output rows)
        ``points[offsets[l]:offsets[l + 1]]`` and the branch taken at each
        (1: the right child).
    """

    def __init__(self, counts):
        counts = np.asarray(counts, dtype=np.int64)
        n = len(counts)
        if n < 1:
            raise ValueError("a label tree needs at least one label")
        size = 2 * n - 1
        count = np.full(size, _UNSET, dtype=np.int64)
        count[:n] = counts
        parent = np.full(size, -1, dtype=np.int64)
        binary = np.zeros(size, dtype=np.uint8)
        left = np.full(size, -1, dtype=np.int32)
        right = np.full(size, -1, dtype=np.int32)
        leaf, node = n - 1, n
        for i in range(n, size):
            chosen = []
            for _ in range(2):
                if leaf >= 0 and count[leaf] < count[node]:
                    chosen.append(leaf)
                    leaf -= 1
                else:
                    chosen.append(node)
                    node += 1
            left[i], right[i] = chosen
            count[i] = count[chosen[0]] + count[chosen[1]]
            parent[chosen[0]] = parent[chosen[1]] = i
            binary[chosen[1]] = 1
        points, codes, lengths = [], [], np.zeros(n, dtype=np.int64)
        for label in range(n):
            j = label
            while parent[j] != -1:
                points.append(parent[j] - n)
                codes.append(binary[j])
                lengths[label] += 1
                j = parent[j]
        self.n_labels = n
        self.left, self.right = left, right
        self.points = np.array(points, dtype=np.int32)
        self.codes = np.array(codes, dtype=np.uint8)
        self.offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=self.offsets[1:])

    @property
    def n_inner(self):
        """Inner nodes: the rows of the output matrix."""
        return self.n_labels - 1
