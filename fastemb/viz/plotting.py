"""Pictures of vectors: words projected to two dimensions (PCA, t-SNE or
UMAP), labelled, optionally with each word's nearest neighbours in its own
colour and analogy arrows (king→queen, man→woman).

matplotlib and scikit-learn (umap-learn for UMAP) are optional: ``pip
install fastemb[viz]``; they are imported only when a plot is made.
Chinese, Japanese and Korean labels need a font with those glyphs: one is
picked from the installed fonts, with a warning naming the fix when none is.
"""
import functools
import re
import warnings

import numpy as np

from fastemb.errors import UnknownKeyError

__all__ = ["plot", "project", "find_cjk_font"]

METHODS = ("pca", "tsne", "umap")

#: Han, kana and hangul: labels with these need a CJK font.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

#: Font families known to cover CJK, tried first (any other installed font
#: that has the glyphs will do).
_CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans",
                 "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback",
                 "AR PL UMing CN", "IPAGothic", "NanumGothic", "Microsoft YaHei", "SimHei",
                 "PingFang SC", "Hiragino Sans GB", "Arial Unicode MS")


def _need(module, extra="viz"):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        package = {"sklearn": "scikit-learn", "umap": "umap-learn"}.get(module, module)
        raise ImportError(f"plotting needs {package}: pip install 'fastemb[{extra}]' "
                          f"(or pip install {package})") from None


def project(vectors, method="pca", seed=0):
    """Two-dimensional coordinates of ``vectors``.

    Parameters
    ----------
    vectors : ndarray, shape (n, d)
    method : {'pca', 'tsne', 'umap'}
        PCA (scikit-learn), t-SNE (scikit-learn; perplexity adapted to small
        sets) or UMAP (umap-learn).
    seed : int

    Returns
    -------
    ndarray of float, shape (n, 2)
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if len(vectors) < 3:
        raise ValueError(f"a projection needs at least 3 points, got {len(vectors)}")
    if method == "pca":
        decomposition = _need("sklearn.decomposition")
        return decomposition.PCA(n_components=2, random_state=seed).fit_transform(vectors)
    if method == "tsne":
        manifold = _need("sklearn.manifold")
        perplexity = float(min(30, max(2, (len(vectors) - 1) // 3)))
        return manifold.TSNE(n_components=2, perplexity=perplexity, init="pca",
                             random_state=seed).fit_transform(vectors)
    umap = _need("umap")
    neighbours = min(15, len(vectors) - 1)
    # one job: umap-learn is only reproducible under a seed on one thread
    return umap.UMAP(n_components=2, n_neighbors=neighbours, random_state=seed,
                     n_jobs=1).fit_transform(vectors)


@functools.cache
def find_cjk_font():
    """The name of an installed font that draws CJK glyphs, or None.

    matplotlib's own font list is searched first; then the system's font
    files it has not listed yet (a font installed after matplotlib built its
    cache), which are added to it when one fits.
    """
    font_manager = _need("matplotlib.font_manager")
    listed = sorted(font_manager.fontManager.ttflist,
                    key=lambda f: (f.name not in _CJK_FAMILIES, f.name))
    for font in listed:
        if _draws_cjk(font.fname):
            return font.name
    known = {font.fname for font in listed}
    for path in sorted(font_manager.findSystemFonts()):
        if path not in known and _draws_cjk(path):
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    return None


def _draws_cjk(path):
    ft2font = _need("matplotlib.ft2font")
    try:
        face = ft2font.FT2Font(path)
        # a "last resort" font (matplotlib 3.11 ships one) maps every code
        # point, private use included, to a placeholder box: it has no glyphs
        return all(face.get_char_index(ord(c)) for c in "国王女") and \
            not face.get_char_index(0xF0000)
    except (OSError, RuntimeError, ValueError):
        return False


def _label_font(labels):
    """Font family for the labels: a CJK one when they need it."""
    if not any(_CJK.search(label) for label in labels):
        return None
    name = find_cjk_font()
    if name is None:
        warnings.warn("no installed font has Chinese/Japanese/Korean glyphs, so those labels "
                      "will show as boxes; install one (Debian/Ubuntu: apt install "
                      "fonts-noto-cjk; elsewhere any Noto Sans CJK) and plot again",
                      UserWarning, stacklevel=3)
    return name


def plot(kv, words, method="pca", neighbours=0, analogies=(), ax=None, seed=0, title=None,
         figsize=(8, 6)):
    """Plot words of ``kv`` in two dimensions.

    Parameters
    ----------
    kv : KeyedVectors
    words : sequence of str
    method : {'pca', 'tsne', 'umap'}
    neighbours : int
        Also plot each word's ``neighbours`` nearest words, in the word's
        colour (a cluster a word).
    analogies : sequence of (str, str)
        Arrows from the first word to the second, such as
        ``[("king", "queen"), ("man", "woman")]`` (their words are added).
    ax : matplotlib Axes, optional
        Draw there instead of on a new figure.
    seed : int
    title : str, optional
    figsize : (float, float)

    Returns
    -------
    matplotlib.figure.Figure
        Its ``plotted_words`` attribute lists the words drawn: those asked
        for, then their neighbours.

    Raises
    ------
    UnknownKeyError
        A word is not in ``kv``.
    ImportError
        matplotlib or scikit-learn (umap-learn) is missing.
    """
    words = list(dict.fromkeys(list(words) + [w for pair in analogies for w in pair]))
    missing = [w for w in words if w not in kv.key_to_index]
    if missing:
        raise UnknownKeyError(missing[0])
    if not words:
        raise ValueError("give at least one word to plot")
    points, groups = list(words), list(range(len(words)))
    for group, word in enumerate(words if neighbours else ()):
        for neighbour, _ in kv.most_similar(word, topn=neighbours):
            if neighbour not in points:
                points.append(neighbour)
                groups.append(group)
    coordinates = project(kv[points], method, seed)
    pyplot = _need("matplotlib.pyplot")
    if ax is None:
        figure, ax = pyplot.subplots(figsize=figsize)
    else:
        figure = ax.figure
    family = _label_font(points)
    colours = pyplot.get_cmap("tab10" if len(words) <= 10 else "tab20")
    groups = np.array(groups)
    for group in range(len(words)):
        members = groups == group
        ax.scatter(coordinates[members, 0], coordinates[members, 1], s=28,
                   color=colours(group % colours.N), alpha=0.9 if neighbours else 0.8)
    for index, (label, (x, y)) in enumerate(zip(points, coordinates)):
        is_query = index < len(words)
        ax.annotate(label, (x, y), xytext=(4, 3), textcoords="offset points",
                    fontsize=11 if is_query else 8, fontweight="bold" if is_query else None,
                    fontfamily=family, color="black" if is_query else "dimgray")
    position = {word: coordinates[points.index(word)] for word in words}
    for start, end in analogies:
        ax.annotate("", xy=position[end], xytext=position[start],
                    arrowprops=dict(arrowstyle="->", color="crimson", lw=1.4))
    ax.set_title(title or f"{method.upper() if method != 'tsne' else 't-SNE'} of "
                          f"{len(points)} words", fontfamily=family)
    ax.set_xticks([])
    ax.set_yticks([])
    figure.tight_layout()
    figure.plotted_words = list(points)
    return figure
