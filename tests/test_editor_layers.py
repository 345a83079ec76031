import pytest
import torch

from inredit.editor.dwsnet import DWSNet
from inredit.editor.layers import DWSChannelNorm, DWSLayer
from inredit.inr.spec import INRSpec
from inredit.inr.torch_backend import forward
from inredit.inr.weights import INRWeights, init_weights

SPECS = [INRSpec(), INRSpec(width=16, n_hidden_layers=1), INRSpec(width=16, n_hidden_layers=4)]


def random_perms(spec, generator):
    return [torch.randperm(spec.width, generator=generator) for _ in range(spec.n_hidden_layers)]


def permute_channels(weights, perms):
    """P theta for channel tensors (B, C, out, in)."""
    out = list(weights)
    for h, perm in enumerate(perms):
        out[h] = out[h][:, :, perm, :]
        out[h + 1] = out[h + 1][:, :, :, perm]
    return out


def random_weights(spec, batch, channels, generator):
    return [torch.randn(batch, channels, o, i, generator=generator) for o, i in spec.layer_shapes()]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe().split(" ")[0])
def test_dws_layer_is_equivariant(spec):
    g = torch.Generator().manual_seed(0)
    layer = DWSLayer(spec.layer_shapes(), 3, 5)
    with torch.no_grad():  # non-trivial biases and weights everywhere
        for p in layer.parameters():
            p.normal_(generator=g)
    weights = random_weights(spec, 2, 3, g)
    perms = random_perms(spec, g)
    permuted_then_layer = layer(permute_channels(weights, perms))
    layer_then_permuted = permute_channels(layer(weights), perms)
    for a, b in zip(permuted_then_layer, layer_then_permuted):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    # and it is not trivially invariant: the output really moves with the permutation
    assert not torch.allclose(layer(weights)[1], permuted_then_layer[1])


def test_every_block_contributes_and_is_counted():
    spec = INRSpec()
    layer = DWSLayer(spec.layer_shapes(), 2, 3)
    counts = layer.block_parameter_counts()
    assert set(counts) == {"pointwise", "neuron_embedding", "row", "column", "global"}
    assert sum(counts.values()) == sum(p.numel() for p in layer.parameters())
    weights = random_weights(spec, 1, 2, torch.Generator().manual_seed(1))
    for name in counts:  # zeroing any block changes the output
        modules = {"pointwise": layer.pointwise, "neuron_embedding": layer.neuron_embed, "row": layer.row,
                   "column": layer.col, "global": layer.glob}[name]
        before = [w.clone() for w in layer(weights)]
        saved = [p.detach().clone() for p in modules.parameters()]
        with torch.no_grad():
            for p in modules.parameters():
                p.zero_()
        after = layer(weights)
        with torch.no_grad():
            for p, s in zip(modules.parameters(), saved):
                p.copy_(s)
        assert any(not torch.allclose(a, b) for a, b in zip(before, after)), name


def test_channel_norm_is_equivariant():
    spec = INRSpec()
    g = torch.Generator().manual_seed(2)
    norm = DWSChannelNorm(3)
    weights, perms = random_weights(spec, 2, 3, g), random_perms(spec, g)
    for a, b in zip(norm(permute_channels(weights, perms)), permute_channels(norm(weights), perms)):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("options", [{}, {"mirror_inputs": (0,)}, {"iterations": 2}],
                         ids=["plain", "mirror-x-channel", "two-steps"])
@pytest.mark.parametrize("spec", SPECS[:2], ids=lambda s: s.describe().split(" ")[0])
def test_editor_is_equivariant_and_edited_function_ignores_input_permutation(spec, options):
    # float64: equivariance is exact in real arithmetic, so only rounding (~1e-12) may differ;
    # in float32 a permuted summation order alone can move a near-zero output past any tight tolerance
    g = torch.Generator().manual_seed(3)
    editor = DWSNet(spec, channels=8, n_layers=3, gamma_init=1.0, zero_init_output=False, **options).double()
    noisy = [(w + 0.1 * torch.randn(w.shape, generator=g)).double() for w in init_weights(spec, 3).weights]
    inr = INRWeights(spec, noisy)
    editor.set_input_statistics(inr)
    perms = random_perms(spec, g)
    with torch.no_grad():
        edited = editor(inr)
        edited_from_permuted = editor(inr.permute_hidden(perms))
    for a, b in zip(edited_from_permuted.weights, edited.permute_hidden(perms).weights):
        assert a.dtype == torch.float64
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)
    points = (torch.rand(500, 3, generator=g) * 2 - 1).double()
    values = forward(edited, points)
    torch.testing.assert_close(forward(edited_from_permuted, points), values, rtol=1e-9, atol=1e-10)
    assert values.abs().max() > 1e-2  # a live function, not one collapsed to zero
    assert not torch.allclose(values, forward(inr, points), atol=1e-3)  # it did edit


def test_strength_scales_the_residual():
    spec = INRSpec()
    editor = DWSNet(spec, channels=4, n_layers=2, zero_init_output=False)
    inr = init_weights(spec, 2)
    with torch.no_grad():
        zero, half, full = editor(inr, 0.0), editor(inr, 0.5), editor(inr, 1.0)
    for w, z, h, f in zip(inr.weights, zero.weights, half.weights, full.weights):
        torch.testing.assert_close(z, w)
        torch.testing.assert_close(h - w, 0.5 * (f - w))


def test_several_steps_apply_the_residual_step_repeatedly():
    spec = INRSpec(width=16, n_hidden_layers=2)
    one_step = DWSNet(spec, channels=4, n_layers=2, zero_init_output=False)
    three_steps = DWSNet(spec, channels=4, n_layers=2, zero_init_output=False, iterations=3)
    three_steps.load_state_dict(one_step.state_dict())
    inr = init_weights(spec, 2)
    one_step.set_input_statistics(inr), three_steps.set_input_statistics(inr)
    with torch.no_grad():
        expected = one_step(one_step(one_step(inr, 0.5), 0.5), 0.5)
        for a, b in zip(three_steps(inr, 0.5).weights, expected.weights):
            torch.testing.assert_close(a, b)
    assert three_steps.config["iterations"] == 3 and "iterations" not in one_step.config
    with pytest.raises(ValueError, match="iterations"):
        DWSNet(spec, iterations=0)


def test_untrained_editor_starts_at_the_identity_edit():
    spec = INRSpec()
    inr = init_weights(spec, 2)
    with torch.no_grad():
        edited = DWSNet(spec, channels=4, n_layers=3)(inr)
    for a, b in zip(edited.weights, inr.weights):
        torch.testing.assert_close(a, b)
