"""User-facing errors, each printed by the CLI on one line.

- ``QnnError``: bad input or an impossible request -> exit code 2.
- ``CheckFailed``: a verification disagreed (golden vs Brevitas, qonnx, C simulation or RTL) -> exit code 1; the
  message names the first differing vector and output with both values. A flow step that raises it is recorded
  as ``check failed``, is not cached, and stops the flow.
- ``RunLocked``: another live process is writing the same run directory -> exit code 2.
"""


class QnnError(Exception):
    """Bad input or an impossible request; the message names the problem and what to do."""


class UnsupportedOp(QnnError):
    """A model contains an operation outside the supported set."""


class CheckFailed(QnnError):
    """Two executions that must agree do not: ``result`` holds the figures of the check (JSON-able)."""

    exit_code = 1

    def __init__(self, message: str, result: dict | None = None) -> None:
        super().__init__(message)
        self.result = dict(result or {})


class RunLocked(QnnError):
    """The run directory is held by another writer (its pid and command are in the message)."""
