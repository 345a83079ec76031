"""The geometry INR of a trained `inredit-sdf` run: read from its checkpoint (checked against the
run's config) and written back into a copy of the checkpoint state with the edit recorded."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from inredit.errors import InreditError
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights
from inredit.nerfstudio.checkpoint import (
    GEOMETRY_STATE_FORMAT,
    find_checkpoint,
    geometry_prefix,
    load_checkpoint,
    to_plain,
)
from inredit.nerfstudio.runs import RunConfig, check_method, load_run_config


@dataclass
class SourceRun:
    config_path: Path
    config: RunConfig
    checkpoint_path: Path
    step: int
    state: dict[str, Any]
    inr: INRWeights  # batch of one



def config_spec(config: RunConfig) -> INRSpec:
    """The geometry spec an inredit-sdf config asks for (`InreditSDFModelConfig.inr_spec`)."""
    default = INRSpec()
    return INRSpec(n_frequencies=int(config.model("geometry_frequencies", default.n_frequencies)),
                   width=int(config.model("geometry_width", default.width)),
                   n_hidden_layers=int(config.model("geometry_hidden_layers", default.n_hidden_layers)))


def geometry_spec(state: dict[str, Any], config: RunConfig, path: Path) -> INRSpec:
    """The geometry spec recorded in the checkpoint; it must agree with the run's config."""
    key = geometry_prefix(state["pipeline"]) + "_extra_state"
    extra = state["pipeline"].get(key)
    if not isinstance(extra, dict) or extra.get("format") != GEOMETRY_STATE_FORMAT:
        raise InreditError(f"checkpoint has no inredit geometry (key '{key}' missing): not an inredit-sdf checkpoint",
                           path)
    try:
        spec = INRSpec.from_dict(extra["spec"])
    except (InreditError, TypeError, KeyError) as exc:
        raise InreditError(f"bad geometry spec in checkpoint ({exc})", path) from None
    try:
        expected = config_spec(config)
    except (InreditError, TypeError, ValueError) as exc:
        raise InreditError(f"bad geometry settings in the run config ({exc})", config.path) from None
    if expected != spec:
        raise InreditError(f"checkpoint geometry spec {spec.describe()} differs from the config's "
                           f"{expected.describe()}", path)
    return spec


def geometry_from_state(state: dict[str, Any], spec: INRSpec, path: Path) -> INRWeights:
    pipeline = state["pipeline"]
    prefix = geometry_prefix(pipeline)
    weights = []
    for i, shape in enumerate(spec.layer_shapes()):
        key = f"{prefix}weight_{i}"
        tensor = pipeline.get(key)
        if not isinstance(tensor, torch.Tensor):
            raise InreditError(f"checkpoint lacks the geometry tensor '{key}'", path)
        if tuple(tensor.shape) != shape:
            raise InreditError(f"geometry tensor '{key}' has shape {tuple(tensor.shape)}, spec "
                               f"{spec.describe()} needs {shape}", path)
        weights.append(tensor.detach().float().unsqueeze(0).clone())
    inr = INRWeights(spec, weights, names=[str(path)])
    inr.check_finite(path)
    return inr


def open_run(config_path: str | Path, step: int | None = None) -> SourceRun:
    """Load and check one run: method, checkpoint, geometry tensors and spec."""
    config_path = Path(config_path)
    config = load_run_config(config_path)
    check_method(config)
    found_step, ckpt = find_checkpoint(config.checkpoint_dir(), step, config_path)
    state = load_checkpoint(ckpt)
    spec = geometry_spec(state, config, ckpt)
    return SourceRun(config_path, config, ckpt, found_step, state, geometry_from_state(state, spec, ckpt))


def edited_state(source: SourceRun, edited: INRWeights, record: dict[str, Any]) -> dict[str, Any]:
    """The source checkpoint with the geometry weights replaced (same dtype) and the edit recorded."""
    state = to_plain(source.state)
    pipeline = state["pipeline"]
    prefix = geometry_prefix(pipeline)
    for i, w in enumerate(edited.weights):
        key = f"{prefix}weight_{i}"
        pipeline[key] = w[0].detach().to(dtype=pipeline[key].dtype).contiguous().clone()
    extra = copy.deepcopy(pipeline[prefix + "_extra_state"])
    extra["edits"] = list(extra.get("edits", [])) + [record]
    pipeline[prefix + "_extra_state"] = extra
    return state
