"""Plots: a real figure for ASCII and Chinese labels, with neighbours and
analogy arrows; CJK labels get a font that has their glyphs (or a warning
that names the fix); the CLI writes PNG and SVG files."""
import io
import warnings

import numpy as np
import pytest

from fastemb import KeyedVectors, Word2Vec, plot
from fastemb.cli import main
from fastemb.errors import UnknownKeyError

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
pytest.importorskip("sklearn")
from fastemb.viz.plotting import find_cjk_font, project  # noqa: E402


@pytest.fixture(scope="module")
def kjv_vectors(kjv_sentences):
    return Word2Vec(kjv_sentences, vector_size=32, min_count=5, epochs=3, workers=1,
                    seed=3).wv


def _pixels(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=60)
    buffer.seek(0)
    return matplotlib.image.imread(buffer)


def test_a_plot_of_words_with_neighbours_and_arrows(kjv_vectors):
    words = ["king", "queen", "man", "woman", "gold", "silver"]
    figure = plot(kjv_vectors, words, neighbours=3, analogies=[("man", "woman")], seed=1)
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.texts if t.get_text()]
    assert labels[:6] == words and len(labels) > 6  # the neighbours came along
    assert len(ax.collections) == len(words)  # a colour a word
    arrows = [t for t in ax.texts if t.arrow_patch is not None]
    assert len(arrows) == 1
    pixels = _pixels(figure)
    assert pixels.std() > 0.05  # not a blank image
    for method in ("tsne",):
        assert plot(kjv_vectors, words, method=method).axes[0].texts
    with pytest.raises(UnknownKeyError, match="xyzzy"):
        plot(kjv_vectors, ["king", "xyzzy"])


def test_projections_keep_what_is_close_close(kjv_vectors):
    vectors = kjv_vectors[["gold", "silver", "brass", "father", "mother", "son"]]
    for method in ("pca", "tsne"):
        points = project(vectors, method, seed=0)
        assert points.shape == (6, 2) and np.isfinite(points).all()
    with pytest.raises(ValueError, match="method must be one of"):
        project(vectors, "mds")


@pytest.mark.parametrize("method", ["pca", "tsne", "umap"])
def test_each_projection_keeps_two_clusters_apart(method):
    if method == "umap":
        pytest.importorskip("umap")
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(2, 32)) * 4
    labels = np.repeat([0, 1], 20)
    vectors = centres[labels] + rng.normal(size=(40, 32))
    points = project(vectors, method, seed=0)
    assert points.shape == (40, 2) and np.isfinite(points).all()
    # every point lies nearer its own cluster's 2-D centre than the other's
    means = np.array([points[labels == c].mean(axis=0) for c in (0, 1)])
    distances = np.linalg.norm(points[:, None, :] - means[None], axis=2)
    assert (distances.argmin(axis=1) == labels).all()


def _chinese_vectors():
    keys = ["国王", "女王", "男人", "女人", "苹果", "香蕉"]
    rng = np.random.default_rng(0)
    return KeyedVectors.from_arrays(keys, rng.normal(size=(6, 8)).astype(np.float32))


def test_chinese_labels_are_drawn_with_a_font_that_has_them():
    kv = _chinese_vectors()
    font = find_cjk_font()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = plot(kv, list(kv.index_to_key), analogies=[("男人", "女人"), ("国王", "女王")])
    labels = [t for t in figure.axes[0].texts if t.get_text()]
    assert [t.get_text() for t in labels] == list(kv.index_to_key)
    if font is None:
        assert any("fonts-noto-cjk" in str(w.message) for w in caught)
        pytest.skip("no CJK font installed here: the warning naming the fix was given")
    assert not caught
    assert all(t.get_fontfamily() == [font] for t in labels)
    # a glyph the font has renders differently from a character it lacks (a box)
    from matplotlib.figure import Figure

    def ink(text):
        figure = Figure(figsize=(1, 1))
        figure.text(0.1, 0.3, text, fontfamily=font, fontsize=40)
        return _pixels(figure)
    boxes = [ink(c) for c in "\U000f0000\U000f0001"]  # private use: no font draws these
    assert np.array_equal(boxes[0], boxes[1])  # two missing glyphs: the same box
    assert not np.array_equal(ink("国"), boxes[0]) and not np.array_equal(ink("国"), ink("王"))


def test_the_plot_command_writes_png_and_svg(tmp_path, kjv_vectors, capsys):
    kjv_vectors.save(str(tmp_path / "v.fe"))
    for name in ("plot.png", "plot.svg"):
        assert main(["plot", str(tmp_path / "v.fe"), "king", "queen", "man", "woman",
                     "--neighbours", "2", "--analogy", "man:woman", "--analogy", "king:queen",
                     "-o", str(tmp_path / name)]) == 0
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "plot.svg").read_bytes()[:2000]
    assert main(["plot", str(tmp_path / "v.fe"), "king", "queen", "man",
                 "--analogy", "king", "-o", str(tmp_path / "x.png")]) == 2
    assert "FROM:TO" in capsys.readouterr().err


def test_without_a_cjk_font_the_warning_names_the_fix(monkeypatch):
    import fastemb.viz.plotting
    monkeypatch.setattr(fastemb.viz.plotting, "find_cjk_font", lambda: None)
    with pytest.warns(UserWarning, match="apt install fonts-noto-cjk"):
        plot(_chinese_vectors(), ["国王", "女王", "男人"])
    ascii_kv = KeyedVectors.from_arrays(["alpha", "beta", "gamma"],
                                        np.eye(3, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ASCII labels need no CJK font: no warning
        plot(ascii_kv, ["alpha", "beta", "gamma"])


def test_the_plot_command_skips_unknown_words_and_counts_what_it_drew(tmp_path, kjv_vectors,
                                                                      capsys):
    kjv_vectors.save(str(tmp_path / "v.fe"))
    assert main(["plot", str(tmp_path / "v.fe"), "king", "Queen", "xyzzy", "man",
                 "--neighbours", "3", "--method", "pca", "--analogy", "man:woman",
                 "--analogy", "king:qeen", "-o", str(tmp_path / "p.png")]) == 0
    err = capsys.readouterr().err
    assert "skipping unknown word 'Queen' (did you mean queen?)" in err
    assert "skipping unknown word 'xyzzy'" in err and "'qeen'" in err
    assert "not present in vocabulary\" not present" not in err
    # king, man, woman and three neighbours each (none of them among the three)
    figure = plot(kjv_vectors, ["king", "man"], neighbours=3, analogies=[("man", "woman")])
    drawn = len(figure.plotted_words)
    assert drawn == len([t for t in figure.axes[0].texts if t.get_text()])
    assert f"plotted {drawn} words" in err
    assert main(["plot", str(tmp_path / "v.fe"), "xyzzy", "-o", str(tmp_path / "q.png")]) == 2
    assert "nothing to plot" in capsys.readouterr().err
