"""The `inredit-sdf` field: geometry = an inredit INR (shape spec, canonical weights), plus a
separate appearance network and NeuS's learned variance.

Geometry parameters are the canonical matrices `weight_0 … weight_{L-1}` of shape `(out, in)`
(exactly the tensors of an INR `.safetensors` file), so checkpoints hold them under
`_model.field.geometry.weight_i` whatever the backend, and an editor's output drops in as it is.
The module's extra state records the spec and the edits applied, and refuses a checkpoint of
another spec.

Backends: the torch backend (`inredit.inr.torch_backend.forward`) computes every SDF that needs
gradients (normals, eikonal loss, alphas). With `geometry_backend` "auto" and tinycudann + CUDA
present, the no-grad SDF queries of the NeuS sampler (most SDF evaluations) run on a tcnn
`NetworkWithInputEncoding` of the same spec, refreshed from the canonical weights before use
(half precision there only moves sample positions, never the rendered values).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from inredit.errors import InreditError
from inredit.inr import torch_backend
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights, init_weights
from inredit.nerfstudio.checkpoint import GEOMETRY_STATE_FORMAT

GeometryBackend = Literal["auto", "torch", "tcnn"]


class INRGeometry(nn.Module):
    """One shape INR as trainable canonical weights; `forward(u)` = SDF at INR-frame points `u`."""

    def __init__(self, spec: INRSpec, backend: GeometryBackend = "auto") -> None:
        super().__init__()
        self.spec = spec
        initial = init_weights(spec, 1)
        for i, w in enumerate(initial.weights):
            self.register_parameter(f"weight_{i}", nn.Parameter(w[0].clone()))
        self.edits: list[dict[str, Any]] = []  # edits applied to these weights (training callback, ns-edit)
        self._tcnn: list[nn.Module] = []  # kept out of the module tree: its params must not enter state_dict
        self._tcnn_version = -1
        if backend not in ("auto", "torch", "tcnn"):
            raise InreditError(f"unknown geometry backend {backend!r}: use auto, torch or tcnn")
        if backend != "torch":
            from inredit.inr.tcnn_backend import make_tcnn_module, tcnn_available

            if tcnn_available():
                self._tcnn.append(make_tcnn_module(spec))
            elif backend == "tcnn":
                raise InreditError("geometry backend 'tcnn' needs the tinycudann package and a CUDA GPU")

    # -- weights ---------------------------------------------------------------------------------
    def weight_list(self) -> list[Tensor]:
        return [getattr(self, f"weight_{i}") for i in range(self.spec.n_layers)]

    def as_inr(self) -> INRWeights:
        """The live parameters as a batch of one INR (differentiable; no copy)."""
        return INRWeights(self.spec, [w.unsqueeze(0) for w in self.weight_list()])

    def export(self) -> INRWeights:
        """A detached float32 CPU copy (batch of one), e.g. for an editor or `save_inr`."""
        return INRWeights(self.spec, [w.detach().float().cpu().unsqueeze(0).clone() for w in self.weight_list()])

    @torch.no_grad()
    def load_inr(self, inr: INRWeights, source: object = None) -> None:
        """Copy one INR's weights into the parameters (spec must match)."""
        if inr.spec != self.spec:
            raise InreditError(f"INR spec {inr.spec.describe()} does not match the model's geometry spec "
                               f"{self.spec.describe()}", source)
        if inr.batch_size != 1 or inr.biases is not None:
            raise InreditError("the geometry holds one bias-free INR", source)
        inr.check_finite(source)
        for p, w in zip(self.weight_list(), inr.weights):
            p.copy_(w[0].to(p))

    # -- evaluation --------------------------------------------------------------------------------
    def forward(self, u: Tensor) -> Tensor:
        """SDF (INR units) at `(N, 3)` INR-frame points -> `(N,)`."""
        return torch_backend.forward(self.as_inr(), u.unsqueeze(0))[0]

    @torch.no_grad()
    def sdf_no_grad(self, u: Tensor) -> Tensor:
        """Like `forward` without gradients; on the tcnn backend when it is active."""
        if self._tcnn and u.is_cuda:
            module = self._tcnn[0]
            version = sum(p._version for p in self.weight_list())
            if version != self._tcnn_version:
                from inredit.inr.tcnn_layout import canonical_to_tcnn_params

                module.params.copy_(canonical_to_tcnn_params(self.export())[0].to(module.params))
                self._tcnn_version = version
            return module(u).float()[:, 0]
        return self.forward(u)

    # -- checkpoint metadata -------------------------------------------------------------------------
    def get_extra_state(self) -> dict[str, Any]:
        # plain str/int/float/list/dict only: loads with torch.load(weights_only=True)
        return {"format": GEOMETRY_STATE_FORMAT, "spec": self.spec.to_dict(), "edits": list(self.edits)}

    def set_extra_state(self, state: Any) -> None:
        if not isinstance(state, dict) or state.get("format") != GEOMETRY_STATE_FORMAT:
            raise InreditError("checkpoint geometry has no inredit metadata (not an inredit-sdf checkpoint?)")
        spec = INRSpec.from_dict(state["spec"])
        if spec != self.spec:
            raise InreditError(f"checkpoint geometry spec {spec.describe()} does not match the config's "
                               f"{self.spec.describe()}")
        self.edits = list(state.get("edits", []))


