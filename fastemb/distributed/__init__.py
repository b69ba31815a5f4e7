"""Training on a Dask cluster: ``pip install "fastemb[dask]"``.

::

    from dask.distributed import Client
    import fastemb.distributed

    client = Client("tcp://scheduler:8786")
    model = fastemb.distributed.Word2Vec(client, corpus_files=["part-0.txt", "part-1.txt"],
                                         vector_size=100, sg=1)
    model.wv.most_similar("king")

Each function returns the ordinary fastemb model. Only counts and weights
travel: every worker reads its own files, or byte ranges of large files.
"""
from fastemb.distributed.glove import GloVe
from fastemb.distributed.word2vec import FastText, Word2Vec

__all__ = ["Word2Vec", "FastText", "GloVe"]
