"""Exact weight-space edits equal their function-level definitions (seeded loops over specs,
random and fitted INRs, float32 and float64)."""

import pytest
import torch
from conftest import REPO, rescale_neurons

from inredit.errors import InreditError
from inredit.inr import ops
from inredit.inr.io import load_inr
from inredit.inr.spec import FULLY_FUSED_WIDTHS, INRSpec
from inredit.inr.torch_backend import forward
from inredit.inr.weights import INRWeights, init_weights

SPECS = [INRSpec(), INRSpec(width=16, n_hidden_layers=1), INRSpec(width=64, n_hidden_layers=2), INRSpec(n_frequencies=4, width=32)]
N_POINTS = 20_000  # exactness holds pointwise: more points only add time


def random_inr(spec, batch, seed, dtype):
    g = torch.Generator().manual_seed(seed)
    base = init_weights(spec, batch)  # the last layer is scaled like a real fit's start; add shape
    return INRWeights(spec, [(w + 0.3 * w.abs().mean() * torch.randn(w.shape, generator=g)).to(dtype)
                             for w in base.weights])


def fitted_inrs(dtype):
    items = [load_inr(REPO / "ui" / "inredit_ui" / "examples" / f"{name}.safetensors")[0]
             for name in ("mug", "vase", "composition", "ring_with_peg")]
    return INRWeights.cat(items).to(dtype)


def points(dtype, seed=0):
    return (torch.rand(N_POINTS, 3, generator=torch.Generator().manual_seed(seed)) * 2 - 1).to(dtype)


def assert_same_function(got, expected, dtype):
    scale = expected.abs().max().clamp(min=1.0)
    tolerance = 1e-5 if dtype == torch.float32 else 1e-10
    assert float((got - expected).abs().max() / scale) <= tolerance
    clear = expected.abs() > 1e-6 * scale
    assert not torch.any(torch.sign(got[clear]) != torch.sign(expected[clear]))  # zero sign flips


def inr_cases():
    for dtype in (torch.float32, torch.float64):
        for i, spec in enumerate(SPECS):
            yield f"random-{spec.short_name}-{dtype}".replace("torch.", ""), random_inr(spec, 3, i, dtype), dtype
        yield f"fitted-{dtype}".replace("torch.", ""), fitted_inrs(dtype), dtype


CASES = list(inr_cases())


@pytest.mark.parametrize("name, inr, dtype", CASES, ids=[c[0] for c in CASES])
def test_every_op_equals_its_function_level_definition(name, inr, dtype):
    x = points(dtype)
    f = forward(inr, x)
    other = INRWeights.cat([inr.select(slice(1, None)), inr.select(0)])  # each INR with another shape
    g = forward(other, x)
    mirrored_x = x * torch.tensor([1.0, -1.0, 1.0], dtype=dtype)
    assert_same_function(forward(ops.mirror(inr, "y"), x), forward(inr, mirrored_x), dtype)
    assert_same_function(forward(ops.union(inr, other), x), torch.minimum(f, g), dtype)
    assert_same_function(forward(ops.intersection(inr, other), x), torch.maximum(f, g), dtype)
    assert_same_function(forward(ops.difference(inr, other), x), torch.maximum(f, -g), dtype)
    assert_same_function(forward(ops.offset(inr, 0.05), x), f - 0.05, dtype)
    assert_same_function(forward(ops.offset(inr, -0.03), x), f + 0.03, dtype)
    assert_same_function(forward(ops.symmetrize(inr, "x"), x),
                         torch.minimum(f, forward(inr, x * torch.tensor([-1.0, 1.0, 1.0], dtype=dtype))), dtype)
    swapped = x[:, [0, 2, 1]]
    assert_same_function(forward(ops.swap_axes(inr, "y", "z"), x), forward(inr, swapped), dtype)
    rotated = torch.stack([x[:, 1], -x[:, 0], x[:, 2]], 1)  # R^-1 x for +90 degrees about z
    assert_same_function(forward(ops.rotate90(inr, "z"), x), forward(inr, rotated), dtype)
    assert_same_function(forward(ops.rotate90(inr, "z", 4), x), f, dtype)
    assert_same_function(forward(ops.widen(inr, 128), x), f, dtype)
    assert_same_function(forward(ops.deepen(inr, inr.spec.n_hidden_layers + 2), x), f, dtype)
    assert_same_function(forward(ops.canonical_scales(inr), x), f, dtype)


def test_canonical_scales_pick_one_point_per_rescaling_orbit():
    inr = fitted_inrs(torch.float64)
    canonical = ops.canonical_scales(inr)
    for w in canonical.weights[:-1]:
        torch.testing.assert_close(w.norm(dim=2), torch.ones(w.shape[:2], dtype=w.dtype))
    rescaled = rescale_neurons(inr, torch.Generator().manual_seed(0))
    assert not torch.allclose(rescaled.weights[0], inr.weights[0])
    for a, b in zip(ops.canonical_scales(rescaled).weights, canonical.weights):  # same orbit -> same weights
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
    widened = ops.widen(inr, 128)  # unused (all-zero) neurons stay zero, not NaN
    assert all(torch.isfinite(w).all() for w in ops.canonical_scales(widened).weights)


def test_results_have_legal_widths_and_the_documented_specs():
    inr = random_inr(INRSpec(width=32), 2, 0, torch.float32)
    sym = ops.symmetrize(inr)
    assert (sym.spec.width, sym.spec.n_hidden_layers) == (64, 4) and sym.spec.output_scale == 1.0
    dilated = ops.offset(inr, 0.05)
    assert dilated.spec.width == 64 and dilated.spec.n_hidden_layers == 3
    assert ops.offset(dilated, -0.05).spec == dilated.spec  # reuses an unused neuron, no widening
    mixed = ops.union(inr, random_inr(INRSpec(width=16, n_hidden_layers=1), 2, 1, torch.float32))
    assert (mixed.spec.width, mixed.spec.n_hidden_layers) == (64, 4)
    for result in (sym, dilated, mixed, ops.union(sym, inr)):
        assert result.spec.width in FULLY_FUSED_WIDTHS
        result.validate()


def test_too_wide_results_and_bad_arguments_are_one_line_errors():
    wide = random_inr(INRSpec(width=128, n_hidden_layers=1), 1, 0, torch.float32)
    with pytest.raises(InreditError, match="more than tiny-cuda-nn's FullyFusedMLP allows"):
        ops.symmetrize(wide)
    with pytest.raises(InreditError, match="needs 129 neurons"):
        ops.offset(wide, 0.1)
    inr = random_inr(INRSpec(), 1, 0, torch.float32)
    with pytest.raises(InreditError, match="unknown axis 'w'"):
        ops.mirror(inr, "w")
    with pytest.raises(InreditError, match="same encoding"):
        ops.union(inr, random_inr(INRSpec(n_frequencies=4), 1, 0, torch.float32))
    with pytest.raises(InreditError, match="batches of 2 and 3"):
        ops.union(random_inr(INRSpec(), 2, 0, torch.float32), random_inr(INRSpec(), 3, 0, torch.float32))


def test_one_inr_combines_with_a_batch():
    batch, single = random_inr(INRSpec(), 3, 0, torch.float64), random_inr(INRSpec(), 1, 1, torch.float64)
    x = points(torch.float64)[:2000]
    expected = torch.minimum(forward(batch, x), forward(single, x).expand(3, -1))
    assert_same_function(forward(ops.union(batch, single), x), expected, torch.float64)
