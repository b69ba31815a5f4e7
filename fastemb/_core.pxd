# cython: language_level=3
"""Declarations of the Word2Vec training kernel, for other Cython modules."""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t


cdef struct W2VConfig:
    # model weights (shared by all threads, updated Hogwild-style)
    float* syn0
    int64_t syn0_rows
    float* syn1neg
    float* syn1
    int dim
    # width of the hidden vector and of the output rows: dim, except PV-DM
    # by concatenation, (dm_tag_count + 2 * window) * dim
    int out_dim
    # corpus (read only)
    const int32_t* tokens
    const int64_t* sentence_ends
    int64_t n_sentences
    # inputs: word w trains through the syn0 rows
    # input_rows[input_offsets[w]:input_offsets[w + 1]] (FastText: its own row
    # and its n-gram rows); with input_offsets NULL, through row w alone
    const int64_t* input_offsets
    const int32_t* input_rows
    # lock factor of each syn0 row: its updates are scaled by it (0 freezes
    # the row, as gensim's vectors_lockf); NULL: every row learns fully
    const float* lockf
    # documents (Doc2Vec): sentence d's tag rows are rows
    # doc_rows[doc_offsets[d]:doc_offsets[d + 1]] of docvecs; NULL: none
    float* docvecs
    const int64_t* doc_offsets
    const int32_t* doc_rows
    # 1: tag rows join CBOW's input (PV-DM); 0: they predict each word (PV-DBOW)
    int dm
    # PV-DM by concatenation (Le & Mikolov's first variant): the hidden vector
    # is a document's dm_tag_count tag rows, then the rows of the window
    # words before and after the centre, side by side; a position outside the
    # document holds null_word's row
    int dm_concat
    int dm_tag_count
    int32_t null_word
    # what a step may change besides tag rows: word rows (and PV-DBOW's
    # interleaved skip-gram) and the output layer; inference changes neither
    int learn_words
    int learn_hidden
    # vocabulary tables
    int32_t vocab_size
    const uint32_t* keep_threshold
    const uint32_t* ns_accept
    const int32_t* ns_alias
    const uint8_t* hs_codes
    const int32_t* hs_points
    const int64_t* hs_offsets
    const int32_t* hs_lengths
    # hyper-parameters
    int sg
    int hs
    int negative
    int window
    int shrink_windows
    # skip-gram with negative sampling: 1 draws the negatives once a centre
    # word and shares them among its context words (Ji et al. 2016)
    int shared_negatives
    int cbow_mean
    float start_alpha
    float end_alpha
    int64_t total_words
    # progress shared with the other threads and the Python thread
    int64_t* progress
    int n_threads
    int* stop_flag
    # pause once the threads' counters add up to this many raw words (a
    # checkpoint every N words; INT64_MAX: never)
    const int64_t* pause_at
    # centre words between two merges of a thread's hot rows, and how many
    # rows of each matrix a thread keeps private (0 with one thread)
    int merge_every
    int64_t hot_rows
    # the rows every prediction writes, merged more often than the rest
    int64_t hottest_rows
    int merge_hottest_every
    # 1: the threads train fixed pieces in rounds, each piece through its
    # own copies of the rows, merged in piece order at the end of a round
    # (the same bits whatever the number of threads); 0: Hogwild
    int deterministic
