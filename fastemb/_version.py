"""The version of fastemb, in one place (setup reads it, models record it)."""
__version__ = "0.2.0"
