"""INR core: spec, tcnn layout, torch forward, permutation symmetry, backends."""

import numpy as np
import pytest
import torch

from inredit.errors import InreditError
from inredit.inr.spec import INRSpec
from inredit.inr.tcnn_backend import (
    make_tcnn_module,
    tcnn_available,
    tcnn_module_to_canonical,
)
from inredit.inr.tcnn_layout import (
    canonical_to_tcnn_params,
    numpy_reference_forward,
    tcnn_n_params,
    tcnn_params_to_canonical,
)
from inredit.inr.torch_backend import forward
from inredit.inr.weights import INRWeights, init_weights

SPECS = [INRSpec(), INRSpec(width=64, n_hidden_layers=2, n_frequencies=7), INRSpec(width=16, n_hidden_layers=1)]


def random_inr(spec: INRSpec, batch: int = 3, seed: int = 0) -> INRWeights:
    g = torch.Generator().manual_seed(seed)
    return INRWeights(spec, [torch.randn(batch, o, i, generator=g) * 0.3 for o, i in spec.layer_shapes()])


def test_spec_json_round_trip_and_hash():
    spec = INRSpec(width=64, n_hidden_layers=2)
    again = INRSpec.from_json(spec.to_json())
    assert again == spec and hash(again) == hash(spec) and again.digest() == spec.digest()
    assert INRSpec(width=32).digest() != INRSpec(width=64).digest()
    assert {spec: 1}[again] == 1


def test_spec_rejects_what_tcnn_cannot_build():
    with pytest.raises(InreditError, match="FullyFusedMLP"):
        INRSpec(width=48)
    with pytest.raises(InreditError, match="unknown fields"):
        INRSpec.from_dict({"width": 32, "colour": "red"})


@pytest.mark.parametrize("n_frequencies", [8, 16])
def test_spec_refuses_an_encoding_without_a_ones_column(n_frequencies):
    # 3 x 2 x 8 = 48 features: no padding, so no constant input (a fitted freq8 INR collapsed to IoU 0)
    with pytest.raises(InreditError, match="no ones-padding column"):
        INRSpec(n_frequencies=n_frequencies)
    ok = INRSpec(n_frequencies=n_frequencies - 1)
    assert ok.n_padded_input_dims > ok.n_encoded_dims


def test_layout_follows_tcnn_padding():
    spec = INRSpec(n_frequencies=6, width=32, n_hidden_layers=3)
    # 3 dims * 6 freqs * (sin, cos) = 36 features, padded to 48; output 1 padded to 16 rows
    assert spec.layer_shapes() == [(32, 48), (32, 32), (32, 32), (1, 32)]
    assert tcnn_n_params(spec) == 32 * 48 + 2 * 32 * 32 + 16 * 32


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_flat_canonical_round_trip(spec):
    inr = random_inr(spec)
    flat = canonical_to_tcnn_params(inr)
    assert flat.shape == (3, tcnn_n_params(spec))
    back = tcnn_params_to_canonical(flat, spec)
    for a, b in zip(inr.weights, back.weights):
        assert torch.equal(a, b)
    # a tcnn vector with junk in the unused output rows: those rows are dropped, the rest is kept
    junk = torch.randn(tcnn_n_params(spec))
    again = canonical_to_tcnn_params(tcnn_params_to_canonical(junk, spec))[0]
    n_last_used = spec.n_output_dims * spec.width
    n_before_last = tcnn_n_params(spec) - spec.n_padded_output_dims * spec.width
    assert torch.equal(again[: n_before_last + n_last_used], junk[: n_before_last + n_last_used])
    assert torch.all(again[n_before_last + n_last_used :] == 0)


def test_flat_vector_of_wrong_length_is_refused():
    with pytest.raises(InreditError, match="entries"):
        tcnn_params_to_canonical(torch.zeros(10), INRSpec())


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_numpy_reference_of_tcnn_equals_torch_forward(spec):
    inr = random_inr(spec, batch=2).to(torch.float64)
    x = torch.rand(500, 3, dtype=torch.float64) * 2 - 1
    torch_out = forward(inr, x)
    flat = canonical_to_tcnn_params(inr).double().numpy()
    for b in range(2):
        ref = numpy_reference_forward(flat[b], spec, x.numpy())[:, 0]
        np.testing.assert_allclose(torch_out[b].numpy(), ref, rtol=1e-9, atol=1e-9)


