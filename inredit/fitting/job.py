"""A fit job: spec, optimizer, sampling and batch settings (`configs/fit/*.yaml`, `inredit fit --config`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from inredit.configs import load_dataclass
from inredit.fitting.optimize import FitConfig
from inredit.geometry.mesh_io import check_up_axis
from inredit.geometry.sampling import SamplingConfig
from inredit.inr.spec import INRSpec


@dataclass
class FitJob:
    spec: INRSpec = field(default_factory=INRSpec)
    fit: FitConfig = field(default_factory=FitConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    batch_size: int = 64  # INRs trained together
    up: str = "auto"  # the meshes' up axis, turned onto +y: x, y, z or auto (see geometry.mesh_io.detect_up)
    metrics: bool = True  # IoU / Chamfer / NC against the source mesh after fitting
    device: str = "cpu"


def load_fit_job(path: str | Path | None = None) -> FitJob:
    """Read a fit config; `None` gives the defaults (`FitJob()`, mirrored by configs/fit/default.yaml)."""
    if path is None:
        return FitJob()
    job = load_dataclass(FitJob, path, "fit config")
    check_up_axis(job.up, "up", path)
    return job
