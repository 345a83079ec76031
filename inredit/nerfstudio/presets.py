"""ns-train argument presets (`configs/nerfstudio/*.yaml`: `method` + `args` mapping).

    .venv/bin/ns-train inredit-sdf $(.venv/bin/python -m inredit.nerfstudio.presets configs/nerfstudio/cpu-test.yaml) --data DATA
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import yaml

from inredit.errors import InreditError


def ns_train_args(path: str | Path) -> tuple[str, list[str]]:
    """(method, ["--key", "value", ...]) from a preset file."""
    path = Path(path)
    if not path.exists():
        raise InreditError("file not found", path)
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("method"), str) or not isinstance(data.get("args", {}), dict):
        raise InreditError("a preset is a mapping with 'method' (str) and 'args' (mapping)", path)
    args: list[str] = []
    for key, value in (data.get("args") or {}).items():
        args += [f"--{key}", str(value)]
    return data["method"], args


if __name__ == "__main__":
    print(" ".join(shlex.quote(a) for a in ns_train_args(sys.argv[1])[1]))
