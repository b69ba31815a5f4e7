"""Serving the explorer with uvicorn: in the foreground (the command line)
or on a background thread (Python and Jupyter), on localhost unless told
otherwise, with a clear message when the port is taken."""
import errno
import socket
import threading
import time

__all__ = ["ExplorerServer", "check_port"]


def check_port(host, port):
    """The port to serve on: ``port`` if it can be bound on ``host`` (0: a
    free one).

    Raises
    ------
    OSError
        The port is in use, or the address is not this machine's; the
        message says what to do.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, int(port)))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(exc.errno, f"port {port} on {host} is already in use: choose "
                                         "another with --port (or port=)") from None
            raise OSError(exc.errno, f"cannot serve on {host}:{port} ({exc.strerror})") from None
        return probe.getsockname()[1]


class ExplorerServer:
    """A running explorer: ``url``, and :meth:`stop`.

    Parameters
    ----------
    app : starlette.applications.Starlette
    host : str
    port : int
        0 picks a free port.
    """

    def __init__(self, app, host="127.0.0.1", port=8000):
        import uvicorn
        self.host = host
        self.port = check_port(host, port)
        self._server = uvicorn.Server(uvicorn.Config(app, host=host, port=self.port,
                                                     log_level="warning", access_log=False))
        self._thread = None

    @property
    def url(self):
        """The page's address."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def serve_forever(self):
        """Serve in this thread until Ctrl-C."""
        self._server.run()

    def start(self, timeout=30.0):
        """Serve on a background thread; return once it answers.

        Raises
        ------
        RuntimeError
            The server did not start within ``timeout`` seconds.
        """
        self._thread = threading.Thread(target=self._server.run, daemon=True,
                                        name="fastemb-explorer")
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the explorer did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self, timeout=10.0):
        """Stop a server started with :meth:`start`."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)

    def __repr__(self):
        return f"<fastemb explorer at {self.url}>"
