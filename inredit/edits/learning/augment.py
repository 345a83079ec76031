"""Weight-space augmentations of editor training pairs, all exact: hidden-neuron permutations and
rescalings (the same function), and mirrorings, axis exchanges and moves of the input coordinates that transform a pair and its target
sample points together (so the stored target SDF stays the SDF of the transformed target)."""

from __future__ import annotations

import torch

from inredit.inr import ops
from inredit.inr.weights import INRWeights


def random_permutations(inr: INRWeights, generator: torch.Generator) -> list[torch.Tensor]:
    return [torch.randperm(inr.spec.width, generator=generator) for _ in range(inr.spec.n_hidden_layers)]


def random_neuron_scales(inr: INRWeights, max_log_scale: float, generator: torch.Generator) -> list[torch.Tensor]:
    """Per hidden layer, `(B, width)` factors exp(U(-max_log_scale, max_log_scale)) (for `ops.scale_neurons`)."""
    return [torch.exp((torch.rand(w.shape[:2], generator=generator) * 2 - 1) * max_log_scale).to(w.dtype)
            for w in inr.weights[:-1]]


def rescale_batch(original: INRWeights, target: INRWeights, scales: list[torch.Tensor]):
    """Rescale the neurons of pairs, the same factors for both (a target refined from its original
    keeps its neurons); functions, and so the stored target SDF, unchanged."""
    return ops.scale_neurons(original, scales), ops.scale_neurons(target, scales)


def random_reflections(batch: int, dims: int, axes: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """`(batch, dims)` signs: -1 with probability 1/2 on each of `axes`, +1 elsewhere."""
    flip = torch.zeros(batch, dims, dtype=torch.bool)
    flip[:, list(axes)] = torch.rand(batch, len(axes), generator=generator) < 0.5
    return 1.0 - 2.0 * flip.float()


def mirror_batch(original: INRWeights, target: INRWeights, points: torch.Tensor, signs: torch.Tensor):
    """Mirror pairs and their `(B, N, d)` target sample points by per-pair axis `signs` `(B, d)`.

    The mirrored target is x -> target(s x), so its SDF at s p is the stored SDF at p.
    """
    return original.reflect_inputs(signs), target.reflect_inputs(signs), points * signs[:, None, :]


def random_axis_orders(batch: int, dims: int, axes: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """`(batch, dims)` permutations of 0..dims-1 that shuffle `axes` among themselves at random."""
    perms = torch.arange(dims).repeat(batch, 1)
    axes_t = torch.tensor(axes)
    shuffled = torch.stack([torch.randperm(len(axes), generator=generator) for _ in range(batch)])
    perms[:, axes_t] = axes_t[shuffled]
    return perms


def permute_batch(original: INRWeights, target: INRWeights, points: torch.Tensor, perms: torch.Tensor):
    """Exchange coordinate axes of pairs and their `(B, N, d)` target sample points by per-pair `perms`.

    The permuted target reads x[d] where the stored one read x[perms[d]], so its SDF at p[perms] is
    the stored SDF at p.
    """
    return original.permute_inputs(perms), target.permute_inputs(perms), torch.gather(
        points, 2, perms[:, None, :].expand(-1, points.shape[1], -1))


def random_translations(batch: int, dims: int, axes: tuple[int, ...], max_offset: float, generator: torch.Generator) -> torch.Tensor:
    """`(batch, dims)` offsets, uniform in [-max_offset, max_offset] on `axes`, 0 elsewhere."""
    offsets = torch.zeros(batch, dims)
    offsets[:, list(axes)] = (torch.rand(batch, len(axes), generator=generator) * 2 - 1) * max_offset
    return offsets


def translate_batch(original: INRWeights, target: INRWeights, points: torch.Tensor, offsets: torch.Tensor):
    """Move pairs and their `(B, N, d)` target sample points by per-pair `offsets` `(B, d)`.

    The moved target is x -> target(x - t), so its SDF at p + t is the stored SDF at p.
    """
    return original.translate_inputs(offsets), target.translate_inputs(offsets), points + offsets[:, None, :]
