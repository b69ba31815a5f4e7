"""What the explorer answers, without the web: neighbours (and their graph),
analogies and vector arithmetic, a map of the vocabulary, two models side
by side and a classifier's predictions. Every answer is plain JSON-ready
data; a bad query raises :class:`QueryError` with the message the page
shows."""
import numpy as np

from fastemb.errors import UnknownKeyError
from fastemb.explorer.layout import (
    MAP_METHODS,
    MapJobs,
    available_methods,
    cluster_labels,
    pca_coordinates,
)

__all__ = ["Explorer", "QueryError", "parse_expression"]

#: Most neighbours a query may ask for.
MAX_TOPN = 200


class QueryError(ValueError):
    """A query the explorer cannot answer: ``status`` 400 (malformed) or 404
    (an unknown word), and a message for the user."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def parse_expression(expression):
    """``'king - man + woman'`` (or ``'king -man +woman'``) as
    ``(['king', 'woman'], ['man'])``.

    Raises
    ------
    QueryError
        Empty, or an operator without a word after it.
    """
    # an operator stands alone or opens a token ("-man"): a hyphen inside a
    # word ("well-known") is part of it
    tokens = []
    for token in (expression or "").split():
        if len(token) > 1 and token[0] in "+-":
            tokens.extend([token[0], token[1:]])
        else:
            tokens.append(token)
    if not tokens:
        raise QueryError("type a word, or an expression such as king - man + woman")
    positive, negative, operator = [], [], None
    for token in tokens:
        if token in ("+", "-"):
            if operator is not None:
                raise QueryError(f"two operators in a row in {expression!r}")
            operator = token
            continue
        # a word after "-" is subtracted; after "+" or another word, added
        (negative if operator == "-" else positive).append(token)
        operator = None
    if operator is not None:
        raise QueryError(f"{expression!r} ends with an operator")
    return positive, negative


def _topn(value):
    try:
        topn = int(value)
    except (TypeError, ValueError):
        raise QueryError(f"topn must be a whole number, got {value!r}") from None
    if not 1 <= topn <= MAX_TOPN:
        raise QueryError(f"topn must be from 1 to {MAX_TOPN}, got {topn}")
    return topn


def _rounded(pairs):
    return [{"word": str(word), "score": round(float(score), 5)} for word, score in pairs]


class Explorer:
    """The models one explorer page shows.

    Parameters
    ----------
    vectors : KeyedVectors
        The model explored (a ``FastTextKeyedVectors`` answers unseen words).
    name : str
    other : KeyedVectors, optional
        A second model to compare with (before/after fine-tuning, two
        languages after alignment).
    other_name : str, optional
    classifier : object, optional
        A fastText classifier (``predict(text, k)``, as
        :func:`fastemb.fasttext.load_model` gives one).
    metadata : dict of str to dict of str to str, optional
        Columns to colour the map by: ``{column: {word: value}}``.
    map_words : int
        The map shows the most frequent ``map_words`` words.
    seed : int
    """

    def __init__(self, vectors, name="model", other=None, other_name=None, classifier=None,
                 metadata=None, map_words=20000, seed=0):
        if not len(vectors):
            raise ValueError("the model has no vectors to explore")
        if int(map_words) < 1:
            raise ValueError(f"map_words must be at least 1, got {map_words!r}")
        self.vectors = vectors
        self.name = name
        self.other = other
        self.other_name = other_name or ("second model" if other is not None else None)
        self.classifier = classifier
        self.metadata = dict(metadata or {})
        count = min(int(map_words), len(vectors))
        self.map_keys = [str(key) for key in vectors.index_to_key[:count]]
        self._sample = np.asarray(vectors.vectors[:count], dtype=np.float32)
        self._pca = {}
        self._clusters = {}
        self._jobs = MapJobs(self._sample, seed)
        self.seed = seed

    # ------------------------------------------------------------------ info
    def info(self):
        """What the page needs to draw itself."""
        return {"name": self.name, "words": len(self.vectors),
                "dimensions": int(self.vectors.vector_size),
                "subwords": hasattr(self.vectors, "min_n"),
                "other": None if self.other is None else {
                    "name": self.other_name, "words": len(self.other),
                    "dimensions": int(self.other.vector_size)},
                "classifier": self.classifier is not None,
                "labels": [] if self.classifier is None else
                [str(label) for label in self.classifier.get_labels()],
                "map_words": len(self.map_keys), "map_methods": available_methods(),
                "metadata": sorted(self.metadata)}

    # ------------------------------------------------------------ neighbours
    def _check_word(self, vectors, word):
        word = (word or "").strip()
        if not word:
            raise QueryError("type a word")
        if word not in vectors:
            raise QueryError(f"{word!r} is not in the vocabulary"
                             + ("" if not hasattr(vectors, "min_n") else
                                " and has no character n-gram to build a vector from"), 404)
        return word

    def _neighbours_in(self, vectors, word, topn):
        try:
            return vectors.most_similar_batch([word], topn=topn)[0]
        except UnknownKeyError as exc:
            raise QueryError(str(exc).strip("'\""), 404) from None

    def neighbours(self, word, topn=10):
        """The ``topn`` nearest words with their cosines, and a graph of them.

        Returns
        -------
        dict
            ``word``, ``in_vocabulary`` (False for a FastText word built from
            its n-grams), ``neighbours`` (``[{word, score}]``) and ``graph``
            (``nodes`` with 2-D positions, ``edges`` with cosines).
        """
        topn = _topn(topn)
        word = self._check_word(self.vectors, word)
        answer = self._neighbours_in(self.vectors, word, topn)
        return {"word": word, "in_vocabulary": word in self.vectors.key_to_index,
                "neighbours": _rounded(answer), "graph": self._graph(word, answer)}

    def _graph(self, word, answer):
        """The query and its neighbours placed by PCA of their vectors; an
        edge from the query to each, and from each neighbour to its nearest
        other neighbour."""
        words = [word] + [w for w, _ in answer]
        unit = np.vstack([self.vectors[w] for w in words]).astype(np.float32)
        unit /= np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
        positions = pca_coordinates(unit, 2) if len(words) > 2 else \
            np.array([[0.0, 0.0], [1.0, 0.0]][:len(words)], dtype=np.float32)
        cosines = unit @ unit.T
        edges = [{"source": 0, "target": i, "score": round(float(cosines[0, i]), 5)}
                 for i in range(1, len(words))]
        for i in range(1, len(words)):
            others = cosines[i].copy()
            others[[0, i]] = -np.inf
            j = int(others.argmax()) if len(words) > 2 else 0
            if j > 0 and i < j:
                edges.append({"source": i, "target": j, "score": round(float(cosines[i, j]), 5)})
        return {"nodes": [{"word": w, "x": round(float(x), 5), "y": round(float(y), 5)}
                          for w, (x, y) in zip(words, positions)], "edges": edges}

    # ------------------------------------------------------------- arithmetic
    def analogy(self, positive, negative=(), topn=10):
        """The words nearest ``sum(positive) - sum(negative)`` (unit vectors,
        as gensim's ``most_similar``), the input words left out.

        Parameters
        ----------
        positive, negative : list of str
        topn : int
        """
        topn = _topn(topn)
        positive = [self._check_word(self.vectors, w) for w in positive]
        negative = [self._check_word(self.vectors, w) for w in negative]
        if not positive:
            raise QueryError("an analogy needs at least one word to add")
        try:
            answer = self.vectors.most_similar(positive=positive, negative=negative, topn=topn)
        except UnknownKeyError as exc:
            raise QueryError(str(exc).strip("'\""), 404) from None
        return {"positive": positive, "negative": negative, "neighbours": _rounded(answer)}

    def arithmetic(self, expression, topn=10):
        """:meth:`analogy` of an expression such as ``king - man + woman``."""
        positive, negative = parse_expression(expression)
        return {"expression": expression.strip(), **self.analogy(positive, negative, topn)}

    # -------------------------------------------------------------------- map
    def map(self, method="pca", dims=2, color="cluster", clusters=12):
        """Coordinates of the map's words, and a colour group for each.

        Returns
        -------
        dict
            ``status`` ('ready', 'running' with ``seconds``, or 'failed' with
            ``error``); when ready ``words``, ``coordinates`` (one list a
            dimension) and ``groups`` (a label a word).
        """
        if method not in MAP_METHODS:
            raise QueryError(f"method must be one of {', '.join(MAP_METHODS)}, got {method!r}")
        if method not in available_methods():
            raise QueryError(f"the {method} map needs a library that is not installed "
                             f"({'scikit-learn' if method == 'tsne' else 'umap-learn'})")
        if str(dims) not in ("2", "3"):
            raise QueryError(f"dims must be 2 or 3, got {dims!r}")
        dims = int(dims)
        if method == "pca":
            if dims not in self._pca:
                self._pca[dims] = pca_coordinates(self._sample, dims)
            state = {"status": "ready", "seconds": 0.0, "coordinates": self._pca[dims]}
        else:
            state = self._jobs.state(method, dims)
        answer = {"method": method, "dims": dims, "status": state["status"],
                  "seconds": round(float(state["seconds"]), 2)}
        if state["status"] == "failed":
            answer["error"] = state["error"]
        if state["status"] != "ready":
            return answer
        coordinates = state["coordinates"]
        answer.update(words=self.map_keys, groups=self._groups(color, clusters),
                      coordinates=[np.round(coordinates[:, k], 4).tolist()
                                   for k in range(dims)])
        return answer

    def _groups(self, color, clusters):
        if color == "cluster":
            try:
                clusters = int(clusters)
            except (TypeError, ValueError):
                raise QueryError(f"clusters must be a whole number, got {clusters!r}") from None
            if not 1 <= clusters <= 50:
                raise QueryError(f"clusters must be from 1 to 50, got {clusters}")
            if clusters not in self._clusters:
                labels = cluster_labels(self._sample, clusters, self.seed)
                self._clusters[clusters] = [f"cluster {k + 1}" for k in labels]
            return self._clusters[clusters]
        if color in self.metadata:
            column = self.metadata[color]
            return [column.get(word, "(none)") for word in self.map_keys]
        if color in ("", "none"):
            return ["words"] * len(self.map_keys)
        raise QueryError(f"no metadata column {color!r}; colour by 'cluster'"
                         + (f" or one of {', '.join(sorted(self.metadata))}"
                            if self.metadata else ""))

    # ---------------------------------------------------------------- compare
    def compare(self, word, topn=10):
        """A word's neighbours in both models, how many they share, and how
        far the word moved (1 - cosine of its two vectors, when both models
        have it and the same dimension)."""
        if self.other is None:
            raise QueryError("start the explorer with two models to compare them")
        topn = _topn(topn)
        word = (word or "").strip()
        if not word:
            raise QueryError("type a word")
        sides, vectors = [], []
        for kv, name in ((self.vectors, self.name), (self.other, self.other_name)):
            if word in kv:
                answer = self._neighbours_in(kv, word, topn)
                sides.append({"name": name, "neighbours": _rounded(answer)})
                vectors.append(np.asarray(kv[word], dtype=np.float64))
            else:
                sides.append({"name": name, "neighbours": None,
                              "error": f"{word!r} is not in {name}"})
                vectors.append(None)
        if all(side["neighbours"] is None for side in sides):
            raise QueryError(f"{word!r} is in neither model", 404)
        shared = None
        if all(side["neighbours"] is not None for side in sides):
            first, second = ({n["word"] for n in side["neighbours"]} for side in sides)
            shared = sorted(first & second)
        moved = None
        if all(v is not None for v in vectors) and len(vectors[0]) == len(vectors[1]):
            norms = np.linalg.norm(vectors[0]) * np.linalg.norm(vectors[1])
            moved = round(float(1.0 - vectors[0] @ vectors[1] / norms), 5) if norms else None
        return {"word": word, "models": sides, "shared": shared, "moved": moved}

    # ---------------------------------------------------------------- predict
    def predict(self, text, k=5):
        """The classifier's ``k`` most likely labels of ``text`` with their
        probabilities."""
        if self.classifier is None:
            raise QueryError("this model is not a classifier: start the explorer on a "
                             "supervised fastText model to predict labels")
        text = (text or "").strip()
        if not text:
            raise QueryError("type a text to classify")
        if "\n" in text:
            text = " ".join(text.split())
        try:
            k = int(k)
        except (TypeError, ValueError):
            raise QueryError(f"k must be a whole number, got {k!r}") from None
        if k < 1:
            raise QueryError(f"k must be at least 1, got {k}")
        labels, probabilities = self.classifier.predict(text, k=k)
        return {"text": text, "labels": [
            {"label": str(label).removeprefix("__label__"), "probability":
             round(float(p), 5)} for label, p in zip(labels, probabilities)]}
