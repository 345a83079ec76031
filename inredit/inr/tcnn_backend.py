"""Optional tiny-cuda-nn backend, used when `tinycudann` imports and CUDA is present.

tinycudann raises at import time without a GPU (`bindings/torch/tinycudann/modules.py:19-20`),
so every use goes through `tcnn_available()`. Weights move between tcnn and the canonical list
with `inredit.inr.tcnn_layout`.
"""

from __future__ import annotations

import functools

import torch

from inredit.errors import InreditError
from inredit.inr.spec import INRSpec
from inredit.inr.tcnn_layout import canonical_to_tcnn_params, tcnn_params_to_canonical
from inredit.inr.weights import INRWeights


@functools.lru_cache(maxsize=1)
def _import_tcnn():
    if not torch.cuda.is_available():
        return None
    try:
        import tinycudann  # type: ignore[import-not-found]
    except Exception:  # ImportError, or EnvironmentError from its GPU check
        return None
    return tinycudann


def tcnn_available() -> bool:
    return _import_tcnn() is not None


def tcnn_config(spec: INRSpec) -> tuple[dict, dict]:
    encoding = {"otype": "Frequency", "n_frequencies": spec.n_frequencies}
    network = {
        "otype": "FullyFusedMLP",
        "activation": "ReLU",
        "output_activation": "None",
        "n_neurons": spec.width,
        "n_hidden_layers": spec.n_hidden_layers,
    }
    return encoding, network


def make_tcnn_module(spec: INRSpec, inr: INRWeights | None = None) -> torch.nn.Module:
    """A `tcnn.NetworkWithInputEncoding` for the spec, loaded with `inr` (one network) if given."""
    tcnn = _import_tcnn()
    if tcnn is None:
        raise InreditError("the tcnn backend needs the tinycudann package and a CUDA GPU")
    encoding, network = tcnn_config(spec)
    module = tcnn.NetworkWithInputEncoding(spec.n_input_dims, spec.n_output_dims, encoding, network)
    if inr is not None:
        if inr.batch_size != 1:
            raise InreditError("a tcnn module holds one INR; select one from the batch first")
        with torch.no_grad():
            module.params.copy_(canonical_to_tcnn_params(inr)[0].to(module.params.device))
    return module


def tcnn_module_to_canonical(module: torch.nn.Module, spec: INRSpec) -> INRWeights:
    return tcnn_params_to_canonical(module.params.detach().cpu(), spec)
