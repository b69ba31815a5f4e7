"""The explorer page in a real Chromium (Debian's, driven by Playwright):
it loads, searches, answers analogies, draws the map, renders Chinese with
real glyphs, and classifies. CI installs both (``.ci/run``); elsewhere the
tests are skipped when either is missing."""
import io
import os
import shutil

import numpy as np
import pytest

from fastemb.explorer import explorer_for
from fastemb.explorer.app import create_app
from fastemb.explorer.server import ExplorerServer

pytest.importorskip("starlette")
playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("FASTEMB_CHROMIUM") or shutil.which("chromium") or \
    shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Chromium for the explorer's browser tests")
    pytest.skip("no Chromium to drive", allow_module_level=True)

#: Where a test leaves its screenshot of the page for the documentation
#: (docs/explorer.png), when set.
SCREENSHOTS = os.environ.get("FASTEMB_SCREENSHOT_DIR")


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def _serve(explorer):
    return ExplorerServer(create_app(explorer), port=0).start()


@pytest.fixture(scope="module")
def bible_server(kjv_fasttext, kjv_word2vec):
    server = _serve(explorer_for(kjv_fasttext, kjv_word2vec, "kjv fasttext", "kjv word2vec",
                                 map_words=2000))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chinese_server(chinese_classifier):
    server = _serve(explorer_for(chinese_classifier, name="新闻 classifier"))
    yield server
    server.stop()


def _open(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url)
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    return page


def test_the_page_loads_and_search_shows_neighbours(browser, bible_server, kjv_fasttext):
    page = _open(browser, bible_server)
    assert "kjv fasttext" in page.inner_text("#model-info")
    assert page.is_visible("#compare-tab") and not page.is_visible("#classify-tab")
    page.fill("#word", "lord")
    page.fill("#topn", "8")
    page.click("#search")
    page.wait_for_function("document.querySelectorAll('#neighbours tbody tr').length == 8")
    shown = [cell.inner_text() for cell in page.query_selector_all("#neighbours td.word")]
    assert shown == [w for w, _ in kjv_fasttext.wv.most_similar("lord", topn=8)]
    # the neighbour graph is drawn: the query and its 8 neighbours
    page.wait_for_selector("#neighbour-graph .main-svg")
    nodes = page.evaluate("document.getElementById('neighbour-graph').data[1].text")
    assert nodes[0] == "lord" and len(nodes) == 9
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, "explorer-neighbours.png"))
    # clicking a neighbour searches it
    page.click("#neighbours td.word a >> nth=1")
    page.wait_for_function(f"document.getElementById('word').value == {shown[1]!r}")
    # an unknown query says why, on the page
    page.fill("#word", "")
    page.click("#search")
    page.wait_for_function("document.getElementById('neighbours-error').textContent != ''")
    assert page.inner_text("#neighbours-error") == "type a word"
    page.close()


def test_an_analogy_answers(browser, bible_server, kjv_fasttext):
    page = _open(browser, bible_server)
    page.click("#tabs button[data-panel='arithmetic-panel']")
    page.fill("#expr", "king - man + woman")
    page.click("#calc")
    page.wait_for_function("document.querySelectorAll('#analogy-results tbody tr').length == 10")
    first = page.inner_text("#analogy-results td.word >> nth=0")
    assert first == kjv_fasttext.wv.most_similar(positive=["king", "woman"],
                                                 negative=["man"])[0][0]
    page.close()


