"""Giving memory that was freed back to the operating system.

Reading a corpus allocates and frees large tables on several threads
(hash tables of every distinct word, the raw encoding before it is
compacted). glibc keeps freed blocks of its per-thread arenas for reuse
rather than returning them, so a process that has read gcide8 (a 30 MB
file) still held some 45 MB it no longer used when training began, and
training's own allocations came on top of that: its peak resident memory
was the reading's garbage plus the model.
"""
import ctypes
import ctypes.util

__all__ = ["release_free_memory"]


def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none
    (macOS, musl, Windows)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_free_memory():
    """Return the C heap's free pages to the operating system (every arena,
    not only the main one), where the C library can.

    Returns
    -------
    bool
        Whether the C library could do it.
    """
    if _TRIM is None:
        return False
    _TRIM(0)
    return True
