"""User-facing errors: the CLI prints them on one line and exits with code 2."""


class QnnError(Exception):
    """Bad input or an impossible request; the message names the problem and what to do."""


class UnsupportedOp(QnnError):
    """A model contains an operation outside the supported set."""
