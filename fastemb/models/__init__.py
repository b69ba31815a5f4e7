"""The models that train vectors: Word2Vec, FastText, Doc2Vec and GloVe (with
its co-occurrence counting), and the readers that build them from
fastText's and gensim's files."""
