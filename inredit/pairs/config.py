"""Pair dataset configs (`configs/pairs/<edit>.yaml`)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from inredit.configs import load_dataclass
from inredit.errors import InreditError
from inredit.inr.spec import INRSpec

EDITS = ("remove-handle", "symmetrize", "dilate", "erode")
FAMILIES = {"remove-handle": ("mug", "vessel", "vessel-extended", "teapot"), "symmetrize": ("composition", "mixed"),
            "dilate": ("mixed", "mug", "composition"), "erode": ("mixed", "mug", "composition")}


@dataclass(frozen=True)
class PairConfig:
    edit: str = "remove-handle"
    family: str = "mug"  # mug | vessel (mugs, cups, jugs as real ones come) | vessel-extended (+ lids,
    # cantilever and overhead handles) | teapot (vessels with a long tube spout) | composition | mixed (mugs + compositions)
    n_pairs: int = 1000
    shard_size: int = 50  # pairs fitted together in one batch and stored in one shard
    seed: int = 0
    splits: tuple[float, float, float] = (0.8, 0.1, 0.1)  # train / val / test, by shape
    radius: float = 0.05  # dilate / erode offset (normalized units)
    n_samples: int = 100_000  # SDF samples per shape
    surface_fraction: float = 0.0  # of them exactly on the surface (see geometry/sampling.py; 0.2 before)
    near_fraction: float = 0.55  # N(surface, 0.01) (0.35 before)
    original_steps: int = 12_000
    target_steps: int = 3_000  # warm-started from the original: a shorter fit
    target_lr: float = 2e-3
    points_per_step: int = 128
    quality_floor: float = 0.9  # pairs whose original or target IoU is below are rejected
    iou_resolution: int = 64
    stored_target_samples: int = 4096  # exact target SDF samples kept per pair for editor losses
    stored_original_fraction: float = 0.5  # of them, taken at the original's sample points (where the edit acts)
    max_parts: int = 0  # compositions: keep only the first N parts (0 = all 3-5); symmetrized targets of
    # 3-5 parts are too detailed for the default spec (median target IoU 0.91-0.94 in trial shards)
    spec: INRSpec = field(default_factory=INRSpec)
    refit: int = 0  # > 0: the same shapes, splits and edits fitted again from other SDF samples and
    # minibatch order, so the pairs differ from refit 0 only by fitting noise; editors trained on several
    # refits learn to ignore where in weight space a shape's fit lands (a user's mesh lands anywhere)
    leak: float = 0.0  # > 0: the originals are fitted with a leaky start (FitConfig.leak), as the fit job refits
    # the meshes it finds dead zones or a low IoU in: those fits' weights differ from plain fits' (output rows
    # 2-3x on canonical scales), and an editor that never saw such fits edits them worse
    # family "meshes": pairs from a user's CSV of (original, edited) meshes (see pairs/user_meshes.py)
    pairs_csv: str = ""  # absolute path of the CSV
    csv_sha256: str = ""  # its content: a changed CSV is another dataset
    up: str = "auto"  # the originals' up axis, as `inredit fit --up`
    # "edited": the target is the edited shape; "removed" (remove-handle): the material the edit removes, as
    # its own solid (the handles grown by removed_margin, minus the body), for editors that subtract it
    target: str = "edited"
    removed_margin: float = 0.02
    # a complete dataset whose originals this one reuses instead of fitting them again: same shapes, fit
    # settings and refit (see ORIGINAL_KEYS); only the targets are fitted
    originals: str = ""
    # an INR file (same spec) every original starts from instead of the spec's shared initialization, as
    # `inredit fit --init-from`: fits of one shape land nearer each other in weight space from a fitted start
    template: str = ""

    def __post_init__(self) -> None:
        if self.family == "meshes":
            if not self.pairs_csv:
                raise ValueError("family 'meshes' needs pairs_csv (inredit make-pairs --from-meshes PAIRS.csv)")
            if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", self.edit):
                raise ValueError(f"edit name {self.edit!r}: use lower-case letters, digits, '-' and '_'")
        elif self.edit not in EDITS:
            raise ValueError(f"unknown edit {self.edit!r} (known: {', '.join(EDITS)})")
        if self.family != "meshes" and self.family not in FAMILIES[self.edit]:
            raise ValueError(f"family {self.family!r} does not fit edit {self.edit!r} (use {FAMILIES[self.edit]})")
        if self.target not in ("edited", "removed"):
            raise ValueError(f"target {self.target!r} must be 'edited' or 'removed'")
        if self.target == "removed" and (self.edit != "remove-handle" or self.family == "meshes"):
            raise ValueError("target 'removed' is defined for procedural remove-handle pairs only")
        if not 0 <= self.removed_margin <= 0.1:
            raise ValueError(f"removed_margin {self.removed_margin} must be in [0, 0.1]")
        if self.refit < 0:
            raise ValueError(f"refit {self.refit} must be >= 0")
        if not 0 <= self.leak < 1:
            raise ValueError(f"leak {self.leak} must be in [0, 1)")
        if self.max_parts < 0:
            raise ValueError(f"max_parts {self.max_parts} must be >= 0 (0 = no limit)")
        if abs(sum(self.splits) - 1) > 1e-6 or len(self.splits) != 3:
            raise ValueError(f"splits {self.splits} must be three fractions summing to 1")

    @property
    def n_shards(self) -> int:
        return -(-self.n_pairs // self.shard_size)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        if self.family != "meshes":  # procedural configs keep the keys (and digests) they always had
            for key in ("pairs_csv", "csv_sha256", "up"):
                data.pop(key)
        if self.refit == 0:  # datasets built before refits existed keep their digest
            data.pop("refit")
        if self.leak == 0:  # the same for leaky starts
            data.pop("leak")
        if self.target == "edited":  # and for the later target and originals options
            data.pop("target")
            data.pop("removed_margin")
        if not self.originals:
            data.pop("originals")
        if not self.template:
            data.pop("template")
        data["spec"] = self.spec.to_dict()
        data["splits"] = list(self.splits)
        return data

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


# what determines a dataset's originals (their shapes, samples and fits): a dataset may reuse the originals
# of another whose config agrees on these
ORIGINAL_KEYS = ("family", "n_pairs", "shard_size", "seed", "splits", "n_samples", "surface_fraction", "near_fraction",
                 "original_steps", "points_per_step", "max_parts", "spec", "refit", "leak", "pairs_csv", "csv_sha256", "up", "template")


def mesh_pairs_config(pairs_csv: str | Path, edit: str, base: PairConfig | None = None) -> PairConfig:
    """The config of a dataset built from a user's pairs CSV: the fit settings of `base` (a pair
    config file, or the defaults), one pair per CSV row."""
    from inredit.files import file_sha256
    from inredit.pairs.user_meshes import read_pairs_csv

    pairs_csv = Path(pairs_csv).resolve()
    rows = read_pairs_csv(pairs_csv)
    base = base or PairConfig()
    try:
        return dataclasses.replace(base, edit=edit, family="meshes", n_pairs=len(rows), pairs_csv=str(pairs_csv),
                                   csv_sha256=file_sha256(pairs_csv), shard_size=min(base.shard_size, len(rows)))
    except ValueError as exc:
        raise InreditError(str(exc), pairs_csv) from None


def load_pair_config(path: str | Path) -> PairConfig:
    return load_dataclass(PairConfig, path, "pair config")
