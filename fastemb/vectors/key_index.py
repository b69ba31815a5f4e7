"""``key_to_index`` of vectors opened from a native file: each key's row,
answered from the file's key table (:class:`fastemb._key_table.KeyTable`)
instead of a dict built when the file opens. For 3M keys that dict takes
seconds and hundreds of megabytes; the table is mapped with the vectors.

It reads like the dict it stands for (lookups, ``in``, ``get``, ``len``,
iteration in row order, ``items``, ``values``, equality); copying or
pickling it gives that dict, and :class:`~fastemb.vectors.keyedvectors.
KeyedVectors` swaps it for one before adding keys.
"""
from collections.abc import ItemsView, Mapping, ValuesView

__all__ = ["KeyIndex"]


class KeyIndex(Mapping):
    """Rows of the keys of ``keys`` (a list of str), found in ``table``.

    Parameters
    ----------
    keys : list of str
        The keys in row order (``index_to_key``).
    table : KeyTable
        Over the same keys' UTF-8 bytes.
    """

    def __init__(self, keys, table):
        self._keys = keys
        self._table = table

    def get(self, key, default=None):
        """The key's row, ``default`` when it has none (as ``dict.get``)."""
        if isinstance(key, str):
            try:
                row = self._table.find(key.encode("utf-8"))
            except UnicodeEncodeError:  # a lone surrogate: no key of the file
                return default
            if row >= 0:
                return row
        return default

    def __getitem__(self, key):
        row = self.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def __contains__(self, key):
        return self.get(key) is not None

    def __iter__(self):
        return iter(self._keys)

    def __len__(self):
        return len(self._keys)

    def items(self):
        """``(key, row)`` pairs in row order, read without lookups."""
        return _Items(self)

    def values(self):
        """The rows, in order."""
        return _Values(self)

    def copy(self):
        """The dict this index stands for."""
        return dict(zip(self._keys, range(len(self._keys))))

    def __reduce__(self):
        return dict, (list(zip(self._keys, range(len(self._keys)))),)

    def __repr__(self):
        return f"KeyIndex({len(self)} keys)"


class _Items(ItemsView):
    def __iter__(self):  # rows are positions: no lookup needed
        return zip(self._mapping._keys, range(len(self._mapping._keys)))


class _Values(ValuesView):
    def __iter__(self):
        return iter(range(len(self._mapping._keys)))
