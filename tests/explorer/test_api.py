"""The explorer's JSON API through Starlette's test client: what each endpoint
answers on real models, and the clear errors of bad queries."""
import socket
import time

import numpy as np
import pytest

pytest.importorskip("starlette")

from fastemb.cli import main  # noqa: E402
from fastemb.explorer import Explorer, explorer_for  # noqa: E402
from fastemb.explorer.app import create_app  # noqa: E402
from fastemb.explorer.server import ExplorerServer, check_port  # noqa: E402
from fastemb.explorer.session import parse_expression  # noqa: E402


@pytest.fixture(scope="module")
def client(kjv_fasttext, kjv_word2vec):
    from starlette.testclient import TestClient
    metadata = {"initial": {w: w[0] for w in kjv_fasttext.wv.index_to_key}}
    explorer = explorer_for(kjv_fasttext, kjv_word2vec, "fasttext", "word2vec",
                            metadata=metadata, map_words=400)
    return TestClient(create_app(explorer))


@pytest.fixture(scope="module")
def classifier_client(chinese_classifier):
    from starlette.testclient import TestClient
    return TestClient(create_app(explorer_for(chinese_classifier, name="zh")))


def test_info_describes_the_models(client):
    info = client.get("/api/info").json()
    assert info["name"] == "fasttext" and info["dimensions"] == 32 and info["subwords"]
    assert info["other"]["name"] == "word2vec" and not info["classifier"]
    assert info["map_words"] == 400 and "pca" in info["map_methods"]
    assert info["metadata"] == ["initial"]


def test_neighbours_of_a_known_and_an_unseen_word(client, kjv_fasttext):
    answer = client.get("/api/neighbours", params={"word": "lord", "topn": 5}).json()
    expected = kjv_fasttext.wv.most_similar("lord", topn=5)
    assert [n["word"] for n in answer["neighbours"]] == [w for w, _ in expected]
    assert answer["neighbours"][0]["score"] == pytest.approx(expected[0][1], abs=1e-4)
    assert answer["in_vocabulary"]
    graph = answer["graph"]
    assert [n["word"] for n in graph["nodes"]] == ["lord"] + [w for w, _ in expected]
    assert {e["target"] for e in graph["edges"] if e["source"] == 0} == set(range(1, 6))
    unseen = client.get("/api/neighbours", params={"word": "lordship", "topn": 3}).json()
    assert not unseen["in_vocabulary"] and len(unseen["neighbours"]) == 3


def test_bad_neighbour_queries_are_named(client):
    empty = client.get("/api/neighbours", params={"word": "  "})
    assert empty.status_code == 400 and empty.json()["error"] == "type a word"
    bad = client.get("/api/neighbours", params={"word": "lord", "topn": "many"})
    assert bad.status_code == 400 and "topn must be a whole number" in bad.json()["error"]
    assert client.get("/api/neighbours", params={"word": "lord", "topn": 0}).status_code == 400


def test_unknown_words_are_404_with_a_reason(kjv_word2vec):
    from starlette.testclient import TestClient
    plain = TestClient(create_app(Explorer(kjv_word2vec.wv, "w2v")))
    missing = plain.get("/api/neighbours", params={"word": "zzyzx"})
    assert missing.status_code == 404
    assert missing.json()["error"] == "'zzyzx' is not in the vocabulary"
    analogy = plain.get("/api/analogy", params={"expr": "king - zzyzx"})
    assert analogy.status_code == 404 and "zzyzx" in analogy.json()["error"]


