"""The ``qnn`` command line: thin wrappers over library functions.

Each command group lives in its own module with a ``register(app)`` function. Errors a user can fix
(``QnnError``) print one line and exit with code 2; a check that disagrees (``CheckFailed``: golden vs Brevitas,
qonnx, C simulation or RTL) prints one line naming the first mismatch and exits with code 1; ``--debug`` shows the
traceback instead.
"""
from __future__ import annotations

import importlib
import sys

import typer

from qnn.errors import CheckFailed, QnnError

COMMAND_MODULES = [
    "qnn.cli.flow", "qnn.cli.train", "qnn.cli.export", "qnn.cli.import_model", "qnn.cli.evaluate", "qnn.cli.kws",
    "qnn.cli.hls", "qnn.cli.rtl", "qnn.cli.sweep", "qnn.cli.report", "qnn.cli.board",
]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Quantization-aware training to verified FPGA hardware, with open tools.")
_state = {"debug": False}


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors.")) -> None:
    _state["debug"] = debug


for _m in COMMAND_MODULES:
    importlib.import_module(_m).register(app)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        rc = app(args=argv, standalone_mode=False)
        if isinstance(rc, int):  # typer.Exit(code) returns its code when not in standalone mode
            return rc
    except CheckFailed as e:
        if debug:
            raise
        print(f"check failed: {e}", file=sys.stderr)
        return 1
    except QnnError as e:
        if debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished steps are kept; re-run to continue", file=sys.stderr)
        return 130
    except Exception as e:  # click's own exceptions (typer vendors click, so they are recognised by shape)
        names = {c.__name__ for c in type(e).__mro__}
        if "Exit" in names:
            return int(getattr(e, "exit_code", 0))
        if "Abort" in names:
            return 130
        if "ClickException" in names and not debug:
            print(f"error: {e.format_message()}", file=sys.stderr)
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
