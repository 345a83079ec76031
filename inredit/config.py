"""YAML configs for fitting (`configs/fit/*.yaml`): spec, fit, sampling and batch settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from inredit.errors import InreditError
from inredit.fit import FitConfig
from inredit.fit_meshes import FitJob
from inredit.geometry.mesh_io import check_up_axis
from inredit.geometry.sampling import SamplingConfig
from inredit.inr.spec import INRSpec

def build_dataclass(cls, values: dict | None, path: Path, section: str):
    values = values or {}
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InreditError(f"unknown keys {unknown} in section '{section}' (known: {sorted(known)})", path)
    try:
        return cls(**values)
    except ValueError as exc:  # a dataclass's own check of its values
        raise InreditError(f"section '{section}': {exc}", path) from None


def read_yaml_mapping(path: str | Path, what: str = "config") -> dict:
    """A YAML file that must hold a mapping; every problem is a one-line error naming the file."""
    path = Path(path)
    if not path.exists():
        raise InreditError(f"{what} file not found", path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InreditError(f"invalid YAML ({str(exc).splitlines()[0]})", path) from None
    if not isinstance(data, dict):
        raise InreditError(f"a {what} must be a YAML mapping", path)
    return dict(data)


def load_fit_job(path: str | Path | None = None) -> FitJob:
    """Read a fit config; `None` gives the defaults (`FitJob()`, mirrored by configs/fit/default.yaml)."""
    if path is None:
        return FitJob()
    path = Path(path)
    data = read_yaml_mapping(path, "fit config")
    unknown = sorted(set(data) - {"spec", "fit", "sampling", "batch_size", "up", "metrics", "device"})
    if unknown:
        raise InreditError(f"unknown sections {unknown}", path)
    try:
        return FitJob(
            spec=build_dataclass(INRSpec, data.get("spec"), path, "spec"),
            fit=build_dataclass(FitConfig, data.get("fit"), path, "fit"),
            sampling=build_dataclass(SamplingConfig, data.get("sampling"), path, "sampling"),
            batch_size=int(data.get("batch_size", FitJob.batch_size)),
            up=check_up_axis(data.get("up", FitJob.up), "up", path),
            metrics=bool(data.get("metrics", True)),
            device=str(data.get("device", "cpu")),
        )
    except TypeError as exc:
        raise InreditError(f"bad value ({exc})", path) from None