def test_analogies_and_free_arithmetic(client, kjv_fasttext):
    answer = client.get("/api/analogy", params={"expr": "king - man + woman"}).json()
    expected = kjv_fasttext.wv.most_similar(positive=["king", "woman"], negative=["man"])
    assert [n["word"] for n in answer["neighbours"]] == [w for w, _ in expected]
    listed = client.get("/api/analogy", params={"positive": "king,woman", "negative": "man"})
    assert listed.json()["neighbours"] == answer["neighbours"]
    assert parse_expression("well-known -man +woman") == (["well-known", "woman"], ["man"])
    for bad in ("king +", "king + - man", ""):
        response = client.get("/api/analogy", params={"expr": bad})
        assert response.status_code == 400, bad
    only_minus = client.get("/api/analogy", params={"expr": "-man"})
    assert only_minus.status_code == 400 and "at least one word" in only_minus.json()["error"]


def test_pca_map_in_two_and_three_dimensions(client, kjv_fasttext):
    flat = client.get("/api/map", params={"method": "pca", "dims": 2}).json()
    assert flat["status"] == "ready" and len(flat["words"]) == 400
    assert flat["words"] == kjv_fasttext.wv.index_to_key[:400]
    assert len(flat["coordinates"]) == 2 and len(flat["coordinates"][0]) == 400
    assert 2 <= len(set(flat["groups"])) <= 12
    # the first axis is the direction of most variance: wider than the second
    assert np.std(flat["coordinates"][0]) >= np.std(flat["coordinates"][1])
    deep = client.get("/api/map", params={"method": "pca", "dims": 3, "color": "initial"}).json()
    assert len(deep["coordinates"]) == 3
    assert deep["groups"][:3] == [w[0] for w in deep["words"][:3]]
    for params, message in (({"method": "mds"}, "method must be one of"),
                            ({"dims": 4}, "dims must be 2 or 3"),
                            ({"color": "nothing"}, "no metadata column 'nothing'"),
                            ({"clusters": 99}, "clusters must be from 1 to 50")):
        response = client.get("/api/map", params=params)
        assert response.status_code == 400 and message in response.json()["error"], params


def test_slow_maps_run_in_the_background(client):
    pytest.importorskip("sklearn")
    first = client.get("/api/map", params={"method": "tsne", "dims": 2}).json()
    assert first["status"] in ("running", "ready")
    # the server answers other queries meanwhile
    assert client.get("/api/neighbours", params={"word": "god"}).status_code == 200
    deadline = time.monotonic() + 120
    answer = first
    while answer["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        answer = client.get("/api/map", params={"method": "tsne", "dims": 2}).json()
    assert answer["status"] == "ready", answer
    assert len(answer["coordinates"][0]) == 400 and np.isfinite(answer["coordinates"]).all()


def test_two_models_side_by_side(client, kjv_fasttext, kjv_word2vec):
    answer = client.get("/api/compare", params={"word": "lord", "topn": 10}).json()
    first, second = answer["models"]
    assert first["name"] == "fasttext" and second["name"] == "word2vec"
    assert [n["word"] for n in second["neighbours"]] == \
        [w for w, _ in kjv_word2vec.wv.most_similar("lord", topn=10)]
    shared = {n["word"] for n in first["neighbours"]} & {n["word"] for n in second["neighbours"]}
    assert answer["shared"] == sorted(shared)
    a, b = kjv_fasttext.wv["lord"], kjv_word2vec.wv["lord"]
    cosine = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    assert answer["moved"] == pytest.approx(1 - cosine, abs=1e-4)
    # a word only FastText can build: one side answers, the other says why
    one_side = client.get("/api/compare", params={"word": "lordship"}).json()
    assert one_side["models"][1]["neighbours"] is None and one_side["moved"] is None
    assert "'lordship' is not in word2vec" == one_side["models"][1]["error"]


def test_the_classifier_predicts_chinese_labels(classifier_client, chinese_classifier):
    info = classifier_client.get("/api/info").json()
    assert info["classifier"] and sorted(info["labels"]) == sorted(
        chinese_classifier.get_labels())
    answer = classifier_client.get("/api/predict", params={"text": "股票 银行 投资",
                                                          "k": 3}).json()
    labels = answer["labels"]
    assert labels[0]["label"] == "财经" and len(labels) == 3
    assert labels[0]["probability"] > 0.5 and sum(x["probability"] for x in labels) <= 1.0001
    neighbours = classifier_client.get("/api/neighbours", params={"word": "足球"}).json()
    assert neighbours["neighbours"]
    assert classifier_client.get("/api/predict", params={"text": " "}).status_code == 400


def test_predict_without_a_classifier_says_so(client):
    response = client.get("/api/predict", params={"text": "the lord"})
    assert response.status_code == 400 and "not a classifier" in response.json()["error"]


def test_page_and_assets_are_served_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/plotly.min.js" in page.text
    assert "https://" not in page.text  # nothing from a CDN
    script = client.get("/static/plotly.min.js")
    assert script.status_code == 200 and len(script.content) > 1_000_000
    assert client.get("/static/explorer.js").status_code == 200


def test_a_port_in_use_is_named(kjv_word2vec, tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"port {port} on 127.0.0.1 is already in use"):
            check_port("127.0.0.1", port)
        path = str(tmp_path / "w2v.vec")
        kjv_word2vec.wv.save_word2vec_format(path)
        assert main(["explore", path, "--port", str(port)]) == 2
        assert "already in use" in capsys.readouterr().err
    assert main(["explore", str(tmp_path / "absent.bin")]) == 2
    assert "no such model or vectors file" in capsys.readouterr().err


def test_a_server_starts_and_stops(kjv_word2vec):
    import httpx
    server = ExplorerServer(create_app(Explorer(kjv_word2vec.wv)), port=0).start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert httpx.get(server.url + "api/info").json()["words"] == len(kjv_word2vec.wv)
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "api/info", timeout=2)


