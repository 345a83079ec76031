import pytest
import torch
from conftest import rescale_neurons

from inredit.edits.learning.dwsnet import DWSNet
from inredit.edits.learning.embedded_layer import EmbeddedDWSLayer
from inredit.edits.learning.layers import DWSChannelNorm, DWSLayer
from inredit.inr import ops
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


@pytest.mark.parametrize("layer_class", [DWSLayer, EmbeddedDWSLayer], ids=["full", "embedded"])
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.short_name)
def test_dws_layer_is_equivariant(spec, layer_class):
    g = torch.Generator().manual_seed(0)
    layer = layer_class(spec.layer_shapes(), 3, 5).double()
    with torch.no_grad():  # non-trivial biases and weights everywhere
        for p in layer.parameters():
            p.normal_(generator=g)
    weights = [w.double() for w in random_weights(spec, 2, 3, g)]
    perms = random_perms(spec, g)
    permuted_then_layer = layer(permute_channels(weights, perms))
    layer_then_permuted = permute_channels(layer(weights), perms)
    for a, b in zip(permuted_then_layer, layer_then_permuted):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)
    # and it is not trivially invariant: the output really moves with the permutation
    assert not torch.allclose(layer(weights)[1], permuted_then_layer[1])


def test_every_block_contributes_and_is_counted():
    spec = INRSpec()
    layer = DWSLayer(spec.layer_shapes(), 2, 3)
    counts = layer.block_parameter_counts()
    assert set(counts) == {"self", "row", "column", "global"}
    assert sum(counts.values()) == sum(p.numel() for p in layer.parameters())
    weights = random_weights(spec, 1, 2, torch.Generator().manual_seed(1))
    for name, modules in layer.blocks().items():  # zeroing any block changes the output
        params = [p for m in modules for p in m.parameters()]
        before = [w.clone() for w in layer(weights)]
        saved = [p.detach().clone() for p in params]
        with torch.no_grad():
            for p in params:
                p.zero_()
        after = layer(weights)
        with torch.no_grad():
            for p, s in zip(params, saved):
                p.copy_(s)
        assert any(not torch.allclose(a, b) for a, b in zip(before, after)), name


def test_full_layer_maps_the_fixed_input_axis_per_column():
    """Mirroring x negates the x-sine columns of W_0 (encoding: column 2k is sin(2^k pi x)): a
    per-column map the full layer expresses exactly; the embedded layer's mixing across columns
    has rank <= c_out and cannot."""
    spec = INRSpec()
    inr = init_weights(spec, 2)
    column_signs = torch.ones(spec.n_padded_input_dims)
    column_signs[0 : 2 * spec.n_frequencies : 2] = -1.0
    layer = DWSLayer(spec.layer_shapes(), 1, 1)
    with torch.no_grad():  # everything off but the self maps: W_0 -> W_0 diag(signs), others -> themselves
        for p in layer.parameters():
            p.zero_()
        layer.self_maps[0].mix.fill_(1.0)
        layer.self_maps[0].axis.copy_(torch.diag(column_signs)[None])
        layer.self_maps[-1].mix.fill_(1.0)
        layer.self_maps[-1].axis.fill_(1.0)
        for hidden in layer.self_maps[1:-1]:
            hidden.weight.fill_(1.0)
    out = layer([w[:, None] for w in inr.weights])
    for a, b in zip(out, inr.reflect_inputs(torch.tensor([-1.0, 1.0, 1.0])).weights):
        torch.testing.assert_close(a[:, 0], b)


@pytest.mark.parametrize("layer", ["full", "embedded"])
def test_every_block_of_every_layer_gets_a_gradient_at_initialisation(layer):
    spec = INRSpec()
    torch.manual_seed(0)
    editor = DWSNet(spec, channels=4, n_layers=3, layer=layer)
    inr = INRWeights(spec, [w + 0.05 * torch.randn(w.shape) for w in init_weights(spec, 4).weights])
    editor.set_input_statistics(inr)
    points = torch.rand(4, 256, 3) * 2 - 1
    loss = (forward(editor(inr), points) - forward(inr, points) + 0.1).abs().mean()
    loss.backward()
    for index, dws_layer in enumerate(editor.dws_layers()):
        blocks = dws_layer.blocks() if layer == "full" else {
            "pointwise": [dws_layer.pointwise], "neuron_embedding": [dws_layer.neuron_embed], "row": [dws_layer.row],
            "column": [dws_layer.col], "global": [dws_layer.global_embed, dws_layer.glob]}
        for name, modules in blocks.items():
            grad = sum(float(p.grad.abs().sum()) for m in modules for p in m.parameters() if p.grad is not None)
            assert grad > 0, f"layer {index} block {name} gets no gradient"


