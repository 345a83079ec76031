"""Train a DWSNet editor on a pair dataset (`inredit train-editor --config configs/editor/<edit>.yaml`).

Loss is functional: the edited INR is evaluated at the target's stored SDF samples and compared
with the exact target SDF (truncated L1, as in fitting); a weight-space MSE to the fitted target
is optional. A `cut` editor's cut field is trained with `cut_loss` instead. Inputs get random
hidden-neuron permutations and, for edits that commute with them, random mirrorings and small
moves along chosen coordinate axes (all exact in weight space: the pair and its sample points are
transformed together). AdamW with
warm-up + cosine decay and gradient clipping; validation every epoch; the best epoch is written
as the editor file, and `last.safetensors` holds everything needed to resume.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from inredit.edits.learning.augment import (
    mirror_batch,
    permute_batch,
    random_axis_orders,
    random_neuron_scales,
    random_permutations,
    random_reflections,
    random_translations,
    rescale_batch,
    translate_batch,
)
from inredit.edits.learning.baselines import FlatMLPEditor
from inredit.edits.learning.checkpoint import save_editor
from inredit.edits.learning.dwsnet import DWSNet
from inredit.edits.learning.processes import join_processes
from inredit.edits.learning.train_config import (
    TrainConfig,
    config_as_json,
    read_run_config,
)
from inredit.errors import InreditError
from inredit.files import atomic_write, atomic_write_text
from inredit.fitting.optimize import truncated_l1
from inredit.inr.torch_backend import forward
from inredit.inr.weights import INRWeights
from inredit.pairs.dataset import PairSplit, load_pairs, load_training_pairs


def build_model(config: TrainConfig, spec) -> DWSNet | FlatMLPEditor:
    if config.model == "flat-mlp":
        return FlatMLPEditor(spec, config.hidden, config.n_layers, config.gamma_init)
    if config.model != "dwsnet":
        raise InreditError(f"unknown model {config.model!r} (dwsnet or flat-mlp)")
    return DWSNet(spec, config.channels, config.n_layers, config.normalize, config.gamma_init,
                  output_init=config.output_init, mirror_inputs=config.mirror_inputs, iterations=config.iterations,
                  layer=config.layer, constant_unit=config.constant_unit,
                  canonical_scales=config.canonical_scales, cut=config.cut,
                  unit_output=config.unit_output, subtract=config.subtract)


def function_loss(edited: INRWeights, points: torch.Tensor, sdf: torch.Tensor, truncation: float,
                  weights: torch.Tensor | None = None) -> torch.Tensor:
    """Mean truncated L1 of each edited INR at its target's samples: `(B,)`; `weights` `(B, N)` per sample."""
    error = truncated_l1(forward(edited, points), sdf, truncation)
    if weights is None:
        return error.mean(dim=1)
    return (error * weights).sum(dim=1) / weights.sum(dim=1)


def cut_loss(original: INRWeights, field: INRWeights, points: torch.Tensor, sdf: torch.Tensor, truncation: float,
             margin: float) -> torch.Tensor:
    """`(B,)` loss of the cut fields h of a `cut` editor, whose edit is max(f, h) (f: the original INR).

    Where the edit removes material (the target is above f by more than a tenth of the band), h is
    asked to be the target (truncated L1). Elsewhere h only has to stay `margin` below the target (a
    hinge; beyond the band outside, nothing): max(f, h) is then f, the input's shape, whatever h does.
    """
    with torch.no_grad():
        before = forward(original, points).clamp(-truncation, truncation)
        removed = sdf.clamp(-truncation, truncation) - before > truncation / 10
    h = forward(field, points)
    kept_error = torch.where(sdf < truncation, torch.relu(h - sdf.clamp(min=-truncation) + margin), torch.zeros_like(h))
    return torch.where(removed, truncated_l1(h, sdf, truncation), kept_error).mean(dim=1)


@torch.no_grad()
def change_weights(original: INRWeights, points: torch.Tensor, sdf: torch.Tensor, truncation: float,
                   changed_weight: float) -> torch.Tensor:
    """`(B, N)` sample weights: 1 + changed_weight where the edit changes the SDF (the original INR and
    the target differ by more than a quarter of the truncation band), 1 elsewhere. An edit touches
    a small part of the shape (a handle is ~5 % of a mug's samples): without it, that part weighs little."""
    changed = (truncated_l1(forward(original, points), sdf, truncation) > truncation / 4).float()
    return 1.0 + changed_weight * changed


@torch.no_grad()
def sample_weights(original: INRWeights, points: torch.Tensor, sdf: torch.Tensor, config: TrainConfig) -> torch.Tensor | None:
    """`(B, N)` loss weights of the samples (None: all 1): `change_weights` times 1 + inside_weight inside the target."""
    weights = change_weights(original, points, sdf, config.truncation, config.changed_weight) if config.changed_weight > 0 else None
    if config.inside_weight > 0:
        inside = 1.0 + config.inside_weight * (sdf < 0).to(sdf.dtype)
        weights = inside if weights is None else weights * inside
    return weights


