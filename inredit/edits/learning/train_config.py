"""The editor training config (`TrainConfig`: options, their checks, the learning-rate schedule) and
how a run stores it (`train_config.json`, read back over today's defaults)."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TrainConfig:
    data: str = "data/pairs/remove-handle"
    # refits of `data` (pair config `refit: k`: the same shapes fitted again) whose train splits join it
    refit_data: tuple[str, ...] = ()
    # other pair datasets of the same edit and spec, other shapes (seed / family), whose train splits join
    extra_data: tuple[str, ...] = ()
    edit: str = "remove-handle"
    model: str = "dwsnet"  # or "flat-mlp" (baseline)
    channels: int = 16  # dwsnet
    hidden: int = 256  # flat-mlp
    n_layers: int = 4
    normalize: bool = True
    gamma_init: float = 0.1
    layer: str = "full"  # dwsnet: "full" (full-rank fixed axes) or "embedded" (the first, low-rank layer)
    output_init: str = "small"  # dwsnet: "small" or "zero-all" (the old saddle; ablation only)
    epochs: int = 40
    batch_size: int = 32
    points_per_pair: int = 1024  # of the stored target samples, per step
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    grad_clip: float = 1.0
    weight_loss: float = 0.0
    augment_permutations: bool = True
    # rescale each hidden neuron of a pair by exp(U(-r, r)) (rows times a, outgoing columns / a: the
    # same functions, other weights; fits land anywhere on that orbit); 0 turns it off
    augment_rescaling: float = 0.0
    # axes (0=x, 1=y, 2=z) whose mirroring commutes with the edit, flipped at random per pair:
    # symmetrize(mirror_y(S)) = mirror_y(symmetrize(S)); [] turns it off
    augment_reflections: tuple[int, ...] = ()
    # axes along which moving the shape commutes with the edit (symmetrize across x = 0: y and z),
    # moved per pair by up to +-translation_range, exact in weight space; [] turns it off
    augment_translations: tuple[int, ...] = ()
    translation_range: float = 0.1
    # axes whose exchange commutes with the edit, shuffled at random per pair (dilate: all three;
    # remove-handle with y up: x and z); with augment_reflections on the same axes, every rotation
    # and mirroring of the cube that keeps the other axes; [] turns it off
    augment_axis_swaps: tuple[int, ...] = ()
    # samples where the edit changes the SDF weigh 1 + changed_weight in the loss (see change_weights)
    changed_weight: float = 0.0
    # samples inside the target weigh 1 + inside_weight: for an edit that removes material (remove-handle)
    # they are all body, and thin walls have few of them (see sample_weights)
    inside_weight: float = 0.0
    # samples where the input INR already agrees with the target (same side of the surface, within
    # anchor_band) are asked to keep the input's value: the edit changes nothing there, and correcting
    # the input's fitting error is not its job (see anchored_targets); 0 turns it off
    anchor_band: float = 0.0
    # dwsnet: axes whose mirror image of the input INR is an extra input channel (see DWSNet)
    mirror_inputs: tuple[int, ...] = ()
    iterations: int = 1  # dwsnet: residual steps per edit (see DWSNet)
    constant_unit: bool = False  # dwsnet: one more hidden neuron that outputs 1 (a bias path; see DWSNet)
    canonical_scales: bool = False  # dwsnet: inputs at unit incoming norm per neuron (rescaling-invariant; see DWSNet)
    # dwsnet: remove material only, edit = max(f, h) with a learned cut field h (see DWSNet, cut_loss);
    # h must stay cut_margin below the target where the edit changes nothing
    cut: bool = False
    cut_margin: float = 0.02
    # dwsnet: predict the solid the edit removes and subtract it, edit = max(f, -r) (see DWSNet); the data's
    # target must be that solid (PairConfig.target "removed")
    subtract: bool = False
    unit_output: bool = False  # cut editors: the input's output row at unit RMS (scale-invariant cut; see DWSNet)
    truncation: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("augment_reflections", "augment_translations", "augment_axis_swaps", "mirror_inputs"):
            axes = getattr(self, name)
            if any(axis not in (0, 1, 2) for axis in axes):
                raise ValueError(f"{name} takes axes 0, 1, 2 (x, y, z), got {list(axes)}")
        if not 0 <= self.augment_rescaling <= 3:
            raise ValueError(f"augment_rescaling is a log-scale range in [0, 3], got {self.augment_rescaling}")
        if not 0 < self.translation_range <= 0.5:
            raise ValueError(f"translation_range must be in (0, 0.5] (the unit box is 2 wide), got {self.translation_range}")
        if self.canonical_scales and self.weight_loss > 0:
            raise ValueError("weight_loss compares weights with the target's; with canonical_scales the edit starts from rescaled weights")
        if self.constant_unit and self.weight_loss > 0:
            raise ValueError("weight_loss compares weights with the target's; with constant_unit the edited INR is wider")
        if self.cut and (self.model != "dwsnet" or self.weight_loss > 0 or self.changed_weight > 0 or self.inside_weight > 0):
            raise ValueError("cut needs model dwsnet, weight_loss 0, changed_weight 0 and inside_weight 0 "
                             "(cut_loss weighs the cut itself)")
        if self.subtract and (self.model != "dwsnet" or self.cut or self.changed_weight > 0 or self.inside_weight > 0):
            raise ValueError("subtract needs model dwsnet, no cut, changed_weight 0 and inside_weight 0 "
                             "(they weigh samples of the edited shape, not of the removed solid)")
        if self.changed_weight < 0 or self.inside_weight < 0:
            raise ValueError(f"changed_weight and inside_weight must be >= 0, got {self.changed_weight} and {self.inside_weight}")
        if not 0 <= self.anchor_band < self.truncation:
            raise ValueError(f"anchor_band must be in [0, truncation), got {self.anchor_band}")
        if self.anchor_band > 0 and (self.cut or self.subtract):
            raise ValueError("anchor_band works with plain edits only (cut and subtract editors have their own targets)")
        if self.unit_output and not self.cut:
            raise ValueError("unit_output works with cut editors only")
        if not 0 <= self.cut_margin < self.truncation:
            raise ValueError(f"cut_margin must be in [0, truncation), got {self.cut_margin}")
        if len(self.augment_axis_swaps) == 1:
            raise ValueError(f"augment_axis_swaps needs two or more axes to shuffle, got {list(self.augment_axis_swaps)}")

    def lr_at(self, step: int, total: int) -> float:
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        progress = (step - self.warmup_steps) / max(1, total - self.warmup_steps)
        return 0.5 * self.lr * (1 + math.cos(math.pi * min(progress, 1.0)))


def config_as_json(config: TrainConfig) -> dict:
    """The config as stored in train_config.json (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def read_run_config(out_dir: Path) -> dict:
    """A run's train_config.json over today's defaults: runs saved before an option existed lack its key."""
    return config_as_json(TrainConfig()) | json.loads((Path(out_dir) / "train_config.json").read_text())
