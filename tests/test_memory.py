"""Freed C heap memory goes back to the operating system."""
import subprocess
import sys
import textwrap

import pytest

from fastemb.memory import release_free_memory

PROBE = textwrap.dedent("""
    import ctypes, ctypes.util
    from fastemb.memory import release_free_memory

    def resident_mb():
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * 4096 / 2 ** 20

    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(4096) for _ in range(25000)]  # 100 MB of small blocks
    for block in blocks:
        ctypes.memset(block, 1, 4096)
    keep = libc.malloc(4096)  # above them all: the heap cannot shrink from its top
    ctypes.memset(keep, 1, 4096)
    for block in blocks:
        libc.free(block)
    before = resident_mb()
    assert release_free_memory()
    print(before - resident_mb())
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_heap_memory_is_returned(tmp_path):
    if not release_free_memory():
        pytest.skip("the C library has no malloc_trim (not glibc)")
    # run outside the source tree, whose uncompiled package would shadow the
    # installed one
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                           cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    released = float(probe.stdout)
    assert released > 80, released
