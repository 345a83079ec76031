"""Fitting and pair building on a local Ray instance (2 CPUs): the same files as without Ray, and a
task whose worker process dies is retried until the job finishes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh
from safetensors.torch import load_file

ray = pytest.importorskip("ray")

from inredit.fitting.job import FitJob
from inredit.fitting.meshes import fit_meshes  # noqa: E402
from inredit.fitting.optimize import FitConfig  # noqa: E402
from inredit.inr.io import load_inr  # noqa: E402
from inredit.pairs.builder import build_pairs, read_shard_header, shard_path  # noqa: E402
from inredit.pairs.config import PairConfig  # noqa: E402
from inredit.ray_tasks import (  # noqa: E402
    RaySettings,
    build_pairs_on_ray,
    fit_meshes_on_ray,
    run_tasks,
)

TINY_PAIRS = PairConfig(edit="dilate", family="composition", n_pairs=4, shard_size=2, n_samples=5000,
                        original_steps=60, target_steps=20, quality_floor=0.0, iou_resolution=16,
                        stored_target_samples=128, splits=(0.5, 0.25, 0.25))


@pytest.fixture(scope="module")
def local_ray():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the tasks run one thread each: the reference runs must too
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield RaySettings(cpus=1, retries=3)
    ray.shutdown()
    torch.set_num_threads(threads)


@pytest.mark.slow  # Ray starts its workers at nice 15: on a busy machine this takes minutes
def test_pair_shards_on_ray_equal_the_single_process_build(local_ray, tmp_path):
    build_pairs(TINY_PAIRS, tmp_path / "local")
    card = build_pairs_on_ray(TINY_PAIRS, tmp_path / "ray", local_ray)
    assert card is not None and card["pairs"] == 4
    for shard in range(TINY_PAIRS.n_shards):
        a, b = (load_file(str(shard_path(tmp_path / d, shard))) for d in ("local", "ray"))
        assert a.keys() == b.keys()
        for key in a:
            torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)
        records = [read_shard_header(shard_path(tmp_path / d, shard))["records"] for d in ("local", "ray")]
        assert [r["index"] for r in records[0]] == [r["index"] for r in records[1]]
    assert build_pairs_on_ray(TINY_PAIRS, tmp_path / "ray", local_ray) is not None  # all done: nothing resubmitted


def test_fits_on_ray_equal_the_single_process_fits(local_ray, tmp_path):
    meshes = []
    for k, mesh in enumerate([trimesh.creation.box(extents=(1.0, 0.6, 0.8)), trimesh.creation.icosphere(radius=0.5),
                              trimesh.creation.capsule(height=0.6, radius=0.3)]):
        meshes.append(tmp_path / f"shape{k}.obj")
        mesh.export(meshes[-1])
    job = FitJob(fit=FitConfig(steps=80), batch_size=2, metrics=False, up="y")  # 2 tasks: 2 + 1 shapes
    local = fit_meshes(meshes, tmp_path / "local", job)
    remote = fit_meshes_on_ray(meshes, tmp_path / "ray", job, local_ray)
    assert [r.name for r in remote] == [r.name for r in local] and not any(r.skipped for r in remote)
    for a, b in zip(local, remote):
        for wa, wb in zip(load_inr(a.path)[0].weights, load_inr(b.path)[0].weights):
            torch.testing.assert_close(wa, wb, rtol=1e-5, atol=1e-6)
    assert all(r.skipped for r in fit_meshes_on_ray(meshes, tmp_path / "ray", job, local_ray))  # resumable


def test_a_task_whose_worker_dies_is_retried(local_ray, tmp_path):
    def die_once_then_square(marker: str, x: int) -> int:  # local: Ray ships it by value to the workers
        """A task whose first attempt loses its worker process (as a killed or crashed node would)."""
        path = Path(marker) / f"attempted-{x}"
        if not path.exists():
            path.touch()
            os._exit(1)
        return x * x

    results = run_tasks(die_once_then_square, [(str(tmp_path), x) for x in range(3)], local_ray)
    assert results == [0, 1, 4]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attempted-0", "attempted-1", "attempted-2"]


def test_a_task_that_raises_is_not_retried_and_reports_our_error(local_ray, tmp_path):
    from inredit.errors import InreditError

    bad = tmp_path / "bad.obj"
    bad.write_text("not a mesh\n")
    with pytest.raises(InreditError, match="bad.obj"):
        fit_meshes_on_ray([bad], tmp_path / "out", FitJob(fit=FitConfig(steps=10), metrics=False), local_ray)


def test_bare_ray_flag_means_a_local_instance():
    from inredit.cli.app import bare_ray_flag

    assert bare_ray_flag(["inredit", "fit", "a.obj", "--out", "o", "--ray"])[-1] == "--ray=local"
    assert bare_ray_flag(["inredit", "fit", "--ray", "--out", "o"])[2] == "--ray=local"
    assert bare_ray_flag(["inredit", "fit", "--ray", "auto"])[2:] == ["--ray", "auto"]
    assert np.all([a == b for a, b in zip(bare_ray_flag(["x", "--ray", "ray://h:1"]), ["x", "--ray", "ray://h:1"])])
