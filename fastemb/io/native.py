"""fastemb's native file format: named numpy arrays plus JSON metadata in
one file, with no pickle, loadable with ``mmap``.

Layout::

    magic   8 bytes  b"FASTEMB\\0"
    version 4 bytes  little-endian uint32
    length  8 bytes  little-endian uint64, bytes of the JSON header
    header  JSON (UTF-8): {"meta": {...}, "arrays": {name: {dtype, shape,
            offset, nbytes, crc32}}, "crc32": of meta and arrays}, padded
            with spaces
    data    each array's raw C-order bytes at its offset (64-byte aligned)

A single file can be replaced atomically with one rename, which a directory
cannot; arrays are aligned so ``numpy.memmap`` maps them in place. Every
array carries a CRC-32 so corruption is reported instead of loaded.
"""
import json
import os
import shutil
import struct
import tempfile
import zlib

import numpy as np

from fastemb._vector_text import gather_keys
from fastemb.errors import FormatError, ModelKindError

__all__ = ["MAGIC", "VERSION", "save_arrays", "load_arrays", "load_model_arrays",
           "atomic_writer", "encode_strings", "decode_strings", "decode_keys", "remove_orphans"]

MAGIC = b"FASTEMB\0"
VERSION = 1
_ALIGN = 64
_PREAMBLE = struct.Struct("<8sIQ")
_ALLOWED_DTYPES = {"float32", "float64", "int8", "uint8", "int32", "uint32", "int64", "uint64"}