def test_zeroing_the_whole_output_layer_is_a_saddle():
    """What the first editors did: both factors of each product zero, so their gradients stay 0."""
    spec = INRSpec()
    torch.manual_seed(0)
    editor = DWSNet(spec, channels=4, n_layers=3, layer="embedded", output_init="zero-all")
    inr = init_weights(spec, 2)
    editor.set_input_statistics(inr)
    points = torch.rand(2, 128, 3) * 2 - 1
    (forward(editor(inr), points) - 0.1).abs().mean().backward()
    last = editor.dws_layers()[-1]
    assert all(float(p.grad.abs().sum()) == 0 for p in last.neuron_embed.parameters())


def test_parameter_counts_per_block_add_up():
    editor = DWSNet(INRSpec(), channels=16, n_layers=4)
    counts = editor.block_parameter_counts()
    assert set(counts) == {"self", "row", "column", "global", "channel_norm"}
    assert sum(counts.values()) + editor.gamma.numel() == sum(p.numel() for p in editor.parameters())


def test_channel_norm_is_equivariant():
    spec = INRSpec()
    g = torch.Generator().manual_seed(2)
    norm = DWSChannelNorm(3)
    weights, perms = random_weights(spec, 2, 3, g), random_perms(spec, g)
    for a, b in zip(norm(permute_channels(weights, perms)), permute_channels(norm(weights), perms)):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("options", [{}, {"mirror_inputs": (0,)}, {"iterations": 2}],
                         ids=["plain", "mirror-x-channel", "two-steps"])
@pytest.mark.parametrize("spec", SPECS[:2], ids=lambda s: s.short_name)
def test_editor_is_equivariant_and_edited_function_ignores_input_permutation(spec, options):
    # float64: equivariance is exact in real arithmetic, so only rounding (~1e-12) may differ;
    # in float32 a permuted summation order alone can move a near-zero output past any tight tolerance
    g = torch.Generator().manual_seed(3)
    editor = DWSNet(spec, channels=8, n_layers=3, gamma_init=1.0, output_init="default", **options).double()
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
    editor = DWSNet(spec, channels=4, n_layers=2, output_init="default")
    inr = init_weights(spec, 2)
    with torch.no_grad():
        zero, half, full = editor(inr, 0.0), editor(inr, 0.5), editor(inr, 1.0)
    for w, z, h, f in zip(inr.weights, zero.weights, half.weights, full.weights):
        torch.testing.assert_close(z, w)
        torch.testing.assert_close(h - w, 0.5 * (f - w))


def test_several_steps_apply_the_residual_step_repeatedly():
    spec = INRSpec(width=16, n_hidden_layers=2)
    one_step = DWSNet(spec, channels=4, n_layers=2, output_init="default")
    three_steps = DWSNet(spec, channels=4, n_layers=2, output_init="default", iterations=3)
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


def noisy_inrs(spec: INRSpec, batch_size: int, g: torch.Generator) -> INRWeights:
    """Initial weights plus noise, in float64: INRs whose neurons all differ."""
    return INRWeights(spec, [(w + 0.1 * torch.randn(w.shape, generator=g)).double() for w in init_weights(spec, batch_size).weights])


def small_editor_and_inputs(seed: int, **options) -> tuple[DWSNet, INRWeights, torch.Tensor, torch.Generator]:
    """An untrained float64 editor with large random output weights, two noisy INRs (its input
    statistics), 400 points in the cube, and the generator that drew them."""
    spec = INRSpec(width=16, n_hidden_layers=2)
    g = torch.Generator().manual_seed(seed)
    editor = DWSNet(spec, channels=8, n_layers=3, gamma_init=1.0, output_init="default", **options).double()
    inr = noisy_inrs(spec, 2, g)
    editor.set_input_statistics(inr)
    return editor, inr, (torch.rand(400, 3, generator=g) * 2 - 1).double(), g


def test_untrained_editor_starts_next_to_the_identity_edit():
    spec = INRSpec()
    inr = init_weights(spec, 2)
    editor = DWSNet(spec, channels=4, n_layers=3)
    editor.set_input_statistics(inr)
    with torch.no_grad():
        edited = editor(inr)
    for a, b in zip(edited.weights, inr.weights):
        change = float((a - b).norm() / b.norm())
        assert 0 < change < 1e-2  # small but not zero (a zero output layer is a saddle)


