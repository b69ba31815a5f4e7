"""Training callbacks, with gensim's hook names so gensim callbacks work."""

__all__ = ["CallbackAny2Vec", "LossLogger"]


class CallbackAny2Vec:
    """Base class for training callbacks; override the hooks you need.

    Each hook receives the model being trained. ``on_epoch_end`` runs after
    ``model.loss_history`` has the epoch's loss appended.
    """

    def on_train_begin(self, model):
        """Called once before the first epoch."""

    def on_epoch_begin(self, model):
        """Called before each epoch."""

    def on_epoch_end(self, model):
        """Called after each epoch."""

    def on_train_end(self, model):
        """Called once after the last epoch (also after an interruption)."""


class LossLogger(CallbackAny2Vec):
    """Collects ``(epoch, loss)`` after every epoch in ``self.losses``: the
    epoch's own loss (GloVe: its cost)."""

    def __init__(self):
        self.losses = []

    def on_epoch_end(self, model):
        history = model.cost_history if hasattr(model, "cost_history") else model.loss_history
        self.losses.append((len(self.losses), history[-1]))