def anchored_loss(edited: INRWeights, original: INRWeights, points: torch.Tensor, sdf: torch.Tensor, truncation: float,
                  band: float, weights: torch.Tensor | None = None) -> torch.Tensor:
    """`(B,)` loss of edited INRs whose samples where the input already agrees with the target (same side
    of the surface, within `band`) ask to keep the input's value, not the target's. There the edit
    changes nothing; asked for the exact SDF instead, an editor learns to correct its input's fitting
    error, which it cannot know, and on real walls a few voxels thin that moves the surface enough to cut
    holes into the body. The anchored samples cost a Huber penalty (quadratic within `band`): an L1 at
    zero error would pin every weight and the editor would never leave the identity edit."""
    with torch.no_grad():
        before = forward(original, points)
        agrees = ((before - sdf).abs() < band) & ((before < 0) == (sdf < 0))
    pred = forward(edited, points)
    kept = torch.nn.functional.huber_loss(pred, before, reduction="none", delta=band) / band  # |d| - band/2 beyond band
    error = torch.where(agrees, kept, truncated_l1(pred, sdf, truncation))
    if weights is None:
        return error.mean(dim=1)
    return (error * weights).sum(dim=1) / weights.sum(dim=1)


@torch.no_grad()
def evaluate_loss(model: DWSNet | FlatMLPEditor, split: PairSplit, truncation: float, batch_size: int = 64) -> float:
    """Mean function loss over a split: of the edited INRs, or of a `subtract` editor's removed solids."""
    model.eval()
    kwargs = {"composed": False} if getattr(model, "subtract", False) else {}
    losses = []
    for start in range(0, split.original.batch_size, batch_size):
        idx = torch.arange(start, min(start + batch_size, split.original.batch_size))
        edited = model(split.original.select(idx), **kwargs)
        losses.append(function_loss(edited, split.target_points[idx], split.target_sdf[idx], truncation))
    model.train()
    return float(torch.cat(losses).mean())


def _save_state(path: Path, model: DWSNet, optimizer: torch.optim.Optimizer, state: dict) -> None:
    tensors = {f"model.{k}": v.detach().clone() for k, v in model.state_dict().items()}
    opt_state = optimizer.state_dict()
    for index, values in opt_state["state"].items():
        for name, value in values.items():
            tensors[f"optimizer.{index}.{name}"] = torch.as_tensor(value).detach().clone()
    meta = {"state": state, "param_groups": opt_state["param_groups"]}
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata={"inredit": json.dumps(meta)}))


def _load_state(path: Path, model: DWSNet, optimizer: torch.optim.Optimizer) -> dict:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = json.loads(f.metadata()["inredit"])
    tensors = load_file(str(path))
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
    state: dict = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    return meta["state"]