def test_constant_unit_is_equivariant_and_starts_at_the_input_function():
    editor, inr, points, g = small_editor_and_inputs(5, constant_unit=True)
    spec = editor.spec
    perms = random_perms(spec, g)
    with torch.no_grad():
        unchanged, edited, edited_from_permuted = editor(inr, 0.0), editor(inr), editor(inr.permute_hidden(perms))
    assert edited.spec.width == 32 and editor.output_spec(spec) == edited.spec  # 16 + 1 -> next FullyFusedMLP width
    torch.testing.assert_close(forward(unchanged, points), forward(inr, points), rtol=1e-12, atol=1e-12)
    # permuting the input's neurons permutes the edited INR's first 16; the constant unit (index 16) stays
    wide_perms = [torch.cat([p, torch.arange(16, 32)]) for p in perms]
    for a, b in zip(edited_from_permuted.weights, edited.permute_hidden(wide_perms).weights):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)
    assert not torch.allclose(forward(edited, points), forward(inr, points), atol=1e-3)
    with pytest.raises(ValueError, match="iterations"):
        DWSNet(spec, constant_unit=True, iterations=2)


def test_a_cut_editor_returns_the_max_of_the_input_and_its_cut_field():
    editor, inr, points, g = small_editor_and_inputs(7, cut=True)
    spec = editor.spec
    with torch.no_grad():
        edited, field, unchanged = editor(inr), editor(inr, composed=False), editor(inr, 0.0)
    assert edited.spec == editor.output_spec(spec) == ops.combination_spec(spec, spec)
    assert (edited.spec.width, edited.spec.n_hidden_layers, field.spec) == (32, 3, spec)
    f, h = forward(inr, points), forward(field, points)
    assert (h > f).any() and (h < f).any()  # this untrained field cuts somewhere and keeps elsewhere
    torch.testing.assert_close(forward(edited, points), torch.maximum(f, h), rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(forward(unchanged, points), f, rtol=1e-9, atol=1e-10)  # strength 0: no cut
    assert editor.config["cut"] is True and "cut" not in DWSNet(spec).config
    with pytest.raises(ValueError, match="cut works"):
        DWSNet(spec, cut=True, constant_unit=True)
    with pytest.raises(ValueError, match="unit_output works"):
        DWSNet(spec, unit_output=True)


def test_a_unit_output_cut_editor_cuts_a_scaled_function_where_it_cuts_the_function():
    spec = INRSpec(width=16, n_hidden_layers=2)
    g = torch.Generator().manual_seed(8)
    inr = noisy_inrs(spec, 2, g)
    scaled = INRWeights(spec, inr.weights[:-1] + [inr.weights[-1] * torch.tensor([3.0, 0.4]).view(2, 1, 1).double()])
    points = (torch.rand(400, 3, generator=g) * 2 - 1).double()
    with torch.no_grad():
        for unit_output in (False, True):
            editor = DWSNet(spec, channels=8, n_layers=3, gamma_init=1.0, output_init="default", cut=True,
                            unit_output=unit_output).double()
            editor.set_input_statistics(inr)
            fields = [forward(editor(x, composed=False), points) for x in (inr, scaled)]
            cuts = [forward(editor(x), points) > 0 for x in (inr, scaled)]
            if unit_output:  # c * f gets c times the field of f: the same cut
                torch.testing.assert_close(fields[1], fields[0] * torch.tensor([3.0, 0.4]).view(2, 1).double())
                assert torch.equal(cuts[0], cuts[1])
            else:
                assert not torch.equal(cuts[0], cuts[1])


def test_canonical_scales_make_the_editor_invariant_to_neuron_rescaling():
    spec = INRSpec(width=16, n_hidden_layers=2)
    g = torch.Generator().manual_seed(6)
    inr = noisy_inrs(spec, 2, g)
    rescaled = rescale_neurons(inr, g)
    points = (torch.rand(400, 3, generator=g) * 2 - 1).double()
    with torch.no_grad():
        plain = DWSNet(spec, channels=8, n_layers=3, gamma_init=1.0, output_init="default").double()
        plain.set_input_statistics(inr)
        # a plain DWSNet sees two weight vectors of one function and edits them differently
        assert not torch.allclose(forward(plain(rescaled), points), forward(plain(inr), points), atol=1e-3)
        editor = DWSNet(spec, channels=8, n_layers=3, gamma_init=1.0, output_init="default", canonical_scales=True).double()
        editor.set_input_statistics(inr)
        torch.testing.assert_close(forward(editor(rescaled), points), forward(editor(inr), points), rtol=1e-9, atol=1e-9)
        torch.testing.assert_close(forward(editor(inr, 0.0), points), forward(inr, points), rtol=1e-9, atol=1e-9)
        assert not torch.allclose(forward(editor(inr), points), forward(inr, points), atol=1e-3)
    assert editor.config["canonical_scales"] is True and "canonical_scales" not in plain.config
