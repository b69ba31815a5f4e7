"""Encoded corpora kept on disk: corpora larger than RAM, and no re-reading of
text between runs.

``Word2Vec(..., encoded_cache="cache/")`` (CLI ``--cache-dir``) encodes a
corpus file once, streaming, into a folder of the cache directory:

* ``tokens.i32`` -- the word ids of the whole corpus (4 bytes a token),
* ``sentence_ends.i64`` -- where each sentence ends,
* ``words.txt`` and ``counts.i64`` -- every distinct word counted, before
  the vocabulary is chosen (so ``raw_vocab`` and the vocabulary report are
  the same as without a cache),
* ``manifest.json`` -- the settings, the source files and checksums.

Training memory-maps the two arrays: their pages are the file's, not the
process's anonymous memory, so the memory training needs does not grow with
the corpus. Building never holds the corpus either: provisional ids go to a
file as they are read and are remapped to the final ids chunk by chunk.

A cache is reused when the settings that shape the encoding are the same and
the sources have not changed: same paths and sizes, and the same modification
times or, when a time differs (a copy, a ``touch``), the same content hash.
Otherwise it is rebuilt in place. A damaged cache (checksum mismatch,
truncated file) is rebuilt with a warning: it only holds derived data.
"""
import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings

import numpy as np

from fastemb.corpus.encode import EncodedCorpus, ScannedCorpus, remap_ids, scan_files, source_key
from fastemb.corpus.readers import corpus_files
from fastemb.corpus.vocab import select_vocabulary
from fastemb.io.native import remove_orphans

logger = logging.getLogger(__name__)

__all__ = ["CACHE_VERSION", "cached_scan", "check_cacheable", "content_hash", "open_cache"]

#: Changes when the layout of a cache folder changes.
CACHE_VERSION = 1

#: Ids remapped (and hashed) at a time while a cache is built or checked.
CHUNK_IDS = 1 << 20

_BUILDING = ".fastemb-building-"
_RETIRED = ".fastemb-retired-"


def content_hash(files):
    """BLAKE2b of the files' bytes as stored (compressed files are not
    decompressed), each preceded by its size.

    Parameters
    ----------
    files : list of str

    Returns
    -------
    str
        Hex digest.
    """
    digest = hashlib.blake2b(digest_size=20)
    for path in files:
        digest.update(os.path.getsize(path).to_bytes(8, "little"))
        _hash_into(digest, path)
    return digest.hexdigest()


def _hash_into(digest, path):
    """Feed a file's bytes to ``digest``, 4 MB at a time."""
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 22), b""):
            digest.update(block)
    return digest


def _file_hash(path):
    return _hash_into(hashlib.blake2b(digest_size=20), path).hexdigest()


def _stamps(files):
    return [{"path": path, "size": os.path.getsize(path),
             "mtime_ns": os.stat(path).st_mtime_ns} for path in files]


def _folder_name(files, settings):
    """One folder per (sources, settings): a changed source replaces its
    cache instead of adding one."""
    identity = json.dumps({"files": files, "settings": settings}, sort_keys=True)
    return "fastemb-" + hashlib.blake2b(identity.encode(), digest_size=10).hexdigest()


class _Cache:
    """An encoded corpus as stored in a cache folder (see the module text)."""

    def __init__(self, folder, manifest):
        self.folder = folder
        self.manifest = manifest

    def path(self, name):
        return os.path.join(self.folder, name)

    def raw_corpus(self, sentence_ends):
        """The counted words as an :class:`EncodedCorpus` without ids (what
        vocabulary selection needs), over the mapped ``sentence_ends``."""
        with open(self.path("words.txt"), encoding="utf-8") as stream:
            words = [line[:-1] or None for line in stream]
        counts = np.fromfile(self.path("counts.i64"), dtype="<i8").astype(np.int64)
        if len(words) != len(counts) or len(words) != self.manifest["distinct_ids"]:
            raise ValueError("words.txt and counts.i64 disagree")
        return EncodedCorpus([], sentence_ends, words, counts, self.manifest["raw_words"])

    def arrays(self):
        """``(tokens, sentence_ends)`` memory-mapped read-only."""
        n_tokens, n_sentences = self.manifest["n_tokens"], self.manifest["n_sentences"]
        return _map(self.path("tokens.i32"), np.int32, n_tokens), \
            _map(self.path("sentence_ends.i64"), np.int64, n_sentences)


