import os
import sys
from pathlib import Path

import pytest
import torch
import trimesh

from inredit.edits.learning.augment import random_neuron_scales
from inredit.inr import ops

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
REPO = Path(__file__).resolve().parent.parent
SHAPES = REPO / "scenes" / "shapes"


@pytest.fixture(autouse=True)
def seeded_torch():
    """Modules built from torch's global RNG (editors, layers) get the same init in every run,
    whatever ran before: a test's outcome must not depend on test order or luck."""
    torch.manual_seed(0)


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run `inredit ARGS` in-process; returns (exit_code, stdout, stderr)."""
    from inredit.cli import main

    def run(*args):
        monkeypatch.setattr(sys, "argv", ["inredit", *map(str, args)])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def box_mesh_file(tmp_path):
    path = tmp_path / "box.ply"
    trimesh.creation.box(extents=(1.0, 0.6, 0.8)).export(path)
    return path


def rescale_neurons(inr, generator):
    """The same function under random neuron rescalings (factors in [e^-1.5, e^1.5])."""
    return ops.scale_neurons(inr, random_neuron_scales(inr, 1.5, generator))