def test_encoding_is_tcnn_order_with_ones_padding():
    from inredit.inr.encoding import frequency_encode

    spec = INRSpec(n_frequencies=2)
    x = torch.tensor([[0.25, -0.5, 0.125]])
    enc = frequency_encode(x, spec)[0]
    # dim 0: sin(pi x), cos(pi x), sin(2 pi x), cos(2 pi x); then dim 1 ...
    expected0 = [np.sin(np.pi * 0.25), np.cos(np.pi * 0.25), np.sin(2 * np.pi * 0.25), np.cos(2 * np.pi * 0.25)]
    np.testing.assert_allclose(enc[:4].numpy(), expected0, atol=1e-6)
    np.testing.assert_allclose(enc[4].item(), np.sin(-0.5 * np.pi), atol=1e-6)
    assert enc.shape[0] == 16 and torch.all(enc[12:] == 1)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_permuting_hidden_neurons_keeps_the_function(spec):
    inr = random_inr(spec, batch=2).to(torch.float64)
    g = torch.Generator().manual_seed(1)
    perms = [torch.randperm(spec.width, generator=g) for _ in range(spec.n_hidden_layers)]
    permuted = inr.permute_hidden(perms)
    assert not torch.equal(permuted.weights[0], inr.weights[0])
    x = torch.rand(300, 3, dtype=torch.float64) * 2 - 1
    torch.testing.assert_close(forward(permuted, x), forward(inr, x))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_reflecting_inputs_mirrors_the_function(spec):
    inr = random_inr(spec, batch=3).to(torch.float64)
    signs = torch.tensor([[-1.0, 1, 1], [1, -1, -1], [1, 1, 1]], dtype=torch.float64)[:, : spec.n_input_dims]
    reflected = inr.reflect_inputs(signs)
    x = torch.rand(3, 300, spec.n_input_dims, dtype=torch.float64) * 2 - 1
    torch.testing.assert_close(forward(reflected, x), forward(inr, x * signs[:, None, :]))
    assert not torch.allclose(forward(reflected, x)[0], forward(inr, x)[0])  # a real mirror, not a no-op
    torch.testing.assert_close(reflected.reflect_inputs(signs).weights[0], inr.weights[0])


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_permuting_inputs_exchanges_the_axes_of_the_function(spec):
    inr = random_inr(spec, batch=3).to(torch.float64)
    perms = torch.tensor([[2, 0, 1], [0, 2, 1], [0, 1, 2]])
    permuted = inr.permute_inputs(perms)
    p = torch.rand(3, 300, 3, dtype=torch.float64) * 2 - 1
    # a sample point p of f is the point p[perms] of the result
    torch.testing.assert_close(forward(permuted, torch.gather(p, 2, perms[:, None, :].expand(-1, 300, -1))), forward(inr, p))
    assert not torch.allclose(forward(permuted, p)[0], forward(inr, p)[0])  # a real exchange, not a no-op
    torch.testing.assert_close(permuted.weights[0][2], inr.weights[0][2])  # identity permutation
    if spec.n_padded_input_dims > spec.n_encoded_dims:  # the ones columns stay where they are
        torch.testing.assert_close(permuted.weights[0][:, :, spec.n_encoded_dims:], inr.weights[0][:, :, spec.n_encoded_dims:])


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_translating_inputs_moves_the_function(spec):
    inr = random_inr(spec, batch=2).to(torch.float64)
    offsets = torch.tensor([[0.1, -0.25, 0.03], [0.0, 0.0, 0.4]], dtype=torch.float64)[:, : spec.n_input_dims]
    moved = inr.translate_inputs(offsets)
    x = torch.rand(2, 300, spec.n_input_dims, dtype=torch.float64) * 2 - 1
    torch.testing.assert_close(forward(moved, x + offsets[:, None, :]), forward(inr, x))  # g(x + t) = f(x)
    assert not torch.allclose(forward(moved, x)[0], forward(inr, x)[0])
    torch.testing.assert_close(moved.translate_inputs(-offsets).weights[0], inr.weights[0])
    for a, b in zip(moved.weights[1:], inr.weights[1:]):
        assert torch.equal(a, b)


def test_permutation_with_biases_keeps_the_function():
    spec = INRSpec(width=16, n_hidden_layers=2)
    inr = random_inr(spec, batch=1).to(torch.float64)
    inr.biases = [torch.randn(1, o, dtype=torch.float64) for o, _ in spec.layer_shapes()]
    perms = [torch.randperm(16) for _ in range(2)]
    x = torch.rand(100, 3, dtype=torch.float64)
    torch.testing.assert_close(forward(inr.permute_hidden(perms), x), forward(inr, x))


def test_batched_forward_equals_one_at_a_time():
    spec = INRSpec()
    inr = random_inr(spec, batch=4)
    x = torch.rand(4, 200, 3) * 2 - 1
    batched = forward(inr, x)
    for b in range(4):
        torch.testing.assert_close(batched[b], forward(inr.select(b), x[b : b + 1])[0])


def test_shared_init_is_identical_across_batch_and_calls():
    spec = INRSpec()
    a, b = init_weights(spec, 3), init_weights(spec, 2)
    for wa, wb in zip(a.weights, b.weights):
        assert torch.equal(wa[0], wa[2]) and torch.equal(wa[0], wb[1])
    other = init_weights(INRSpec(init_seed=7), 1)
    assert not torch.equal(other.weights[0][0], a.weights[0][0])


def test_wrong_shapes_are_refused():
    spec = INRSpec()
    with pytest.raises(InreditError, match="matrix 1"):
        INRWeights(spec, [torch.zeros(1, o, i + (k == 1)) for k, (o, i) in enumerate(spec.layer_shapes())])


def test_tcnn_backend_reports_absence_on_cpu():
    if tcnn_available():
        pytest.skip("tinycudann with CUDA is present")
    with pytest.raises(InreditError, match="tinycudann"):
        make_tcnn_module(INRSpec())


@pytest.mark.gpu
@pytest.mark.skipif(not tcnn_available(), reason="needs tinycudann and a CUDA GPU")
def test_tcnn_module_matches_torch_forward():
    spec = INRSpec()
    inr = random_inr(spec, batch=1, seed=3)
    module = make_tcnn_module(spec, inr)
    x = torch.rand(4096, 3, device="cuda")
    tcnn_out = module(x).float()[:, 0].cpu()
    torch_out = forward(inr, x.cpu())[0]
    torch.testing.assert_close(tcnn_out, torch_out, rtol=2e-2, atol=2e-2)  # tcnn runs in fp16
    back = tcnn_module_to_canonical(module, spec)
    for a, b in zip(back.weights, inr.weights):
        torch.testing.assert_close(a, b)
