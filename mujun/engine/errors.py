"""Errors the engine raises: the methodology cannot be applied to this data."""


class EngineError(ValueError):
    """The evaluation cannot run as asked (e.g. a fixed benchmark is missing for the year)."""
