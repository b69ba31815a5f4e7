"""Pictures of vectors (matplotlib, imported when a plot is made) and the
TensorFlow Embedding Projector export."""