def test_metadata_files_are_checked(tmp_path):
    from fastemb.cli.explore import read_metadata
    good = tmp_path / "meta.tsv"
    good.write_text("word\tpart\nlord\tnoun\ngo\tverb\n", encoding="utf-8")
    assert read_metadata(good) == {"part": {"lord": "noun", "go": "verb"}}
    bad = tmp_path / "bad.tsv"
    bad.write_text("word\tpart\nlord\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: 1 fields for 2 columns"):
        read_metadata(bad)


def test_the_command_serves_a_file_until_stopped(kjv_word2vec, tmp_path):
    import os
    import subprocess
    import sys

    import httpx

    import fastemb
    path = str(tmp_path / "w2v.bin")
    kjv_word2vec.wv.save_word2vec_format(path, binary=True)
    root = os.path.dirname(os.path.dirname(os.path.abspath(fastemb.__file__)))
    process = subprocess.Popen([sys.executable, "-m", "fastemb", "explore", path, "--port", "0"],
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                               env={**os.environ, "PYTHONPATH": root})
    try:
        line = process.stderr.readline()
        assert line.startswith("fastemb explorer: http://127.0.0.1:"), line
        url = line.split()[2]
        deadline = time.monotonic() + 30
        while True:
            try:
                info = httpx.get(url + "api/info").json()
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.1)
        assert info["name"] == "w2v.bin" and info["words"] == len(kjv_word2vec.wv)
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_compressed_vectors_are_explored_too(kjv_word2vec):
    small = kjv_word2vec.wv.compress("pq", dsub=4)
    explorer = explorer_for(small, name="pq")
    answer = explorer.neighbours("lord", 5)
    assert [n["word"] for n in answer["neighbours"]] == \
        [w for w, _ in small.most_similar("lord", topn=5)]
    assert explorer.map("pca", 2)["status"] == "ready"


def test_a_file_that_cannot_be_read_is_named(tmp_path, capsys):
    broken = tmp_path / "broken.vec"
    broken.write_text("3 4\nword 0.1 0.2\n", encoding="utf-8")
    assert main(["explore", str(broken)]) == 2
    assert "fastemb: error:" in capsys.readouterr().err
