"""gensim's own Word2Vec, KeyedVectors and Phrases test suites, run against fastemb
with only their imports changed: the bar of a drop-in replacement.

The test files come from the installed gensim package (they are not copied
into this repository); each is rewritten by the import substitutions below
and run by pytest in a subprocess, and every test must pass except the few
that check a behaviour fastemb changes on purpose (listed with the reason,
and in the README).
"""
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

import fastemb

gensim = pytest.importorskip("gensim")
pytest.importorskip("testfixtures")  # gensim's suite uses it

#: (gensim test file, [(gensim import line, fastemb import line), ...])
SUITES = {
    "test_word2vec.py": [
        ("from gensim.models import word2vec, keyedvectors",
         "from fastemb import word2vec, keyedvectors"),
    ],
    "test_keyedvectors.py": [
        ("from gensim.models.keyedvectors import KeyedVectors, REAL, pseudorandom_weak_vector",
         "from fastemb.vectors.keyedvectors import KeyedVectors, REAL, pseudorandom_weak_vector"),
        # the module import, and the names the file reaches through it
        ("import gensim.models.keyedvectors",
         "import fastemb.vectors.keyedvectors\nimport gensim.test.utils\nimport gensim.utils"),
        ("gensim.models.keyedvectors.", "fastemb.vectors.keyedvectors."),
        ("gensim.models.KeyedVectors", "fastemb.KeyedVectors"),
    ],
    "test_phrases.py": [
        # gensim's base class stays gensim's: its tests subclass it to test
        # gensim's own scoring pass
        ("from gensim.models.phrases import Phrases, FrozenPhrases, _PhrasesTransformation",
         "from fastemb.corpus.phrases import Phrases, FrozenPhrases\n"
         "from gensim.models.phrases import _PhrasesTransformation"),
        ("from gensim.models.phrases import original_scorer",
         "from fastemb.corpus.phrases import original_scorer"),
    ],
}

#: Tests of behaviour fastemb changes on purpose (a test's name, or its
#: class and name).
DELIBERATE_DIFFERENCES = {
    # gensim logs a warning and trains on the characters of each string;
    # fastemb refuses str sentences with a CorpusError instead of silently
    # training a wrong model
    "test_build_vocab_warning",
    # a trigram model trained on phrased text: gensim splits the joined
    # tokens "graph minors" at the delimiter when it exports and scores, so
    # a joined token alone becomes a phrase; fastemb keeps it one token
    "TestPhrasesModel.test_export_phrases",
}


def _deliberate(name):
    """Whether the test ``module.Class.name`` checks a deliberate difference."""
    parts = name.rsplit(".", 2)
    return parts[-1] in DELIBERATE_DIFFERENCES or ".".join(parts[-2:]) in DELIBERATE_DIFFERENCES

#: Tests of gensim itself rather than of the API (its command-line script and
#: its internal Cython line reader); they do not touch the import.
NOT_API = ("test_word2vec_stand_alone_script", "test_cython_line_sentence_works_with_filename")


#: Tests gensim itself skips unless asked (a stress loop over another test).
OPT_IN = {"test_method_in_bulk"}


def _rewrite(source, substitutions):
    for old, new in substitutions:
        assert old in source, f"gensim's test file no longer contains {old!r}"
        source = source.replace(old, new)
    return source


@pytest.fixture(scope="module")
def suite_results(tmp_path_factory):
    """Run both rewritten suites once; map test name -> outcome."""
    workdir = tmp_path_factory.mktemp("gensim_suite")
    gensim_tests = Path(gensim.__file__).parent / "test"
    for name, substitutions in SUITES.items():
        source = (gensim_tests / name).read_text(encoding="utf-8")
        (workdir / f"fastemb_{name}").write_text(_rewrite(source, substitutions),
                                                 encoding="utf-8")
    report = workdir / "report.xml"
    env = dict(os.environ, PYTHONPATH=str(Path(fastemb.__file__).parent.parent))
    deselect = " and ".join(f"not {name}" for name in NOT_API)
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "-k", deselect, f"--junitxml={report}",
                    *[f"fastemb_{name}" for name in SUITES]],
                   cwd=workdir, env=env, capture_output=True, text=True, timeout=1200)
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        problems = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[f"{case.get('classname')}.{case.get('name')}"] = (
            problems[0] if problems else "passed",
            next((c.get("message", "") for c in case if c.tag in ("failure", "error")), ""))
    return outcomes


def test_gensim_suites_pass_with_only_the_import_changed(suite_results):
    assert len(suite_results) > 150, f"only {len(suite_results)} gensim tests ran"
    assert any("Phrases" in name for name in suite_results)
    broken = {name: message[:300] for name, (outcome, message) in suite_results.items()
              if outcome in ("failure", "error") and not _deliberate(name)}
    assert not broken, broken
    skipped = [name for name, (outcome, _) in suite_results.items() if outcome == "skipped"
               and name.rsplit(".", 1)[-1] not in OPT_IN]
    # the suite's optional parts are installed by the [test] extra: nothing else is skipped
    assert not skipped, skipped


def test_the_deliberate_differences_are_still_differences(suite_results):
    # if one of them starts passing, the README's list of differences is stale
    deliberate = [name for name in suite_results if _deliberate(name)]
    assert len(deliberate) == len(DELIBERATE_DIFFERENCES), deliberate
    for name in deliberate:
        assert suite_results[name][0] == "failure", name