def _map(path, dtype, count):
    if os.path.getsize(path) != count * np.dtype(dtype).itemsize:
        raise ValueError(f"{os.path.basename(path)} has the wrong size")
    if count == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=np.dtype(dtype).newbyteorder("<"), mode="r", shape=(count,))


def open_cache(cache_dir, files, settings):
    """The valid cache of these sources and settings, or None.

    Parameters
    ----------
    cache_dir : str
    files : list of str
        Absolute paths of the corpus files.
    settings : dict
        What shapes the encoding (vocabulary options, encoding errors).

    Returns
    -------
    _Cache or None
    """
    folder = os.path.join(cache_dir, _folder_name(files, settings))
    try:
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as stream:
            manifest = json.load(stream)
    except (OSError, ValueError):
        return None
    if manifest.get("version") != CACHE_VERSION or manifest.get("settings") != settings:
        return None
    stamps = _stamps(files)
    saved = manifest.get("sources", [])
    if [(s["path"], s["size"]) for s in stamps] != [(s["path"], s["size"]) for s in saved]:
        logger.info("encoded cache %s: the corpus changed size; rebuilding", folder)
        return None
    if stamps != saved:
        if content_hash(files) != manifest.get("content_hash"):
            logger.info("encoded cache %s: the corpus changed; rebuilding", folder)
            return None
        manifest["sources"] = stamps  # same content, newer times: remember them
        _write_manifest(folder, manifest)
    cache = _Cache(folder, manifest)
    for name in ("tokens.i32", "sentence_ends.i64", "words.txt", "counts.i64"):
        try:
            intact = _file_hash(cache.path(name)) == manifest["checksums"][name]
        except (OSError, KeyError):
            intact = False
        if not intact:
            warnings.warn(f"encoded cache {folder}: {name} is damaged or missing; "
                          "rebuilding it from the corpus", RuntimeWarning, stacklevel=3)
            return None
    return cache


def _write_manifest(folder, manifest):
    handle, temporary = tempfile.mkstemp(prefix=f".manifest-{os.getpid()}-", dir=folder)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(manifest, stream, indent=1, sort_keys=True)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, os.path.join(folder, "manifest.json"))


def build_cache(cache_dir, files, settings, max_vocab_size, encoding_errors):
    """Encode the corpus into a new cache folder (replacing an old one of
    the same sources and settings) without holding it in memory.

    Returns
    -------
    _Cache
    """
    os.makedirs(cache_dir, exist_ok=True)
    remove_orphans(cache_dir, _BUILDING)
    remove_orphans(cache_dir, _RETIRED)
    building = tempfile.mkdtemp(prefix=f"{_BUILDING}{os.getpid()}-", dir=cache_dir)
    try:
        cache = _fill(building, files, settings, max_vocab_size, encoding_errors)
        folder = os.path.join(cache_dir, _folder_name(files, settings))
        if os.path.exists(folder):
            # a directory cannot be renamed over another: set the old one aside
            retired = tempfile.mkdtemp(prefix=f"{_RETIRED}{os.getpid()}-", dir=cache_dir)
            os.replace(folder, os.path.join(retired, "old"))
            shutil.rmtree(retired, ignore_errors=True)
        os.replace(building, folder)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    cache.folder = folder
    return cache


