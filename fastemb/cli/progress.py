"""The progress bar the commands draw on a terminal (training, reading big
vector files)."""
import sys
import time

__all__ = ["ProgressBar"]


class ProgressBar:
    """A one-line progress bar on a terminal stream (silent when the stream is
    not a terminal, unless ``force``).

    Parameters
    ----------
    label : str
    stream : file object, optional
        Default: standard error as it is when the bar is made.
    force : bool
        Draw even when ``stream`` is not a terminal.
    unit, per_unit : str, float
        The rate's unit and how many counted things make one (``"MB"``,
        ``1e6`` for bytes).
    """

    def __init__(self, label, stream=None, force=False, width=30, unit="k words",
                 per_unit=1e3):
        self.label = label
        self.unit, self.per_unit = unit, per_unit
        # the standard error of the moment, not of the import
        self.stream = sys.stderr if stream is None else stream
        self.enabled = force or getattr(self.stream, "isatty", lambda: False)()
        self.width = width
        self.started = time.monotonic()
        self.drawn = False

    def __call__(self, done, total):
        """Show ``done`` of ``total`` units."""
        if not self.enabled or total <= 0:
            return
        fraction = min(done / total, 1.0)
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else float("inf")
        filled = int(round(self.width * fraction))
        bar = "#" * filled + "-" * (self.width - filled)
        eta_text = f"{eta:5.0f}s" if eta != float("inf") else "    ?"
        self.stream.write(f"\r{self.label} [{bar}] {100 * fraction:5.1f}% "
                          f"{rate / self.per_unit:8.0f} {self.unit}/s ETA {eta_text}")
        self.stream.flush()
        self.drawn = True

    def close(self):
        """End the bar's line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
