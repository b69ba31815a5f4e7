"""The explorer's web app (Starlette): the page, its assets (served from the
package, so the page works offline) and the JSON API.

Every endpoint is a plain function Starlette runs on its thread pool, so a
slow query (a large search, a map) never holds up the others; maps that
take long run on their own thread and are polled.
"""
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from fastemb.explorer.session import QueryError

__all__ = ["create_app", "STATIC"]

#: The page's files: HTML, script, style and the plotting library.
STATIC = Path(__file__).parent / "static"


def _answer(compute):
    """Run a query; a :class:`QueryError` becomes its status and message,
    anything else a 500 that names it (the server keeps running)."""
    try:
        return JSONResponse(compute())
    except QueryError as exc:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)
    except Exception as exc:  # noqa: BLE001 - one failed query must not stop the server
        return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=500)


def _words(value):
    """A comma- or space-separated list of words from a query parameter."""
    return [w for w in (value or "").replace(",", " ").split() if w]


def create_app(explorer):
    """The Starlette app serving ``explorer``.

    Parameters
    ----------
    explorer : fastemb.explorer.session.Explorer

    Returns
    -------
    starlette.applications.Starlette
    """
    def page(request):
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    def info(request):
        return _answer(explorer.info)

    def neighbours(request):
        query = request.query_params
        return _answer(lambda: explorer.neighbours(query.get("word"), query.get("topn", 10)))

    def analogy(request):
        query = request.query_params
        if "expr" in query:
            return _answer(lambda: explorer.arithmetic(query["expr"], query.get("topn", 10)))
        return _answer(lambda: explorer.analogy(_words(query.get("positive")),
                                                _words(query.get("negative")),
                                                query.get("topn", 10)))

    def vocabulary_map(request):
        query = request.query_params
        return _answer(lambda: explorer.map(query.get("method", "pca"), query.get("dims", 2),
                                            query.get("color", "cluster"),
                                            query.get("clusters", 12)))

    def compare(request):
        query = request.query_params
        return _answer(lambda: explorer.compare(query.get("word"), query.get("topn", 10)))

    def predict(request):
        query = request.query_params
        return _answer(lambda: explorer.predict(query.get("text"), query.get("k", 5)))

    routes = [Route("/", page), Route("/api/info", info),
              Route("/api/neighbours", neighbours), Route("/api/analogy", analogy),
              Route("/api/map", vocabulary_map), Route("/api/compare", compare),
              Route("/api/predict", predict),
              Mount("/static", app=StaticFiles(directory=STATIC), name="static")]
    return Starlette(routes=routes)
