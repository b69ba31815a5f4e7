# cython: language_level=3
"""Declarations of the Word2Vec training kernel, for other Cython modules."""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t


cdef struct W2VConfig:
    # model weights (shared by all threads, updated Hogwild-style)
    float* syn0
    float* syn1neg
    float* syn1
    int dim
    # corpus (read only)
    const int32_t* tokens
    const int64_t* sentence_ends
    int64_t n_sentences
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
    int cbow_mean
    float start_alpha
    float end_alpha
    int64_t total_words
    # progress shared with the other threads and the Python thread
    int64_t* progress
    int n_threads
    int* stop_flag
    # centre words between two merges of a thread's hot rows
    int merge_every
