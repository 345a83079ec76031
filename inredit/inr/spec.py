"""`INRSpec`: everything that makes two INRs weight-compatible.

The layout is the one tiny-cuda-nn's `NetworkWithInputEncoding(Frequency, FullyFusedMLP)` uses
(see `inredit/inr/tcnn_layout.py` for the source lines), so a tcnn-trained network and a
torch-trained one share one canonical weight list.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from inredit.errors import InreditError

# FullyFusedMLP only instantiates these widths (tiny-cuda-nn src/network.cu:116-122).
FULLY_FUSED_WIDTHS = (16, 32, 64, 128)
ACTIVATIONS = ("relu",)


def next_multiple(value: int, multiple: int) -> int:
    return ((value + multiple - 1) // multiple) * multiple


@dataclass(frozen=True)
class INRSpec:
    """Architecture of a shape INR: x in [-1,1]^d -> frequency encoding -> bias-free ReLU MLP."""

    n_input_dims: int = 3
    n_frequencies: int = 6
    width: int = 64  # chosen by benchmarks/fit_specs.py on third-party meshes (see README)
    n_hidden_layers: int = 3  # tcnn meaning: number of hidden layers, i.e. n_matrices - 1
    n_output_dims: int = 1
    activation: str = "relu"
    encoding: str = "frequency"
    alignment: int = 16  # tcnn pads encoding output and network output to multiples of 16
    output_scale: float = 1.0  # SDF = network output * output_scale
    init_seed: int = 1337  # shared initialization (tcnn's torch bindings also seed 1337)

    def __post_init__(self) -> None:
        problems = []
        if self.encoding != "frequency":
            problems.append(f"encoding {self.encoding!r} is not supported (only 'frequency')")
        if self.activation not in ACTIVATIONS:
            problems.append(f"activation {self.activation!r} is not one of {ACTIVATIONS}")
        if self.width not in FULLY_FUSED_WIDTHS:
            problems.append(f"width {self.width} is not one of {FULLY_FUSED_WIDTHS} (FullyFusedMLP)")
        if self.n_hidden_layers < 1:
            problems.append("n_hidden_layers must be >= 1")
        if self.n_frequencies < 1 or self.n_input_dims < 1 or self.n_output_dims < 1:
            problems.append("n_frequencies, n_input_dims and n_output_dims must be >= 1")
        if self.alignment < 1:
            problems.append("alignment must be >= 1")
        elif self.n_padded_input_dims == self.n_encoded_dims:
            # tcnn pads the encoding with ones only up to the alignment; without a ones column a
            # bias-free ReLU MLP has no constant input, and a region where every last-layer unit is
            # off stays at exactly f = 0 with zero gradient (freq8 fits collapsed to IoU 0 that way)
            problems.append(
                f"{self.n_encoded_dims} encoding features are a multiple of alignment {self.alignment}, so tiny-cuda-nn "
                f"adds no ones-padding column and the network has no constant input; choose n_frequencies so that "
                f"{2 * self.n_input_dims} x n_frequencies is not a multiple of {self.alignment}")
        if problems:
            raise InreditError("invalid INRSpec: " + "; ".join(problems))

    # -- derived sizes -------------------------------------------------------------------------
    @property
    def n_encoded_dims(self) -> int:
        """Encoding features before padding: sin and cos per frequency per input dim."""
        return self.n_input_dims * self.n_frequencies * 2

    @property
    def n_padded_input_dims(self) -> int:
        """Width of the first matrix's input: encoding output padded (with ones) by tcnn."""
        return next_multiple(self.n_encoded_dims, self.alignment)

    @property
    def n_padded_output_dims(self) -> int:
        return next_multiple(self.n_output_dims, self.alignment)

    @property
    def n_layers(self) -> int:
        """Number of weight matrices."""
        return self.n_hidden_layers + 1

    def layer_shapes(self) -> list[tuple[int, int]]:
        """Canonical `(out, in)` shapes: padded input, unpadded output."""
        shapes = [(self.width, self.n_padded_input_dims)]
        shapes += [(self.width, self.width)] * (self.n_hidden_layers - 1)
        shapes.append((self.n_output_dims, self.width))
        return shapes

    def n_params(self) -> int:
        return sum(o * i for o, i in self.layer_shapes())

    # -- serialization -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> INRSpec:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise InreditError(f"invalid INRSpec: unknown fields {sorted(unknown)}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> INRSpec:
        return cls.from_dict(json.loads(text))

    def digest(self) -> str:
        """Short stable id (same across processes, unlike `hash`)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:12]

    @property
    def short_name(self) -> str:
        """`freq<F>-w<W>-h<H>`, the form `inredit distill --spec` reads (`fitting.distill.parse_spec`)."""
        return f"freq{self.n_frequencies}-w{self.width}-h{self.n_hidden_layers}"

    def describe(self) -> str:
        return f"{self.short_name} ({self.n_params()} params, input {self.n_encoded_dims}->{self.n_padded_input_dims})"


DEFAULT_SPEC = INRSpec()
