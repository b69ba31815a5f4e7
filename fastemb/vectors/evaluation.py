"""Intrinsic evaluation: word-pair similarity correlation and analogy
accuracy, with gensim's inputs, rules and return shapes. Analogy questions
are scored in batches (one matrix product per batch) instead of one query at
a time."""
import logging
import os

import numpy as np

from fastemb.data import datapath  # noqa: F401  (its public home in 0.2)
from fastemb.vectors.stats import pearson, spearman

__all__ = ["evaluate_word_pairs", "evaluate_word_analogies", "datapath"]

logger = logging.getLogger(__name__)

#: Analogy questions scored in one matrix product (bounds the score matrix
#: to QUERY_BATCH x restrict_vocab floats).
QUERY_BATCH = 64



def _read_lines(path, encoding="utf8"):
    import gzip
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "rt", encoding=encoding) as handle:
        return handle.read().splitlines()


def _restricted_index(kv, restrict_vocab, case_insensitive):
    """Map query spelling to row for the first ``restrict_vocab`` keys; with
    case folding the most frequent spelling wins."""
    keys = kv.index_to_key[:restrict_vocab]
    if not case_insensitive:
        return {key: i for i, key in enumerate(keys)}
    table = {}
    for i, key in enumerate(keys):
        table.setdefault(key.upper(), i)
    return table


def evaluate_word_pairs(kv, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                        case_insensitive=True, dummy4unknown=False):
    """Correlation of cosine similarities with human similarity judgements.

    Parameters
    ----------
    kv : KeyedVectors
    pairs : str
        File of ``word1<delimiter>word2<delimiter>score`` lines; lines starting
        with ``#`` are comments.
    delimiter, encoding : str
    restrict_vocab : int
        Only the first (most frequent) keys count as known.
    case_insensitive : bool
    dummy4unknown : bool
        Score pairs with an unknown word as 0 instead of skipping them.

    Returns
    -------
    pearson : CorrelationResult
    spearman : CorrelationResult
    oov_ratio : float
        Percentage of pairs with an unknown word.
    """
    table = _restricted_index(kv, restrict_vocab, case_insensitive)
    human, model = [], []
    oov = 0
    total = 0
    for number, line in enumerate(_read_lines(pairs, encoding), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(delimiter)
        try:
            a, b, score = parts[0], parts[1], float(parts[2])
        except (IndexError, ValueError):
            logger.info("skipping malformed line %d of %s: %r", number, pairs, line)
            continue
        total += 1
        if case_insensitive:
            a, b = a.upper(), b.upper()
        if a not in table or b not in table:
            oov += 1
            if dummy4unknown:
                human.append(score)
                model.append(0.0)
            continue
        human.append(score)
        model.append(kv.similarity(table[a], table[b]))
    if len(human) < 2:
        raise ValueError(f"{pairs}: fewer than two word pairs could be scored "
                         f"({oov} of {total} had unknown words)")
    oov_ratio = 100.0 * oov / total
    result_p, result_s = pearson(human, model), spearman(human, model)
    logger.info("%s: Pearson %.4f, Spearman %.4f, %.1f%% pairs unknown",
                pairs, result_p.statistic, result_s.statistic, oov_ratio)
    return result_p, result_s, oov_ratio


def _parse_analogies(path):
    sections = []
    for number, line in enumerate(_read_lines(path), 1):
        if not line.strip():
            continue
        if line.startswith(":"):
            sections.append((line.lstrip(":").strip(), []))
            continue
        words = line.split()
        if len(words) != 4 or not sections:
            raise ValueError(f"{path}, line {number}: expected four words in a section, "
                             f"got {line!r}")
        sections[-1][1].append(words)
    return sections


def evaluate_word_analogies(kv, analogies, restrict_vocab=300000, case_insensitive=True,
                            dummy4unknown=False, similarity_function="most_similar"):
    """Accuracy on ``a b c d`` questions: is ``d`` the key nearest to
    ``b - a + c`` among the first ``restrict_vocab`` keys, excluding a, b, c?

    Parameters
    ----------
    kv : KeyedVectors
    analogies : str
        File in the Google analogy format (``: section`` lines then questions).
    restrict_vocab : int
    case_insensitive : bool
    dummy4unknown : bool
        Count questions with an unknown word as wrong instead of skipping them.
    similarity_function : {'most_similar', 'most_similar_cosmul'}

    Returns
    -------
    score : float
        Accuracy over all sections.
    sections : list of dict
        ``{'section': name, 'correct': [...], 'incorrect': [...]}`` per
        section, then the ``'Total accuracy'`` section; questions are
        4-tuples of words as they appear in the vocabulary's case.
    """
    if similarity_function not in ("most_similar", "most_similar_cosmul"):
        raise ValueError(f"unknown similarity_function {similarity_function!r}")
    table = _restricted_index(kv, restrict_vocab, case_insensitive)
    kv.fill_norms()
    results = []
    all_correct, all_incorrect = [], []
    for name, questions in _parse_analogies(analogies):
        correct, incorrect, known = [], [], []
        for words in questions:
            folded = [w.upper() for w in words] if case_insensitive else words
            if all(w in table for w in folded):
                known.append((tuple(folded), [table[w] for w in folded]))
            elif dummy4unknown:
                incorrect.append(tuple(folded))
        for start in range(0, len(known), QUERY_BATCH):
            batch = known[start:start + QUERY_BATCH]
            rows = np.array([ids for _, ids in batch])
            a, b, c = (kv.vectors[rows[:, k]] / kv.norms[rows[:, k], None] for k in range(3))
            if similarity_function == "most_similar":
                query = b - a + c
                query /= np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-30)
                scores = kv.cosine_scores(query, 0, restrict_vocab)
            else:
                def shifted(m):
                    return (1.0 + kv.cosine_scores(m, 0, restrict_vocab)) / 2.0
                scores = shifted(b) * shifted(c) / (shifted(a) + 1e-6)
            for column in range(3):
                scores[np.arange(len(batch)), rows[:, column]] = -np.inf
            predicted = np.argmax(scores, axis=1)
            for (words, ids), guess in zip(batch, predicted):
                (correct if guess == ids[3] else incorrect).append(words)
        results.append({"section": name, "correct": correct, "incorrect": incorrect})
        all_correct += correct
        all_incorrect += incorrect
        if correct or incorrect:
            logger.info("%s: %.1f%% (%d/%d)", name,
                        100.0 * len(correct) / (len(correct) + len(incorrect)),
                        len(correct), len(correct) + len(incorrect))
    results.append({"section": "Total accuracy", "correct": all_correct,
                    "incorrect": all_incorrect})
    answered = len(all_correct) + len(all_incorrect)
    score = len(all_correct) / answered if answered else 0.0
    logger.info("analogy accuracy: %.4f over %d questions", score, answered)
    return score, results