def test_the_map_draws_every_point(browser, bible_server, kjv_fasttext):
    page = _open(browser, bible_server)
    page.click("#tabs button[data-panel='map-panel']")
    page.wait_for_function("document.getElementById('map-status').textContent.includes('words')",
                           timeout=30000)
    points = page.evaluate(
        "document.getElementById('map').data.reduce((n, t) => n + t.x.length, 0)")
    assert points == 2000
    assert page.evaluate("document.getElementById('map').data[0].type") == "scattergl"
    # WebGL drew the points: the plot area is full of coloured pixels
    from PIL import Image
    plot = np.asarray(Image.open(io.BytesIO(page.query_selector("#map").screenshot()))
                      .convert("RGB"), dtype=np.int16)
    coloured = (plot.max(axis=2) - plot.min(axis=2)) > 60
    assert coloured.sum() > 2000, coloured.sum()
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, "explorer-map.png"))
    # a box dragged over the plot lists the words inside it
    page.evaluate("Plotly.relayout('map', {dragmode: 'select'})")
    box = page.query_selector("#map .nsewdrag").bounding_box()
    page.mouse.move(box["x"] + 0.05 * box["width"], box["y"] + 0.05 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.95 * box["height"], steps=8)
    page.mouse.up()
    page.wait_for_function("document.getElementById('selection').textContent.includes('selected')")
    selected = int(page.inner_text("#selection p >> nth=0").split()[0].replace(",", ""))
    # the left half of the plot: some of the words, not all
    assert 0 < selected < 2000
    listed = page.inner_text("#selection p >> nth=1").removesuffix(", …").split(", ")
    assert len(listed) == min(selected, 1000) and set(listed) <= set(kjv_fasttext.wv.index_to_key)
    page.select_option("#map-dims", "3")
    page.click("#map-draw")
    page.wait_for_function("document.getElementById('map').data[0].type == 'scatter3d'")
    page.close()


def _ink(png):
    """Dark pixels of a screenshot, and the grey image."""
    from PIL import Image
    image = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.int16)
    return int((image < 128).sum()), image


def test_chinese_words_render_with_real_glyphs(browser, chinese_server):
    page = _open(browser, chinese_server)
    assert "新闻 classifier" in page.inner_text("#model-info")
    page.fill("#word", "足球")
    page.click("#search")
    page.wait_for_selector("#neighbours td.word a")
    cell = page.query_selector("#neighbours td.word a >> nth=0")
    word = cell.inner_text()
    assert all("\u4e00" <= ch <= "\u9fff" for ch in word), word
    page.evaluate("a => { a.style.fontSize = '40px'; }", cell)
    ink, glyphs = _ink(cell.screenshot())
    # the same number of unassigned code points: what missing glyphs look like
    page.evaluate("([a, n]) => { a.textContent = '\u0378'.repeat(n); }", [cell, len(word)])
    tofu_ink, tofu = _ink(cell.screenshot())
    assert ink > 150, ink
    # real glyphs are not boxes: the two images differ in many pixels
    height, width = min(glyphs.shape[0], tofu.shape[0]), min(glyphs.shape[1], tofu.shape[1])
    differing = int((np.abs(glyphs[:height, :width] - tofu[:height, :width]) > 64).sum())
    assert differing > 0.5 * min(ink, max(tofu_ink, 1)), (ink, tofu_ink, differing)
    page.close()


def test_the_classifier_panel_predicts(browser, chinese_server):
    page = _open(browser, chinese_server)
    assert page.is_visible("#classify-tab") and not page.is_visible("#compare-tab")
    page.click("#classify-tab")
    page.fill("#predict-text", "手机 芯片 软件")
    page.fill("#predict-k", "2")
    page.click("#predict-go")
    page.wait_for_function("document.querySelectorAll('#predict-results tbody tr').length == 2")
    assert page.inner_text("#predict-results td >> nth=0") == "科技"
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, "explorer-classify.png"))
    page.close()


def test_two_models_compared(browser, bible_server):
    page = _open(browser, bible_server)
    page.click("#compare-tab")
    page.fill("#compare-word", "lord")
    page.click("#compare-go")
    page.wait_for_function("document.querySelectorAll('#compare-results table').length == 2")
    assert "moved" in page.inner_text("#compare-summary")
    headings = [h.inner_text() for h in page.query_selector_all("#compare-results h3")]
    assert headings == ["kjv fasttext", "kjv word2vec"]
    page.close()
