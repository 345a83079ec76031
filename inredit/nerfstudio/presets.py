"""ns-train argument presets (`configs/nerfstudio/*.yaml`: `method` + `args` mapping).

    .venv/bin/ns-train inredit-sdf $(.venv/bin/python -m inredit.nerfstudio.presets configs/nerfstudio/cpu-test.yaml) --data DATA
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inredit.configs import load_dataclass


@dataclass
class NsTrainPreset:
    method: str  # e.g. inredit-sdf
    args: dict[str, Any] | None = None  # ns-train options without their leading --


def ns_train_args(path: str | Path) -> tuple[str, list[str]]:
    """(method, ["--key", "value", ...]) from a preset file."""
    preset = load_dataclass(NsTrainPreset, path, "preset")
    args: list[str] = []
    for key, value in (preset.args or {}).items():
        args += [f"--{key}", str(value)]
    return preset.method, args


if __name__ == "__main__":
    print(" ".join(shlex.quote(a) for a in ns_train_args(sys.argv[1])[1]))
