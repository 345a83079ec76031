"""Fitting and pair building on a Ray cluster: one task per fit batch or per pair shard.

    inredit fit meshes/*.obj --out /shared/inrs --ray                          # a local Ray instance
    inredit make-pairs --config configs/pairs/dilate.yaml --out /shared/pairs --ray ray://head:10001

The work is embarrassingly parallel and already written shard by shard (or INR by INR) with atomic
writes, so a task is exactly what one local worker does: each writes its own files into the
output folder, which must be a path every node sees (a shared filesystem). The driver checks the
input first, skips finished work (the same resume rules as without Ray), submits the rest with
per-task resources, retries a task whose worker died (`retries`; a task that raises, e.g. on bad
input, is not retried), and shows one progress bar for all tasks. Ray is an optional extra
(`pip install 'inredit[ray]'`) imported only here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inredit.errors import InreditError

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RaySettings:
    address: str | None = None  # None or "local": start a local Ray instance; "auto", "ray://host:port"
    cpus: float = 1.0  # per task
    gpus: float = 0.0  # per task (fits then run on CUDA)
    retries: int = 3  # re-runs of a task whose worker process died


def connect(settings: RaySettings):
    try:
        import ray
    except ImportError:
        raise InreditError("--ray needs the 'ray' extra: pip install 'inredit[ray]'") from None
    if not ray.is_initialized():
        address = None if settings.address in (None, "", "local") else settings.address
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    return ray


def run_tasks(task: Callable[..., Any], arguments: Sequence[tuple], settings: RaySettings,
              on_progress: Progress | None = None, what: str = "tasks") -> list[Any]:
    """`task(*args)` for every tuple of `arguments` as Ray tasks; results in input order."""
    ray = connect(settings)
    remote = ray.remote(num_cpus=settings.cpus, num_gpus=settings.gpus, max_retries=settings.retries)(task)
    pending = {remote.remote(*args): k for k, args in enumerate(arguments)}
    results: list[Any] = [None] * len(arguments)
    done = 0
    if on_progress is not None:
        on_progress(f"Ray: 0/{len(arguments)} {what}", 0, len(arguments))
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            k = pending.pop(ref)
            try:
                results[k] = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:  # the task's own error: show it as ours
                for ref_left in pending:
                    ray.cancel(ref_left)
                cause = getattr(exc, "cause", None)
                raise cause if isinstance(cause, InreditError) else InreditError(f"Ray task failed: {cause}") from None
            done += 1
            if on_progress is not None:
                on_progress(f"Ray: {done}/{len(arguments)} {what}", done, len(arguments))
    return results


def _threads(cpus: float) -> None:
    import torch

    torch.set_num_threads(max(1, int(cpus)))


def fit_batch_task(paths: list[str], out_dir: str, job, init, cpus: float):
    """One Ray task: fit and write one batch of meshes (`inredit.fitting.meshes.fit_meshes` as without Ray)."""
    from inredit.fitting.meshes import fit_meshes

    _threads(cpus)
    return fit_meshes(paths, out_dir, job, init=init)


def fit_meshes_on_ray(mesh_paths: Sequence[str | Path], out_dir: str | Path, job, settings: RaySettings,
                      init=None, on_progress: Progress | None = None) -> list:
    """`fit_meshes` with one Ray task per batch of `job.batch_size` shapes still to fit."""
    import dataclasses

    from inredit.fitting.meshes import plan_fits

    out_dir = Path(out_dir)
    meshes, records, todo = plan_fits(mesh_paths, out_dir, job)  # bad input fails here, before any task starts
    if settings.gpus > 0:
        job = dataclasses.replace(job, device="cuda")
    paths = [str(item.path) for item in todo]
    batches = [paths[k:k + job.batch_size] for k in range(0, len(paths), job.batch_size)]
    for batch in run_tasks(fit_batch_task, [(b, str(out_dir), job, init, settings.cpus) for b in batches], settings,
                           on_progress, what="fit batches"):
        records.update({r.name: r for r in batch})
    return [records[item.name] for item in meshes]


def pair_shard_task(config, out_dir: str, shard: int, cpus: float) -> int:
    """One Ray task: build and write one pair shard (`inredit.pairs.builder` as without Ray)."""
    from inredit.pairs.builder import write_shard

    _threads(cpus)
    write_shard(config, Path(out_dir), shard)
    return shard


def build_pairs_on_ray(config, out_dir: str | Path, settings: RaySettings,
                       on_progress: Progress | None = None) -> dict | None:
    """`build_pairs` with one Ray task per missing shard; merges the index and card at the end."""
    from inredit.pairs.builder import merge, prepare_output, shard_is_done, shard_path

    out_dir = Path(out_dir)
    prepare_output(out_dir, config)
    todo = [k for k in range(config.n_shards) if not shard_is_done(shard_path(out_dir, k), config)]
    run_tasks(pair_shard_task, [(config, str(out_dir), k, settings.cpus) for k in todo], settings, on_progress,
              what="pair shards")
    return merge(out_dir, config)