def _fill(folder, files, settings, max_vocab_size, encoding_errors):
    provisional = os.path.join(folder, "provisional.i32")
    with open(provisional, "wb") as sink:
        raw = scan_files(files, None, max_vocab_size, encoding_errors,
                         sink=lambda ids: ids.astype("<i4", copy=False).tofile(sink))
    mapping, _, counts = select_vocabulary(
        raw.words, raw.counts, settings["min_count"], settings["max_final_vocab"], None,
        settings["sorted_vocab"])
    n_tokens = int(counts.sum())
    tokens_path = os.path.join(folder, "tokens.i32")
    with open(tokens_path, "wb") as stream:
        stream.truncate(n_tokens * 4)
    tokens = np.memmap(tokens_path, dtype="<i4", mode="r+", shape=(n_tokens,))
    with open(provisional, "rb") as source:
        ends = remap_ids(_read_chunks(source), raw.sentence_ends, mapping, tokens)
    tokens.flush()
    del tokens
    os.unlink(provisional)
    ends.astype("<i8").tofile(os.path.join(folder, "sentence_ends.i64"))
    raw.counts.astype("<i8").tofile(os.path.join(folder, "counts.i64"))
    with open(os.path.join(folder, "words.txt"), "w", encoding="utf-8", newline="\n") as stream:
        for word in raw.words:
            stream.write((word or "") + "\n")  # a pruned id: an empty line
    names = ("tokens.i32", "sentence_ends.i64", "words.txt", "counts.i64")
    manifest = {
        "version": CACHE_VERSION, "settings": settings, "sources": _stamps(files),
        "content_hash": content_hash(files), "n_tokens": n_tokens,
        "n_sentences": int(len(ends)), "raw_words": int(raw.raw_words),
        "distinct_ids": len(raw.words),
        "checksums": {name: _file_hash(os.path.join(folder, name)) for name in names},
    }
    _write_manifest(folder, manifest)
    return _Cache(folder, manifest)


def _read_chunks(stream):
    """The int32 ids of a file, ``CHUNK_IDS`` at a time."""
    while True:
        chunk = np.fromfile(stream, dtype="<i4", count=CHUNK_IDS)
        if not len(chunk):
            return
        yield chunk


def check_cacheable(corpus_file, trim_rule=None):
    """Refuse what an encoded cache cannot hold, naming the fix.

    Raises
    ------
    ValueError
        No ``corpus_file`` (an iterable cannot be recognised from one run to
        the next), or a ``trim_rule`` (nor can a function).
    """
    if corpus_file is None:
        raise ValueError("encoded_cache encodes a corpus file: pass corpus_file= (write an "
                         "iterable corpus to a file, one sentence a line, to cache it)")
    if trim_rule is not None:
        raise ValueError("encoded_cache cannot be combined with trim_rule: a function cannot "
                         "be recognised from one run to the next")


def cached_scan(corpus_file, cache_dir, min_count=5, max_vocab_size=None, max_final_vocab=None,
                sorted_vocab=True, encoding_errors="strict"):
    """Encode a corpus file through the cache: reuse it, or build it.

    Parameters
    ----------
    corpus_file : str or os.PathLike
        A file or a directory of files (whitespace-separated words, one
        sentence a line).
    cache_dir : str or os.PathLike
    min_count, max_vocab_size, max_final_vocab, sorted_vocab
        As for :func:`fastemb.corpus.encode.scan_corpus` (part of the cache key).
    encoding_errors : {'strict', 'replace', 'ignore'}

    Returns
    -------
    EncodedCorpus
        The counted words (no ids in memory), with ``encoded``: the corpus
        over the vocabulary they give, its arrays memory-mapped.
    """
    files = [os.path.abspath(path) for path in corpus_files(corpus_file)]
    cache_dir = os.fspath(cache_dir)
    settings = {"min_count": int(min_count), "max_vocab_size": max_vocab_size,
                "max_final_vocab": max_final_vocab, "sorted_vocab": bool(sorted_vocab),
                "encoding_errors": encoding_errors}
    cache = open_cache(cache_dir, files, settings)
    if cache is None:
        cache = build_cache(cache_dir, files, settings, max_vocab_size, encoding_errors)
        logger.info("encoded %s into the cache %s", corpus_file, cache.folder)
    else:
        logger.info("reusing the encoded cache %s", cache.folder)
    tokens, ends = cache.arrays()
    raw = cache.raw_corpus(ends)
    _, keys, counts = select_vocabulary(raw.words, raw.counts, min_count, max_final_vocab, None,
                                        sorted_vocab)
    distinct = sum(word is not None for word in raw.words)
    raw.encoded = ScannedCorpus(tokens, ends, keys, counts, len(ends), raw.raw_words, distinct,
                                source_key(None, corpus_file))
    return raw
