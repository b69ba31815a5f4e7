"""Files as bytes and plain data: fastemb's native format, word2vec and GloVe
vector files, Facebook's fastText ``.bin``, gensim's pickles read as records,
compression and atomic writes. Nothing here builds a model or a vectors
object: the classes above turn these arrays and records into themselves."""
