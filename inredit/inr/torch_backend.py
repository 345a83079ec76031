"""Functional batched forward of B INRs at once (CPU or CUDA).

Computes exactly what tcnn's NetworkWithInputEncoding(Frequency, FullyFusedMLP) computes:
encode (padded with ones) -> W_1 -> ReLU -> ... -> W_L (no output activation) -> * output_scale.
"""

from __future__ import annotations

import torch

from inredit.inr.encoding import frequency_features
from inredit.inr.weights import INRWeights


def forward(inr: INRWeights, points: torch.Tensor, negative_slope: float = 0.0) -> torch.Tensor:
    """Evaluate a batch of INRs.

    points: `(B, N, d)` (one point set per INR) or `(N, d)` (shared by all INRs).
    Returns `(B, N)` if the INR has one output, else `(B, N, n_out)`.
    `negative_slope` > 0 evaluates with leaky ReLUs instead (fitting only: tcnn's network is plain ReLU).
    """
    batch = inr.batch_size
    if points.dim() == 2:
        points = points.unsqueeze(0).expand(batch, -1, -1)
    if points.shape[0] != batch:
        raise ValueError(f"{points.shape[0]} point sets for {batch} INRs")
    spec = inr.spec
    h = frequency_features(points, spec)
    last = len(inr.weights) - 1
    for i, w in enumerate(inr.weights):
        if i == 0 and spec.n_padded_input_dims > spec.n_encoded_dims:
            # the padded input columns are constant ones: their weights sum to a bias
            # (same result as multiplying the padded encoding, without building it)
            n = spec.n_encoded_dims
            h = torch.baddbmm(w[:, :, n:].sum(-1, keepdim=True).transpose(1, 2), h, w[:, :, :n].transpose(1, 2))
        else:
            h = torch.bmm(h, w.transpose(1, 2))  # (B, N, in) x (B, in, out)
        if inr.biases is not None:
            h = h + inr.biases[i].unsqueeze(1)
        if i < last:
            if negative_slope > 0:
                h = torch.nn.functional.leaky_relu_(h, negative_slope)
            else:
                h = torch.relu_(h)  # in place: bmm's backward needs its inputs, not this output
    h = h * inr.spec.output_scale
    return h.squeeze(-1) if inr.spec.n_output_dims == 1 else h


@torch.no_grad()
def evaluate_chunked(inr: INRWeights, points: torch.Tensor, chunk: int = 65536) -> torch.Tensor:
    """`forward` for large shared point sets `(N, d)` without building huge activations."""
    outs = [forward(inr, points[i : i + chunk]) for i in range(0, points.shape[0], chunk)]
    return torch.cat(outs, dim=1)


def sdf_function(inr: INRWeights, index: int = 0):
    """The `index`-th INR of a batch as a plain SDF callable `(N, 3) -> (N,)` (for rendering)."""
    single = inr.select(index)

    def sdf(points: torch.Tensor) -> torch.Tensor:
        return forward(single, points.unsqueeze(0))[0]

    return sdf
