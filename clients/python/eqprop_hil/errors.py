"""Errors raised by the client: every failure the daemon reports keeps its code and message."""


class EqpError(Exception):
    """An error answered by the daemon (or the daemon being unreachable).

    ``code`` is the daemon's error code (``EQP_ERR_...``, listed in docs/errors.md), ``message`` its
    text, which names the offending field for bad input, and ``status`` the HTTP status (None when the
    daemon could not be reached).
    """

    def __init__(self, code, message, status=None):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.status = status


class MissingDependency(ImportError):
    """An optional package (pandas, matplotlib) that a method needs is not installed."""
