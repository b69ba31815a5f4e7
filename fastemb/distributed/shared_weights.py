"""Weights in shared memory: one copy that every worker process of a
machine maps and trains in place, as the threads of one process would.

The arrays lie end to end in one file in ``/dev/shm`` (a memory file
system: nothing is written to disk), or in the temporary directory where
there is none. The process that creates the file unlinks it as soon as the
others have mapped it: a mapping outlives the unlink, and nothing is left
behind when a process dies.
"""
import os
import tempfile

import numpy as np

__all__ = ["SharedWeights"]

#: Each array starts on a cache line of its own.
ALIGN = 64


def _folder():
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) \
        else tempfile.gettempdir()


def _layout(shapes):
    """``{name: (offset, shape)}`` and the file's size for arrays of float32."""
    offsets, size = {}, 0
    for name, shape in shapes.items():
        offsets[name] = (size, tuple(shape))
        size += (int(np.prod(shape)) * 4 + ALIGN - 1) // ALIGN * ALIGN
    return offsets, max(size, ALIGN)


class SharedWeights:
    """Float32 arrays, by name, mapped from one file every process of a
    machine can open.

    Use :meth:`create` in one process and :meth:`attach` in the others;
    ``arrays`` are writable views of the file.
    """

    def __init__(self, path, shapes, owner):
        offsets, size = _layout(shapes)
        self.path, self.shapes, self.owner = path, dict(shapes), owner
        self._map = np.memmap(path, dtype=np.uint8, mode="r+", shape=(size,))
        self.arrays = {name: np.ndarray(shape, np.float32, self._map, offset)
                       for name, (offset, shape) in offsets.items()}

    @staticmethod
    def path_for(run, replica):
        """The file of one replica of one run."""
        return os.path.join(_folder(), f"fastemb-{run}-{replica}.weights")

    @classmethod
    def create(cls, path, arrays):
        """A new file holding copies of ``arrays`` (name -> ndarray).

        Raises
        ------
        MemoryError
            The file system cannot hold the weights (a container's small
            ``/dev/shm``): said now, where writing to a page it could not
            give would kill the process.
        """
        shapes = {name: array.shape for name, array in arrays.items()}
        _, size = _layout(shapes)
        with open(path, "xb") as target:
            try:
                if hasattr(os, "posix_fallocate"):
                    os.posix_fallocate(target.fileno(), 0, size)
                else:
                    target.truncate(size)
            except OSError as error:
                target.close()
                os.unlink(path)
                raise MemoryError(
                    f"{os.path.dirname(path)} cannot hold the {size / 2 ** 20:.0f} MB of "
                    f"weights the workers of this machine would share ({error}): give it "
                    "more room (Docker: --shm-size) or train with share_memory=False"
                ) from None
        shared = cls(path, shapes, owner=True)
        for name, array in arrays.items():
            np.copyto(shared.arrays[name], array)
        return shared

    @classmethod
    def attach(cls, path, shapes):
        """Map the file another process of this machine created.

        Raises
        ------
        RuntimeError
            There is no such file here: the workers are not on one machine
            (or do not see one ``/dev/shm``).
        """
        if not os.path.exists(path):
            raise RuntimeError(
                f"the shared weights {path} are not on this worker's machine: its workers "
                "were taken for one machine but do not share /dev/shm; train with "
                "share_memory=False")
        return cls(path, shapes, owner=False)

    def unlink(self):
        """Remove the file once every process has mapped it (the creating
        process only): the mappings stay, and the memory returns to the
        system when the last one goes, even if a process dies."""
        if self.owner:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            except OSError:  # Windows keeps a mapped file: try again at close
                return
            self.owner = False

    def close(self):
        """Drop the mapping (and the file, if still there)."""
        self.arrays = {}
        self._map = None
        self.unlink()
