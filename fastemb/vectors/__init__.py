"""Trained vectors and what is asked of them: ``KeyedVectors`` and its
subword form, exact and approximate search, sentence vectors, alignment,
Word Mover's Distance and the evaluation sets."""
