"""The one error `make diff` reports as a line, without a traceback."""


class ReviewError(Exception):
    """Bad input or a failed step: its message is what the user sees."""
