"""nerfstudio checkpoints without unsafe unpickling.

nerfstudio 1.1.5 saves `{"step", "pipeline", "optimizers", "schedulers", "scalers"}` with
`torch.save` (`nerfstudio/engine/trainer.py:456-478`) and loads them with a bare
`torch.load(path, map_location="cpu")` (`engine/trainer.py:432,443`, `utils/eval_utils.py:62`).
With torch >= 2.6 that bare call means `weights_only=True`, which refuses the numpy scalars its
own schedulers leave in optimizer/scheduler state (nerfstudio issue #3683). inredit never switches
to unsafe loading:

- `inredit-sdf` runs use schedulers that return Python floats (`config.InreditCosineScheduler`), so
  their checkpoints hold only tensors, numbers, strings, lists and dicts and load with
  `weights_only=True` in nerfstudio itself (ns-render, ns-viewer, resuming);
- `load_checkpoint` reads with `weights_only=True`; a checkpoint that also holds numpy scalars is
  read under a narrow allow-list (numpy's scalar reconstructor and dtypes, nothing callable beyond
  them), and `to_plain` turns those scalars into Python numbers before anything is written.
"""

from __future__ import annotations

import pickle
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from inredit.errors import InreditError
from inredit.files import atomic_write

GEOMETRY_STATE_FORMAT = "inredit.nerfstudio.geometry/1"
GEOMETRY_PREFIX = "_model.field.geometry."  # pipeline state_dict keys of the INR weights
GEOMETRY_EXTRA_STATE = GEOMETRY_PREFIX + "_extra_state"
DDP_GEOMETRY_PREFIX = "_model.module.field.geometry."  # multi-GPU runs (base_pipeline.py:100-125 strips it)


def geometry_prefix(pipeline_state: dict[str, Any]) -> str:
    """Key prefix of the geometry in a pipeline state dict (plain, or as a DDP-wrapped model saves it)."""
    if GEOMETRY_PREFIX + "_extra_state" not in pipeline_state and DDP_GEOMETRY_PREFIX + "_extra_state" in pipeline_state:
        return DDP_GEOMETRY_PREFIX
    return GEOMETRY_PREFIX
CHECKPOINT_NAME = re.compile(r"^step-(\d+)\.ckpt$")


def _numpy_allow_list() -> list:
    """numpy scalars as pickled by numpy 1.x/2.x: the reconstructor plus plain numeric dtypes."""
    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import scalar  # type: ignore[no-redef]
    allowed: list = [scalar, np.dtype]
    dtypes = getattr(np, "dtypes", None)
    if dtypes is not None:
        for name in ("Float64DType", "Float32DType", "Float16DType", "Int64DType", "Int32DType", "BoolDType"):
            if hasattr(dtypes, name):
                allowed.append(getattr(dtypes, name))
    return allowed


def checkpoint_steps(checkpoint_dir: Path) -> list[tuple[int, Path]]:
    if not checkpoint_dir.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in checkpoint_dir.iterdir() if (m := CHECKPOINT_NAME.match(p.name))]
    return sorted(found)


def find_checkpoint(checkpoint_dir: Path, step: int | None = None, source: object = None) -> tuple[int, Path]:
    """The latest `step-NNNNNNNNN.ckpt` (as nerfstudio picks it), or the one of `step`."""
    steps = checkpoint_steps(checkpoint_dir)
    if not steps:
        raise InreditError(f"no checkpoint (step-*.ckpt) in {checkpoint_dir}", source)
    if step is None:
        return steps[-1]
    for s, p in steps:
        if s == step:
            return s, p
    raise InreditError(f"no checkpoint for step {step} in {checkpoint_dir} (have {[s for s, _ in steps]})", source)


def _refused_global(exc: Exception) -> str | None:
    """The class torch's weights-only unpickler refused, if that is why it failed."""
    match = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
    return match.group(1) if match else None


def _unreadable(path: Path, exc: Exception) -> InreditError:
    text = " ".join(str(exc).split())
    detail = "not a torch checkpoint, or truncated/corrupt" if ("zip archive" in text or "Unsupported operand" in text
                                                              or isinstance(exc, EOFError)) else text[:160]
    return InreditError(f"unreadable checkpoint ({detail})", path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """`torch.load(weights_only=True)`, retried under the numpy-scalar allow-list only."""
    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            if _refused_global(exc) is None:
                raise
            with torch.serialization.safe_globals(_numpy_allow_list()):
                state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        refused = _refused_global(exc)
        if refused is None:
            raise _unreadable(path, exc) from None
        raise InreditError(f"checkpoint holds a {refused} object, not only tensors and numbers; "
                           "refusing to unpickle it", path) from None
    except Exception as exc:  # noqa: BLE001 - corrupt files raise many types
        raise _unreadable(path, exc) from None
    if not isinstance(state, dict) or "pipeline" not in state or "step" not in state:
        raise InreditError("not a nerfstudio checkpoint (no 'pipeline'/'step')", path)
    return state


def to_plain(value: Any) -> Any:
    """numpy scalars/arrays -> Python numbers/tensors, recursively; everything else as it is."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    if isinstance(value, dict):
        items = [(k, to_plain(v)) for k, v in value.items()]
        return OrderedDict(items) if isinstance(value, OrderedDict) else dict(items)
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_plain(v) for v in value)
    return value


def save_checkpoint(state: dict[str, Any], path: Path) -> Path:
    """Write atomically, then check it loads with plain `weights_only=True` (what nerfstudio runs)."""
    atomic_write(path, lambda tmp: torch.save(state, tmp))
    torch.load(path, map_location="cpu", weights_only=True)
    return path


