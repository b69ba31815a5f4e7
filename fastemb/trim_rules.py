"""gensim's trim rules: a user's ``trim_rule(word, count, min_count)`` may
keep or discard a word whatever its count. Used by vocabulary counting in
Python and in the scanner kernel, so it sits below both."""

__all__ = ["RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "keep_word"]

# trim_rule answers, with gensim's values (gensim.utils.RULE_*), so a rule
# written for gensim means the same here; any other answer means the default
RULE_DEFAULT, RULE_DISCARD, RULE_KEEP = 0, 1, 2


def keep_word(word, count, min_count, trim_rule=None):
    """Whether a word stays in the vocabulary: the trim rule's answer if it
    gives one (``RULE_KEEP``/``RULE_DISCARD``), else ``count >= min_count``.

    Returns
    -------
    bool
    """
    if trim_rule is not None:
        rule = trim_rule(word, count, min_count)
        if rule == RULE_KEEP:
            return True
        if rule == RULE_DISCARD:
            return False
    return count >= min_count
