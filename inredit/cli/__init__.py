"""`inredit` command line: fit, render, info, demo, make-pairs, edit, editors, combine, distill,
train-editor, evaluate, ui, make-scene, ns-edit.

Every user error is an `InreditError`: printed as one line on stderr, exit code 2, no traceback.
Commands stay thin: they parse options and call the library. `app` holds what they share; each
module beside it registers one stage's commands (importing them here is what registers them).
A front end: it may import every inredit package (lazily, inside the commands: `--help` stays
fast), and nothing in inredit imports it.
"""

# importing registers the commands, in this order in --help: the pipeline's stages
# isort: off
from inredit.cli import shapes, training, editing, scenes  # noqa: F401
# isort: on

from inredit.cli.app import app, main

__all__ = ["app", "main"]
