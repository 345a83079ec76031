"""The default fitting job meets the foundation's quality bar on every shipped shape (12,000-step
fits: marked slow, run with `make test-slow`)."""

import pytest
from conftest import SHAPES

from inredit.fitting.job import FitJob
from inredit.fitting.optimize import fit_batch, stack_samples
from inredit.fitting.quality import inr_vs_mesh_metrics
from inredit.geometry.mesh_io import load_mesh
from inredit.geometry.sampling import sample_sdf


@pytest.mark.slow
def test_default_job_fits_every_shipped_shape():
    job = FitJob()
    meshes = [load_mesh(p) for p in sorted(SHAPES.iterdir()) if p.suffix in (".obj", ".ply", ".stl", ".off")]
    samples = [sample_sdf(m, job.sampling, seed=0) for m in meshes]
    points, sdf = stack_samples([s.points for s in samples], [s.sdf for s in samples])
    result = fit_batch(points, sdf, job.spec, job.fit)  # all shapes in one batch, as `inredit fit` does
    for i, mesh in enumerate(meshes):
        metrics = inr_vs_mesh_metrics(result.inr.select(i), mesh)
        assert metrics["iou"] >= 0.97, (mesh.path.name, metrics)
        assert metrics["chamfer_l1"] <= 0.005, (mesh.path.name, metrics)
