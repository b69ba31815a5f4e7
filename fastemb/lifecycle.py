"""A model's history: what was done to it and when (gensim's
``lifecycle_events``), kept in saved files so a model says how it was made."""
import datetime
import logging
import platform
import sys

from fastemb._version import __version__

__all__ = ["LifecycleEvents"]

logger = logging.getLogger(__name__)


class LifecycleEvents:
    """Adds ``lifecycle_events`` and :meth:`add_lifecycle_event` to a class."""

    @property
    def lifecycle_events(self):
        """Events recorded so far, oldest first: dicts with ``'event'``, a
        ``'datetime'``, the versions of fastemb and Python, and the event's
        own fields."""
        events = self.__dict__.get("_lifecycle_events")
        if events is None:
            events = self.__dict__["_lifecycle_events"] = []
        return events

    @lifecycle_events.setter
    def lifecycle_events(self, events):
        self.__dict__["_lifecycle_events"] = list(events)

    def add_lifecycle_event(self, event_name, log_level=logging.INFO, **event):
        """Record (and log) an event in the object's history.

        Parameters
        ----------
        event_name : str
            What happened, e.g. ``'build_vocab'``.
        log_level : int or None
            Level to log the event at; None does not log it.
        **event
            The event's details (stored as strings when they are not plain
            JSON values, so the history can be saved).
        """
        record = {key: value if isinstance(value, (str, int, float, bool, type(None)))
                  else str(value) for key, value in event.items()}
        record.update({"datetime": datetime.datetime.now().isoformat(), "fastemb": __version__,
                       "python": sys.version.split()[0], "platform": platform.platform(),
                       "event": event_name})
        if log_level is not None:
            logger.log(log_level, "%s lifecycle event %s", type(self).__name__, record)
        self.lifecycle_events.append(record)
