"""INR core: spec, canonical weights, tcnn-ordered encoding, torch/tcnn backends, weight-space ops,
file IO. May import only the top-level helpers (`errors`, `files`)."""

from inredit.inr.io import load_inr, load_inrs, save_inr
from inredit.inr.spec import DEFAULT_SPEC, INRSpec
from inredit.inr.torch_backend import evaluate_chunked, forward
from inredit.inr.weights import INRWeights, init_weights

__all__ = [
    "DEFAULT_SPEC",
    "INRSpec",
    "INRWeights",
    "evaluate_chunked",
    "forward",
    "init_weights",
    "load_inr",
    "load_inrs",
    "save_inr",
]
