"""Corpora: file and iterable readers, tokenizers, the threaded scanner, the
encoded corpus, vocabulary selection, the on-disk cache, phrases and TF-IDF
weights.

The readers are importable from here as they were from 0.2's
``fastemb.corpus`` module.
"""
from fastemb.corpus.readers import (  # noqa: F401
                                    CHUNK_BYTES,
                                    COMPRESSED_SUFFIXES,
                                    CUT_BYTES,
                                    TOKENIZERS,
                                    LineSentence,
                                    PathLineSentences,
                                    Text8Corpus,
                                    corpus_files,
                                    get_tokenizer,
                                    iter_file_blocks,
                                    iter_file_pieces,
                                    jieba_tokenize,
                                    open_binary,
                                    simple_tokenize,
)

__all__ = ["LineSentence", "PathLineSentences", "Text8Corpus", "simple_tokenize",
           "get_tokenizer", "TOKENIZERS", "corpus_files", "iter_file_blocks",
           "iter_file_pieces", "open_binary"]
