"""tiny-cuda-nn's flat parameter vector <-> canonical weights, and a numpy reference of its forward.

No GPU is needed here; this is the contract the tcnn backend relies on. Source lines refer to
NVlabs/tiny-cuda-nn master @6ee3546 (no layout change since v1.6):

- `src/fully_fused_mlp.cu:659-671`: the only parameters are weight matrices (no biases).
  Order (`set_params_impl`, `fully_fused_mlp.cu:857-866`): first `[W, in_pad]`, then
  `n_hidden_layers - 1` hidden `[W, W]`, then last `[out_pad, W]`.
- `include/tiny-cuda-nn/networks/fully_fused_mlp.h:242`: matrices are row-major `GPUMatrix<T, RM>`
  of shape `[out, in]`; the kernel computes `y = W x` (`fully_fused_mlp.cu:63,67,89`), so
  `params[a:b].view(out, in)` is the matrix.
- `fully_fused_mlp.cu:656` / `fully_fused_mlp.h:110-112`: `out_pad = next_multiple(n_out, 16)`;
  the torch wrapper cuts the output back to `n_out` (`bindings/torch/tinycudann/modules.py:233`),
  so the extra rows of the last matrix are never used.
- `include/tiny-cuda-nn/network_with_input_encoding.h:47,115-130`: the encoding output is aligned
  to 16 and padded with ones (`encodings/frequency.h:64-65`); flat params are network params
  first, then encoding params (Frequency has none).
- `bindings/torch/tinycudann/modules.py:203-215,230`: the stored Parameter `params` is a float32
  1-D vector, cast to half for the fp16 network at each forward.
"""

from __future__ import annotations

import numpy as np
import torch

from inredit.errors import InreditError
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights


def tcnn_matrix_shapes(spec: INRSpec) -> list[tuple[int, int]]:
    """Shapes of the matrices in tcnn's flat vector (last one padded to out_pad rows)."""
    shapes = spec.layer_shapes()
    shapes[-1] = (spec.n_padded_output_dims, spec.width)
    return shapes


def tcnn_n_params(spec: INRSpec) -> int:
    return sum(o * i for o, i in tcnn_matrix_shapes(spec))


def tcnn_params_to_canonical(params: torch.Tensor, spec: INRSpec) -> INRWeights:
    """Flat tcnn vector(s) `(P,)` or `(B, P)` -> canonical float32 weights (padding rows dropped)."""
    if params.dim() == 1:
        params = params.unsqueeze(0)
    expected = tcnn_n_params(spec)
    if params.shape[-1] != expected:
        raise InreditError(f"tcnn parameter vector has {params.shape[-1]} entries, spec {spec.describe()} needs {expected}")
    params = params.detach().float()
    weights, offset = [], 0
    for out_dim, in_dim in tcnn_matrix_shapes(spec):
        size = out_dim * in_dim
        weights.append(params[:, offset : offset + size].reshape(-1, out_dim, in_dim).clone())
        offset += size
    weights[-1] = weights[-1][:, : spec.n_output_dims, :].contiguous()
    return INRWeights(spec, weights)


def canonical_to_tcnn_params(inr: INRWeights) -> torch.Tensor:
    """Canonical weights -> flat float32 tcnn vectors `(B, P)`; unused output rows are zero."""
    if inr.biases is not None:
        raise InreditError("tcnn's FullyFusedMLP has no biases; this INR has bias vectors")
    spec = inr.spec
    weights = list(inr.weights)
    last = weights[-1]
    padded = last.new_zeros(last.shape[0], spec.n_padded_output_dims, spec.width)
    padded[:, : spec.n_output_dims] = last
    weights[-1] = padded
    return torch.cat([w.reshape(w.shape[0], -1) for w in weights], dim=1).float()


def numpy_reference_forward(params: np.ndarray, spec: INRSpec, x: np.ndarray) -> np.ndarray:
    """What tcnn computes for one network, written from the source with plain numpy loops.

    params: flat tcnn vector `(P,)`; x: `(N, d)`. Returns `(N, n_out)`.
    """
    n = x.shape[0]
    encoded = np.ones((n, spec.n_padded_input_dims))  # padding entries are 1 (frequency.h:64-65)
    for j in range(spec.n_encoded_dims):  # frequency.h:58-77
        dim, k, phase = j // (2 * spec.n_frequencies), (j // 2) % spec.n_frequencies, (j % 2) * np.pi / 2
        encoded[:, j] = np.sin(np.ldexp(x[:, dim], k) * np.pi + phase)
    h, offset = encoded, 0
    shapes = tcnn_matrix_shapes(spec)
    for i, (out_dim, in_dim) in enumerate(shapes):
        matrix = params[offset : offset + out_dim * in_dim].reshape(out_dim, in_dim)  # row-major [out, in]
        offset += out_dim * in_dim
        h = h @ matrix.T
        if i < len(shapes) - 1:
            h = np.maximum(h, 0.0)
    return h[:, : spec.n_output_dims] * spec.output_scale