def train_editor(config: TrainConfig, out_dir: str | Path, on_progress: Callable[[str, int, int], None] | None = None,
                 max_epochs: int | None = None) -> dict:
    """Train (or resume) into OUT: `editor.safetensors` (best), `last.safetensors`, `history.json`.

    `max_epochs` stops early after that many epochs of this call (used to test resuming).
    Under `torchrun --nproc-per-node N` the N processes train one model with DistributedDataParallel:
    every process draws the same global batch and augmentations (same seeds), computes its share of
    the pairs (rows rank, rank + N, ...), and the gradients are averaged; rank 0 writes the files.
    The result equals a one-process run with the same `batch_size` up to float summation order.
    """
    out_dir = Path(out_dir)
    processes = join_processes()
    out_dir.mkdir(parents=True, exist_ok=True)
    config_file = out_dir / "train_config.json"
    as_json = config_as_json(config)
    if config_file.exists() and read_run_config(out_dir) != as_json:
        raise InreditError("holds a training run of another config: use a new --out folder", out_dir)
    if processes.main:
        atomic_write_text(config_file, json.dumps(as_json, indent=2))

    train = load_training_pairs(config.data, list(config.refit_data), list(config.extra_data))
    val = load_pairs(config.data, "val")
    data_config = json.loads((Path(config.data) / "index.json").read_text())["config"]
    if data_config["edit"] != config.edit:  # the editor file is named by its edit: it must be the data's
        raise InreditError(f"the pairs show the edit '{data_config['edit']}', the training config says '{config.edit}'",
                           config.data)
    if (data_config.get("target", "edited") == "removed") != config.subtract:
        raise InreditError("a subtract editor needs pairs whose target is the removed solid (target: removed), "
                           "and only it can use them", config.data)
    torch.manual_seed(config.seed)
    model = build_model(config, train.original.spec)
    model.set_input_statistics(train.original)
    trained = model
    if processes.world > config.batch_size:
        raise InreditError(f"batch_size {config.batch_size} is smaller than the {processes.world} processes")
    if processes.world > 1:
        from torch.nn.parallel import DistributedDataParallel

        trained = DistributedDataParallel(model)  # same initial weights everywhere: one seed
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)
    n_train = train.original.batch_size
    steps_per_epoch = max(1, n_train // config.batch_size)
    total_steps = steps_per_epoch * config.epochs

    state = {"epoch": 0, "step": 0, "best_val": float("inf"), "history": [], "seconds": 0.0}
    last = out_dir / "last.safetensors"
    if last.exists():
        state = _load_state(last, model, optimizer)

    epochs_this_call = 0
    while state["epoch"] < config.epochs and (max_epochs is None or epochs_this_call < max_epochs):
        start = time.perf_counter()
        generator.manual_seed(config.seed * 1_000_003 + state["epoch"])  # per-epoch stream: resuming repeats it
        order = torch.randperm(n_train, generator=generator)
        epoch_loss = 0.0
        for b in range(steps_per_epoch):
            idx = order[b * config.batch_size : (b + 1) * config.batch_size]
            original, target = train.original.select(idx), train.target.select(idx)
            if config.augment_permutations:
                perms = random_permutations(original, generator)
                original, target = original.permute_hidden(perms), target.permute_hidden(perms)
            if config.augment_rescaling > 0:
                scales = random_neuron_scales(original, config.augment_rescaling, generator)
                original, target = rescale_batch(original, target, scales)
            choice = torch.randint(train.target_sdf.shape[1], (config.points_per_pair,), generator=generator)
            points = train.target_points[idx][:, choice]
            if config.augment_reflections:
                signs = random_reflections(len(idx), original.spec.n_input_dims, config.augment_reflections, generator)
                original, target, points = mirror_batch(original, target, points, signs)
            if config.augment_axis_swaps:
                axis_orders = random_axis_orders(len(idx), original.spec.n_input_dims, config.augment_axis_swaps, generator)
                original, target, points = permute_batch(original, target, points, axis_orders)
            if config.augment_translations:
                offsets = random_translations(len(idx), original.spec.n_input_dims, config.augment_translations,
                                              config.translation_range, generator)
                original, target, points = translate_batch(original, target, points, offsets)
            sdf = train.target_sdf[idx][:, choice]
            if processes.world > 1:  # this process's share of the global batch
                mine = processes.share(len(idx))
                original, target, points, sdf = original.select(mine), target.select(mine), points[mine], sdf[mine]
            if config.cut:
                field = trained(original, composed=False)
                per_inr = cut_loss(original, field, points, sdf, config.truncation, config.cut_margin)
            else:  # a subtract editor is trained on the solid it removes
                edited = trained(original, composed=False) if config.subtract else trained(original)
                weights = sample_weights(original, points, sdf, config)
                if config.anchor_band > 0:
                    per_inr = anchored_loss(edited, original, points, sdf, config.truncation, config.anchor_band, weights)
                else:
                    per_inr = function_loss(edited, points, sdf, config.truncation, weights)
            # sum / global batch, times N: DDP's gradient mean over processes is the global batch mean
            loss = per_inr.sum() * processes.world / len(idx)
            if config.weight_loss > 0:
                loss = loss + config.weight_loss * sum(
                    ((e - t) / s).pow(2).mean() for e, t, s in zip(edited.weights, target.weights, model.input_scale))
            for group in optimizer.param_groups:
                group["lr"] = config.lr_at(state["step"], total_steps)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            state["step"] += 1
            epoch_loss += processes.mean(loss.item())
            if on_progress is not None and processes.main:
                on_progress(f"epoch {state['epoch'] + 1}/{config.epochs} loss {loss.item():.4f}", state["step"], total_steps)
        val_loss = evaluate_loss(model, val, config.truncation)
        state["epoch"] += 1
        state["seconds"] += time.perf_counter() - start
        state["history"].append({"epoch": state["epoch"], "train_loss": epoch_loss / steps_per_epoch, "val_loss": val_loss})
        if val_loss < state["best_val"]:
            state["best_val"] = val_loss
            card = {"data": str(config.data), "train_pairs": n_train, "val_pairs": val.original.batch_size,
                    "epoch": state["epoch"], "val_function_loss": val_loss, "train_config": dataclasses.asdict(config),
                    "processes": processes.world}
            if processes.main:
                save_editor(out_dir / "editor.safetensors", model, config.edit, card)
        if processes.main:
            _save_state(last, model, optimizer, state)
            atomic_write_text(out_dir / "history.json", json.dumps(state["history"], indent=1))
        processes.barrier()  # nobody resumes or reads a half-written epoch
        epochs_this_call += 1
    return state
