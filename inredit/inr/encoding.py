"""tiny-cuda-nn's Frequency encoding, in torch.

tcnn `include/tiny-cuda-nn/encodings/frequency.h:58-77`: for output j, dim = j / (2F),
k = (j/2) % F, phase = (j%2)*pi/2, out[j] = sin(2^k * pi * x[dim] + phase), i.e.
out[d*2F + 2k] = sin(2^k pi x_d), out[d*2F + 2k + 1] = cos(2^k pi x_d); no raw input.
Inside NetworkWithInputEncoding the output is padded to a multiple of 16 with **ones**
(frequency.h:64-65), so the padded columns of the first matrix act as a bias.
(nerfstudio's NeRFEncoding differs: 2*pi and all sines before all cosines.)
"""

from __future__ import annotations

import math

import torch

from inredit.inr.spec import INRSpec


def frequency_features(x: torch.Tensor, spec: INRSpec) -> torch.Tensor:
    """`(..., d)` points -> `(..., n_encoded_dims)` features in tcnn order (no padding)."""
    if x.shape[-1] != spec.n_input_dims:
        raise ValueError(f"expected points with {spec.n_input_dims} coordinates, got {x.shape[-1]}")
    freqs = math.pi * (2.0 ** torch.arange(spec.n_frequencies, dtype=x.dtype, device=x.device))
    angles = x.unsqueeze(-1) * freqs  # (..., d, F)
    # stack sin/cos last so that flattening gives [d][k][sin, cos]
    return torch.stack((torch.sin(angles), torch.cos(angles)), dim=-1).flatten(-3)


def frequency_encode(x: torch.Tensor, spec: INRSpec) -> torch.Tensor:
    """`(..., d)` points -> `(..., n_padded_input_dims)` features in tcnn order, padded with ones."""
    features = frequency_features(x, spec)
    n_pad = spec.n_padded_input_dims - spec.n_encoded_dims
    if n_pad:
        ones = torch.ones(*features.shape[:-1], n_pad, dtype=x.dtype, device=x.device)
        features = torch.cat((features, ones), dim=-1)
    return features
