"""Training machinery every model shares: worker threads that run nogil
kernels on pieces of an epoch, the epoch loop (callbacks, progress, Ctrl-C,
divergence checks), checkpoints and exact resume."""
