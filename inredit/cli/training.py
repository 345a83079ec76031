"""Commands that teach editors: build pair datasets, train an editor, evaluate editors on test pairs."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from inredit.cli.app import (
    app,
    console,
    progress_bar,
)
from inredit.errors import InreditError


@app.command("make-pairs")
def make_pairs(
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder (resumable: re-run to finish it).")],
    config: Annotated[Optional[Path], typer.Option(help="Pair config YAML (configs/pairs/<edit>.yaml); with --from-meshes, only its fit settings are used.")] = None,
    from_meshes: Annotated[Optional[Path], typer.Option("--from-meshes", help="CSV of your own mesh pairs: columns original, edited[, split]; paths relative to the CSV.")] = None,
    edit_name: Annotated[Optional[str], typer.Option("--edit", help="With --from-meshes: the name of the edit the pairs show (e.g. remove-logo).")] = None,
    shard_index: Annotated[int, typer.Option(help="This worker's index (0 .. num-shards - 1).")] = 0,
    num_shards: Annotated[int, typer.Option(help="Number of workers; worker i builds shards k with k % n == i.")] = 1,
    workers: Annotated[int, typer.Option(help="Run this many local single-threaded worker processes and merge.")] = 1,
    ray: Annotated[Optional[str], typer.Option("--ray", help="Run on Ray, one task per shard: a cluster address (auto, ray://host:10001) or nothing / 'local' for a local instance. OUT must be a shared path.")] = None,
    ray_cpus: Annotated[float, typer.Option(help="With --ray: CPUs per task.")] = 1.0,
    ray_gpus: Annotated[float, typer.Option(help="With --ray: GPUs per task.")] = 0.0,
) -> None:
    """Build (original, edited) INR pairs in shards, from a procedural config or from your own meshes
    (--from-meshes PAIRS.csv --edit NAME); the index and card are written when all shards exist."""
    from inredit.pairs.builder import SkippedPairWarning, build_pairs
    from inredit.pairs.config import PairConfig, load_pair_config, mesh_pairs_config

    if from_meshes is None:
        if config is None:
            raise InreditError("give --config (a procedural pair config) or --from-meshes PAIRS.csv --edit NAME")
        if edit_name is not None:
            raise InreditError("--edit names the edit of --from-meshes pairs; a pair config names its own edit")
        pair_config = load_pair_config(config)
    else:
        if edit_name is None:
            raise InreditError("--from-meshes needs --edit NAME: the edit your mesh pairs show")
        pair_config = mesh_pairs_config(from_meshes, edit_name, load_pair_config(config) if config else PairConfig())
    source_args = [*(["--config", str(config)] if config else []),
                   *(["--from-meshes", str(from_meshes), "--edit", edit_name] if from_meshes else [])]
    with progress_bar("sampling shapes") as update, warnings.catch_warnings():
        warnings.simplefilter("always", SkippedPairWarning)
        if ray is not None:
            from inredit.ray_tasks import RaySettings, build_pairs_on_ray

            card = build_pairs_on_ray(pair_config, out, RaySettings(ray, ray_cpus, ray_gpus), on_progress=update)
        elif workers > 1:
            from inredit.pairs.workers import run_workers

            card = run_workers(pair_config, source_args, out, workers, on_progress=update)
        else:
            card = build_pairs(pair_config, out, shard_index, num_shards, on_progress=update)
    if card is None:
        console.print(f"worker {shard_index}/{num_shards} done; run again (any worker, or one more time) to merge once all shards exist")
        return
    console.print((out / "CARD.md").read_text())

@app.command("train-editor")
def train_editor_command(
    config: Annotated[Path, typer.Option(help="Editor training config YAML (configs/editor/<edit>.yaml); only data and edit are required.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder (resumable: re-run to continue).")],
) -> None:
    """Train a DWSNet editor (or the flat-MLP baseline) on a pair dataset. Several processes:
    `torchrun --standalone --nproc-per-node N -m inredit.cli train-editor ...` (DistributedDataParallel)."""
    import os
    from contextlib import nullcontext

    from inredit.configs import load_dataclass
    from inredit.edits.learning.train import train_editor
    from inredit.edits.learning.train_config import TrainConfig

    main_process = os.environ.get("RANK", "0") == "0"  # under torchrun, rank 0 reports
    train_config = load_dataclass(TrainConfig, config, "training config")
    with progress_bar("loading pairs") if main_process else nullcontext(None) as update:
        state = train_editor(train_config, out, on_progress=update)
    if main_process:
        best = min(state["history"], key=lambda h: h["val_loss"])
        console.print(f"best epoch {best['epoch']}: val function loss {best['val_loss']:.5f} -> {out / 'editor.safetensors'}"
                      f" ({state['seconds'] / 60:.1f} min of training)")

@app.command()
def evaluate(
    data: Annotated[Path, typer.Option(help="Pair dataset folder (its test split is used).")],
    editors: Annotated[list[Path], typer.Option("--editor", help="Editor files to evaluate (repeatable).")],
    resolution: Annotated[int, typer.Option(help="IoU grid resolution.")] = 64,
    max_pairs: Annotated[Optional[int], typer.Option(help="Evaluate at most this many test pairs.")] = None,
    finetune_steps: Annotated[str, typer.Option(help="Comma-separated step counts for the fine-tune baseline.")] = "25,50,100,200,400,800,1600",
) -> None:
    """Score editors and baselines (identity, fine-tuning, direct fit) on held-out test pairs."""
    from inredit.edits.learning.checkpoint import load_editor
    from inredit.edits.learning.evaluate import evaluate as run_evaluation
    from inredit.edits.learning.evaluate import finetune_time_to_match

    models = {}
    stems = [path.stem for path in editors]
    for path in editors:
        model, header = load_editor(path)
        # runs/editors/<name>/editor.safetensors: name editors by their folder when file names clash
        label = path.stem if stems.count(path.stem) == 1 else f"{path.parent.name}/{path.stem}"
        models[f"{header['architecture'].get('kind', 'dwsnet')} ({label})"] = model
    from inredit.tables import markdown_table

    steps = tuple(int(s) for s in finetune_steps.split(",") if s.strip())
    rows = run_evaluation(data, models, resolution=resolution, max_pairs=max_pairs, finetune_steps=steps)
    keys = ["method"] + [k for k in ("iou", "chamfer_l1", "handle_emptied", "body_iou", "symmetry_iou", "gap_closed",
                                     "seconds_per_inr", "latency_b1_ms", "latency_b256_s") if any(k in r for r in rows)]
    print(f"{rows[0]['edit']}: {rows[0]['test_pairs']} test pairs\n")
    print(markdown_table(rows, keys))
    if steps:  # `--finetune-steps ""` skips the fine-tune baseline and so this comparison
        print()
        print(markdown_table([finetune_time_to_match(rows, name) for name in models]))
