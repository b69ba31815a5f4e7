"""The explorer: a local, offline embedding projector in the browser
(``fastemb explore``; the ``explore`` extra: Starlette and uvicorn).

From Python or Jupyter::

    server = fastemb.explore(model)          # a model, its .wv, or KeyedVectors
    print(server.url)                         # http://127.0.0.1:8000/
    server.stop()

From the shell: ``fastemb explore MODEL [MODEL2] [--port 8000]``.
"""
from fastemb.explorer.session import Explorer, QueryError

__all__ = ["explore", "serve", "Explorer", "QueryError", "explorer_for"]


def _vectors_and_classifier(model):
    """The vectors to explore and the classifier, if any, of what a user
    passes: KeyedVectors, a model with ``wv``, or a fastText API model."""
    if hasattr(model, "get_labels") and hasattr(model, "get_words"):
        if getattr(model, "_unsup", None) is not None:  # fastText API word vectors
            return model._unsup.wv, None
        import numpy as np

        from fastemb.vectors.keyedvectors import KeyedVectors
        words = model.get_words()
        matrix = np.vstack([model.get_word_vector(w) for w in words]) if words else \
            np.zeros((0, model.get_dimension()), np.float32)
        return KeyedVectors.from_arrays(words, matrix), model
    vectors = getattr(model, "wv", model)
    if not hasattr(vectors, "index_to_key"):
        raise TypeError(f"explore needs word vectors or a model that has them, not "
                        f"{type(model).__name__}")
    return vectors, None


def explorer_for(model, other=None, name="model", other_name=None, metadata=None,
                 map_words=20000):
    """An :class:`Explorer` of ``model`` (and ``other``): KeyedVectors, a
    Word2Vec/FastText/Doc2Vec/GloVe model, or a model of
    :mod:`fastemb.fasttext` (a classifier gets the prediction panel)."""
    vectors, classifier = _vectors_and_classifier(model)
    second = None if other is None else _vectors_and_classifier(other)[0]
    return Explorer(vectors, name=name, other=second, other_name=other_name,
                    classifier=classifier, metadata=metadata, map_words=map_words)


def serve(explorer, host="127.0.0.1", port=8000):
    """An :class:`~fastemb.explorer.server.ExplorerServer` of ``explorer``,
    not started yet.

    Raises
    ------
    ImportError
        Starlette or uvicorn is not installed (the message names the extra).
    """
    try:
        import uvicorn  # noqa: F401  (the server's, checked here for the message)

        from fastemb.explorer.app import create_app
        from fastemb.explorer.server import ExplorerServer
    except ImportError as exc:
        raise ImportError(f"the explorer needs Starlette and uvicorn: pip install "
                          f"'fastemb[explore]' ({exc})") from None
    return ExplorerServer(create_app(explorer), host, port)


def explore(model, other=None, host="127.0.0.1", port=8000, name="model", other_name=None,
            metadata=None, map_words=20000):
    """Start the explorer on a background thread and return the running
    server (``.url``, ``.stop()``).

    Parameters
    ----------
    model, other : KeyedVectors or a model
        What to explore, and optionally a second model to compare it with.
    host : str
        Address to bind: localhost by default, so nothing is reachable from
        elsewhere.
    port : int
        0 picks a free port.
    name, other_name : str
        The models' names on the page.
    metadata : dict, optional
        ``{column: {word: value}}`` to colour the map by.
    map_words : int
        The map shows the most frequent ``map_words`` words.

    Returns
    -------
    fastemb.explorer.server.ExplorerServer
    """
    return serve(explorer_for(model, other, name, other_name, metadata, map_words), host,
                 port).start()