class atomic_writer:
    """Context manager giving a binary file that replaces ``path`` only when
    the block finishes without error.

    The data goes to a temporary file in the same directory, which is
    flushed and fsynced, renamed over ``path``, and the directory fsynced: a
    crash at any moment leaves either the old file or the new one, never a
    torn one. An interrupted or failed write leaves the old file untouched
    and removes the temporary one; the temporary file of a process killed
    mid-save is removed by the next save of the same path.

    Parameters
    ----------
    path : str or os.PathLike

    Raises
    ------
    OSError
        The file cannot be written (disk full, read-only or missing
        directory, no permission): same errno, with a message that names the
        file and says the previous one is intact.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._tmp = None
        self._file = None

    def _failed(self, exc):
        return OSError(exc.errno, f"cannot save {self.path}: {exc.strerror or exc}; the "
                                  "previous file, if there was one, is untouched")

    def __enter__(self):
        folder = os.path.dirname(os.path.abspath(self.path))
        remove_orphans(folder, os.path.basename(self.path) + ".", ".tmp")
        try:
            fd, self._tmp = tempfile.mkstemp(
                prefix=f"{os.path.basename(self.path)}.{os.getpid()}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise self._failed(exc) from exc
        # mkstemp makes the file private (0600); give it the mode a plain
        # open() would (the old file's, or 0666 less the umask)
        try:
            os.chmod(self._tmp, _mode_for(self.path))
        except OSError:
            pass  # a file system without modes: keep what it gave
        self._file = os.fdopen(fd, "wb")
        return self._file

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                try:
                    self._file.flush()
                    os.fsync(self._file.fileno())
                except OSError as flush_error:
                    exc = flush_error
            try:
                self._file.close()
            except OSError as close_error:
                exc = exc or close_error
            if exc is None:
                os.replace(self._tmp, self.path)
                _fsync_directory(os.path.dirname(os.path.abspath(self.path)))
                return False
        finally:
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)
        if isinstance(exc, OSError) and exc.errno is not None:
            raise self._failed(exc) from exc
        return False


def _mode_for(path):
    """Permission bits for a new version of ``path``."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def remove_orphans(folder, prefix, suffix=""):
    """Remove the files or folders in ``folder`` named
    ``<prefix><pid><sep><anything><suffix>`` whose process ``pid`` is gone:
    temporary files of a process killed before it could clean up. A live
    process's are left alone; ``sep`` is ``.`` or ``-``."""
    try:
        candidates = [entry for entry in os.listdir(folder)
                      if entry.startswith(prefix) and entry.endswith(suffix)]
    except OSError:
        return
    for entry in candidates:
        pid = entry[len(prefix):].replace("-", ".").split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _process_alive(int(pid)):
            continue
        path = os.path.join(folder, entry)
        try:
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        except OSError:
            pass  # another process removed it first, or we may not: harmless


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _fsync_directory(folder):
    """Make a rename in ``folder`` durable (where the platform allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a directory; the rename stands
    finally:
        os.close(fd)


def encode_strings(strings):
    """Pack a list of str into UTF-8 bytes and end offsets.

    Returns
    -------
    blob : ndarray of uint8
    ends : ndarray of int64
    """
    encoded = [s.encode("utf-8") for s in strings]
    ends = (np.cumsum([len(b) for b in encoded], dtype=np.int64) if encoded
            else np.zeros(0, np.int64))
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ends


def decode_strings(blob, ends):
    """Inverse of :func:`encode_strings`.

    Returns
    -------
    list of str
    """
    data = np.frombuffer(bytes(blob), dtype=np.uint8)
    ends = np.asarray(ends, dtype=np.int64)
    starts = np.zeros_like(ends)
    starts[1:] = ends[:-1]
    lengths = ends - starts
    if len(ends) and (ends[-1] != len(data) or lengths.min() < 0):
        raise FormatError("corrupt string table in model file")
    try:
        return decode_keys(data, starts, lengths.astype(np.int32), len(ends))
    except UnicodeDecodeError:
        raise FormatError("corrupt string table in model file (invalid UTF-8)") from None


def decode_keys(data, starts, lengths, count, errors="strict", encoding="utf-8"):
    """The ``count`` strings ``data[starts[i]:starts[i] + lengths[i]]``,
    decoded from UTF-8 all at once (a string with a newline in it, or
    another encoding, makes them go one at a time).

    Parameters
    ----------
    data : ndarray of uint8
    starts, lengths : ndarray of int64, int32
    count : int
    errors, encoding : str
        As for ``bytes.decode``.

    Returns
    -------
    list of str

    Raises
    ------
    UnicodeDecodeError
        With ``errors='strict'``; its ``key`` attribute is the index of the
        string that does not decode.
    """
    joined = gather_keys(data, starts, lengths, count)
    if encoding.lower().replace("-", "").replace("_", "") != "utf8" or \
            joined.count(b"\n") != count:  # one at a time
        strings = []
        for key, (s, n) in enumerate(zip(starts[:count].tolist(), lengths[:count].tolist())):
            try:
                strings.append(bytes(data[s:s + n]).decode(encoding, errors))
            except UnicodeDecodeError as exc:
                exc.key = key
                raise
        return strings
    try:
        strings = joined.decode("utf-8", errors).split("\n")
    except UnicodeDecodeError as exc:
        exc.key = joined.count(b"\n", 0, exc.start)
        raise
    strings.pop()  # after the last newline
    return strings


def _header_crc(meta, table):
    """CRC-32 of the header's metadata and array table, in a canonical JSON
    form: damage to the header is reported like damage to an array."""
    canonical = json.dumps({"meta": meta, "arrays": table}, sort_keys=True)
    return zlib.crc32(canonical.encode("utf-8")) & 0xFFFFFFFF


def _pad(n):
    return (-n) % _ALIGN


def save_arrays(path, arrays, meta):
    """Write ``arrays`` and ``meta`` to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
    arrays : dict of str to ndarray
        Numeric arrays (no object dtype).
    meta : dict
        JSON-serialisable metadata.
    """
    table = {}
    prepared = {}
    offset = 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        if array.dtype.name not in _ALLOWED_DTYPES:
            raise TypeError(f"array {name!r} has unsupported dtype {array.dtype}")
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        prepared[name] = array
        table[name] = {"dtype": array.dtype.name, "shape": list(array.shape), "offset": offset,
                       "nbytes": int(array.nbytes), "crc32": zlib.crc32(array.data) & 0xFFFFFFFF}
        offset += array.nbytes + _pad(array.nbytes)
    header = json.dumps({"meta": meta, "arrays": table,
                         "crc32": _header_crc(meta, table)}).encode("utf-8")
    header += b" " * _pad(_PREAMBLE.size + len(header))
    data_start = _PREAMBLE.size + len(header)
    with atomic_writer(path) as out:
        out.write(_PREAMBLE.pack(MAGIC, VERSION, len(header)))
        out.write(header)
        for name, array in prepared.items():
            out.write(array.data)
            out.write(b"\0" * _pad(array.nbytes))
    return data_start


def read_header(path):
    """Read and check the preamble and JSON header of a native file.

    Returns
    -------
    header : dict
    data_start : int
        File offset of the first array.
    file_size : int
    """
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            preamble = handle.read(_PREAMBLE.size)
            if len(preamble) < _PREAMBLE.size or preamble[:8] != MAGIC:
                raise FormatError(f"{path} is not a fastemb model file (bad magic bytes)")
            _, version, length = _PREAMBLE.unpack(preamble)
            if version > VERSION:
                raise FormatError(f"{path} has format version {version}; this fastemb "
                                  f"reads up to {VERSION}: upgrade fastemb")
            if _PREAMBLE.size + length > size:
                raise FormatError(f"{path} is truncated (header cut short)")
            raw = handle.read(length)
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc}") from None
    try:
        header = json.loads(raw.decode("utf-8"))
        header["meta"], header["arrays"]  # noqa: B018 - presence check
        # files written before the header had a checksum have no "crc32"
        damaged = "crc32" in header and header["crc32"] != _header_crc(header["meta"],
                                                                        header["arrays"])
    except (ValueError, KeyError, TypeError):
        raise FormatError(f"{path} has a corrupt header") from None
    if damaged:
        raise FormatError(f"{path} is corrupt: checksum mismatch in the header")
    return header, _PREAMBLE.size + length, size


def load_arrays(path, mmap=None, verify=None):
    """Load a native file.

    Parameters
    ----------
    path : str or os.PathLike
    mmap : {None, 'r', 'c'}
        Map arrays from the file instead of reading them ('r' read-only,
        'c' copy-on-write).
    verify : bool, optional
        Check the CRC-32 of every array; default True when not mapping
        (mapping would read everything to check it).

    Returns
    -------
    arrays : dict of str to ndarray
    meta : dict

    Raises
    ------
    FormatError
        Not a fastemb file, a newer version, truncated or corrupt.
    """
    path = os.fspath(path)
    header, data_start, size = read_header(path)
    if verify is None:
        verify = mmap is None
    if mmap not in (None, "r", "c"):
        raise ValueError("mmap must be None, 'r' or 'c'")
    entries, meta = header.get("arrays"), header.get("meta")
    if not isinstance(entries, dict) or not isinstance(meta, dict):
        raise FormatError(f"{path} has a corrupt header (no array table or metadata)")
    arrays = {}
    with open(path, "rb") as handle:
        for name, entry in entries.items():
            try:
                if entry["dtype"] not in _ALLOWED_DTYPES:
                    raise ValueError
                dtype = np.dtype(entry["dtype"]).newbyteorder("<")
                shape = tuple(int(d) for d in entry["shape"])
                start = data_start + int(entry["offset"])
                nbytes = int(entry["nbytes"])
                checksum = int(entry["crc32"])
            except (KeyError, TypeError, ValueError):
                raise FormatError(f"{path} has a corrupt entry for array {name!r}") from None
            if min(shape, default=0) < 0 or start < data_start or \
                    nbytes != int(np.prod(shape)) * dtype.itemsize:
                raise FormatError(f"{path} has a corrupt entry for array {name!r}")
            if start + nbytes > size:
                raise FormatError(f"{path} is truncated: array {name!r} needs bytes up to "
                                  f"{start + nbytes}, the file has {size}")
            if mmap is not None and nbytes > 0:
                array = np.memmap(path, dtype=dtype, mode=mmap, offset=start, shape=shape)
            else:
                handle.seek(start)
                array = np.frombuffer(handle.read(nbytes), dtype=dtype).reshape(shape).copy()
            if verify and zlib.crc32(np.ascontiguousarray(array).data) & 0xFFFFFFFF != checksum:
                raise FormatError(f"{path} is corrupt: checksum mismatch in array {name!r}")
            arrays[name] = array
    return arrays, meta


def load_model_arrays(path, kind, mmap=None, hint=""):
    """Load a native file that must hold a model of ``kind`` (its meta's
    ``"kind"``), such as ``"Word2Vec"`` or ``"GloVe"``.

    Parameters
    ----------
    path : str or os.PathLike
    kind : str
    mmap : {None, 'r', 'c'}
    hint : str
        Appended to the error when the file holds another kind.

    Returns
    -------
    arrays : dict of str to ndarray
    meta : dict

    Raises
    ------
    ModelKindError
        Another kind of file (a ``FormatError``, and an ``AttributeError``
        as gensim raises).
    FormatError
        The checks of :func:`load_arrays`.
    """
    arrays, meta = load_arrays(path, mmap=mmap)
    if meta.get("kind") != kind or not isinstance(meta.get("params"), dict):
        raise ModelKindError(f"{path} holds a {meta.get('kind', 'unknown')!s} file, "
                          f"not a {kind} model{hint}")
    return arrays, meta
