"""Which kind of vectors file is this: told from its first bytes, so that a
file can be read whatever its name."""
from fastemb.io.compression import open_decompressed
from fastemb.io.fasttext_bin import is_facebook_head
from fastemb.io.native import MAGIC

__all__ = ["sniff_vectors_format"]


def sniff_vectors_format(path):
    """Guess how a vectors file is stored.

    Returns
    -------
    str
        'native', 'fasttext' (Facebook's or floret's .bin), 'floret'
        (floret's ``.floret`` table), 'word2vec-binary', 'word2vec-text' or
        'glove'.
    """
    with open_decompressed(path) as handle:
        head = handle.read(1 << 16)
    if head.startswith(MAGIC):
        return "native"
    if is_facebook_head(head):
        return "fasttext"
    first, _, rest = head.partition(b"\n")
    parts = first.split()
    if len(parts) == 8 and all(p.isdigit() for p in parts[:6]) and parts[6:] == [b"<", b">"]:
        return "floret"
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        dim = int(parts[1])
        word, _, after = rest.partition(b" ")
        line = after.split(b"\n", 1)[0]
        try:
            if len(line.decode("utf-8").split()) == dim:
                [float(v) for v in line.split()]
                return "word2vec-text"
        except (UnicodeDecodeError, ValueError):
            pass
        return "word2vec-binary"
    return "glove"