class AppearanceField(nn.Module):
    """Color from (INR-frame position, unit normal, view direction): NeRF frequency encoding of the
    position, spherical harmonics of the direction, a small ReLU MLP with a sigmoid output."""

    def __init__(self, position_frequencies: int = 6, direction_levels: int = 4, hidden: int = 64, layers: int = 2) -> None:
        super().__init__()
        from nerfstudio.field_components.encodings import NeRFEncoding, SHEncoding
        from nerfstudio.field_components.mlp import MLP

        self.position_encoding = NeRFEncoding(in_dim=3, num_frequencies=position_frequencies, min_freq_exp=0.0,
                                              max_freq_exp=position_frequencies - 1, include_input=True,
                                              implementation="torch")
        self.direction_encoding = SHEncoding(levels=direction_levels, implementation="torch")
        in_dim = self.position_encoding.get_out_dim() + self.direction_encoding.get_out_dim() + 3
        self.mlp = MLP(in_dim=in_dim, num_layers=layers + 1, layer_width=hidden, out_dim=3, activation=nn.ReLU(),
                       out_activation=nn.Sigmoid(), implementation="torch")

    def forward(self, u: Tensor, normals: Tensor, directions: Tensor) -> Tensor:
        # SHEncoding expects directions mapped to [0, 1]
        features = torch.cat([self.position_encoding(u), self.direction_encoding((directions + 1) / 2), normals], -1)
        return self.mlp(features)


class LearnedVariance(nn.Module):
    """NeuS's single learned parameter: inv_s = exp(10 * variance) (as nerfstudio's sdf_field)."""

    def __init__(self, init_val: float) -> None:
        super().__init__()
        self.variance = nn.Parameter(torch.tensor([float(init_val)]))

    def get_inv_s(self) -> Tensor:
        return torch.exp(self.variance * 10.0).clip(1e-6, 1e6)


class InreditSDFField(nn.Module):
    """World points -> SDF, normals, color, NeuS alpha. World `x` maps to the INR frame by
    `u = (x - inr_center) / inr_half_extent`; world SDF = `inr_half_extent * INR(u)`."""

    def __init__(self, spec: INRSpec, inr_center: tuple[float, float, float] = (0.0, 0.0, 0.0),
                 inr_half_extent: float = 1.0, backend: GeometryBackend = "auto", init_variance: float = 0.3,
                 appearance_hidden: int = 64, appearance_layers: int = 2, position_frequencies: int = 6) -> None:
        super().__init__()
        if inr_half_extent <= 0:
            raise InreditError(f"inr_half_extent must be > 0, got {inr_half_extent}")
        self.geometry = INRGeometry(spec, backend)
        self.appearance = AppearanceField(position_frequencies, 4, appearance_hidden, appearance_layers)
        self.deviation = LearnedVariance(init_variance)
        self.register_buffer("inr_center", torch.tensor(inr_center, dtype=torch.float32), persistent=False)
        self.half_extent = float(inr_half_extent)
        self.cos_anneal_ratio = 1.0

    def to_inr_frame(self, x: Tensor) -> Tensor:
        return (x - self.inr_center) / self.half_extent

    def sdf(self, x: Tensor) -> Tensor:
        """World SDF at `(N, 3)` world points (differentiable)."""
        return self.geometry(self.to_inr_frame(x)) * self.half_extent

    @torch.no_grad()
    def get_sdf(self, ray_samples) -> Tensor:
        """SDF at the samples' start positions `(..., 1)` without gradients (the NeuS sampler's `sdf_fn`)."""
        positions = ray_samples.frustums.get_start_positions()
        sdf = self.geometry.sdf_no_grad(self.to_inr_frame(positions.reshape(-1, 3))) * self.half_extent
        return sdf.reshape(*positions.shape[:-1], 1)

    def forward(self, ray_samples) -> dict[str, Tensor]:
        """rgb, sdf, normals, gradient (world), alpha `(R, S, ·)` for the samples."""
        positions = ray_samples.frustums.get_start_positions()
        shape = positions.shape[:-1]
        x = positions.reshape(-1, 3).detach()
        directions = ray_samples.frustums.directions.reshape(-1, 3)
        with torch.enable_grad():  # normals need d SDF / dx also when rendering under no_grad
            x.requires_grad_(True)
            sdf = self.sdf(x)
            gradient = torch.autograd.grad(sdf, x, torch.ones_like(sdf), create_graph=self.training,
                                           retain_graph=self.training)[0]
        if not self.training:
            sdf, gradient = sdf.detach(), gradient.detach()
        normals = F.normalize(gradient, dim=-1)
        rgb = self.appearance(self.to_inr_frame(x.detach()), normals, directions)
        sdf, gradient = sdf.reshape(*shape, 1), gradient.reshape(*shape, 3)
        return {"rgb": rgb.reshape(*shape, 3), "sdf": sdf, "normals": normals.reshape(*shape, 3),
                "gradient": gradient, "alpha": self.alpha(ray_samples, sdf, gradient)}

    def alpha(self, ray_samples, sdf: Tensor, gradient: Tensor) -> Tensor:
        """NeuS discrete opacity from SDF and gradient at section midpoints (as nerfstudio's SDFField.get_alpha)."""
        inv_s = self.deviation.get_inv_s()
        true_cos = (ray_samples.frustums.directions * gradient).sum(-1, keepdim=True)
        ratio = self.cos_anneal_ratio
        iter_cos = -(F.relu(-true_cos * 0.5 + 0.5) * (1.0 - ratio) + F.relu(-true_cos) * ratio)
        next_sdf = sdf + iter_cos * ray_samples.deltas * 0.5
        prev_sdf = sdf - iter_cos * ray_samples.deltas * 0.5
        prev_cdf, next_cdf = torch.sigmoid(prev_sdf * inv_s), torch.sigmoid(next_sdf * inv_s)
        return ((prev_cdf - next_cdf + 1e-5) / (prev_cdf + 1e-5)).clip(0.0, 1.0)
