"""The `inredit-sdf` model: NeuS-style SDF volume rendering of an inredit INR.

Reuses nerfstudio's pieces: `NeuSSampler` (uniform + importance up-sampling with fixed variances),
`AABBBoxCollider`, RGB/accumulation/depth/normal renderers, NeuS's alpha and cos-annealing
(`models/neus.py:71-89`). It does not reuse `SDFField`/`SurfaceModel`: `SDFField` always builds a
tcnn grid encoding (`fields/sdf_field.py:148-161`), and `SurfaceModel` builds LPIPS (a network
download) and a background model; inredit scenes are objects on a white background, so rays are
clipped to the INR cube and the rest is background.

Training callbacks (`get_training_callbacks`):
- step 0 (fresh runs only): copy `geometry_init` (an INR `.safetensors` file of the same spec) into
  the geometry, or fit the visual hull of the training images' alpha (`init_visual_hull`, see
  `visual_hull.py`), or a sphere of `init_sphere_radius` (NeuS's usual start), so evaluation never
  needs that file or that fit;
- every step: NeuS cos annealing up to `cos_anneal_end`;
- `edit_at_step`: apply the editor `edit` with `edit_strength` to the geometry in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Literal, Optional, Tuple, Type

import torch
from nerfstudio.cameras.rays import RayBundle
from nerfstudio.data.scene_box import SceneBox
from nerfstudio.engine.callbacks import (
    TrainingCallback,
    TrainingCallbackAttributes,
    TrainingCallbackLocation,
)
from nerfstudio.model_components.ray_samplers import NeuSSampler
from nerfstudio.model_components.renderers import (
    AccumulationRenderer,
    DepthRenderer,
    RGBRenderer,
    SemanticRenderer,
)
from nerfstudio.model_components.scene_colliders import AABBBoxCollider
from nerfstudio.models.base_model import Model, ModelConfig
from nerfstudio.utils import colormaps
from torch.nn import Parameter

from inredit.errors import InreditError
from inredit.inr.spec import DEFAULT_SPEC, INRSpec
from inredit.inr.weights import INRWeights
from inredit.nerfstudio.field import InreditSDFField


@dataclass
class InreditSDFModelConfig(ModelConfig):
    """inredit-sdf: NeuS-style volume rendering; geometry = an inredit shape INR (editable by inredit's editors)."""

    _target: Type = field(default_factory=lambda: InreditSDFModel)
    enable_collider: bool = False
    """(rays are always clipped to the INR cube; nerfstudio's near/far collider is not used)"""
    geometry_init: Optional[Path] = None
    """Start the geometry from this fitted INR (.safetensors of the same spec, e.g. from `inredit fit`)."""
    init_sphere_radius: float = 0.5
    """Without geometry_init: start from a sphere of this radius (INR units) fitted at step 0 (0: raw init)."""
    init_visual_hull: bool = False
    """Without geometry_init: start from the visual hull of the training images' alpha (RGBA data) instead of a sphere."""
    init_stereo: bool = False
    """With init_visual_hull: carve the hull where plane-sweep stereo of the training images sees free space (a
    cup's cavity, which silhouettes cannot show; needs textured surfaces). See inredit/nerfstudio/stereo.py."""
    geometry_frequencies: int = DEFAULT_SPEC.n_frequencies
    """INR spec: frequencies of the tcnn frequency encoding (must match the editors' spec)."""
    geometry_width: int = DEFAULT_SPEC.width
    """INR spec: hidden width (16, 32, 64 or 128, as tcnn's FullyFusedMLP)."""
    geometry_hidden_layers: int = DEFAULT_SPEC.n_hidden_layers
    """INR spec: number of hidden layers."""
    geometry_backend: Literal["auto", "torch", "tcnn"] = "auto"
    """auto: tcnn for the sampler's no-grad SDF queries when tinycudann + CUDA are present, torch otherwise."""
    freeze_geometry: bool = False
    """Train appearance only (keep the initial geometry, e.g. a fitted INR)."""
    inr_center: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    """World point at the center of the INR cube: u = (x - inr_center) / inr_half_extent."""
    inr_half_extent: float = 1.0
    """Half the side of the world cube that maps to the INR's [-1, 1]^3 (world SDF = this * INR SDF)."""
    num_samples: int = 64
    """Uniform samples per ray (NeuS sampler)."""
    num_samples_importance: int = 64
    """Importance samples per ray (NeuS sampler)."""
    num_up_sample_steps: int = 4
    """Up-sampling steps of the NeuS sampler."""
    base_variance: float = 64.0
    """Fixed base inv_s of the NeuS sampler (doubled each up-sampling step)."""
    init_variance: float = 0.3
    """Initial NeuS variance parameter (inv_s = exp(10 * variance))."""
    cos_anneal_end: int = 5000
    """NeuS cos annealing ends at this step (0: no annealing)."""
    appearance_hidden: int = 64
    """Width of the appearance MLP."""
    appearance_layers: int = 2
    """Hidden layers of the appearance MLP."""
    position_frequencies: int = 6
    """NeRF frequencies of the position input of the appearance MLP."""
    background_color: Literal["white", "black"] = "white"
    """Color where rays leave the INR cube without hitting the surface."""
    eikonal_loss_mult: float = 0.1
    """Eikonal loss (|grad SDF| = 1) multiplier."""
    mask_loss_mult: float = 0.1
    """Foreground loss multiplier (BCE of accumulation vs image alpha; needs RGBA data, i.e. alpha_color None)."""
    edit: Optional[str] = None
    """Editor to apply to the geometry at `edit_at_step` (a name from inredit's editor registry)."""
    edit_at_step: Optional[int] = None
    """Training step after which `edit` is applied."""
    edit_strength: float = 1.0
    """Strength of that edit (1 = the trained edit)."""

    def inr_spec(self) -> INRSpec:
        return INRSpec(n_frequencies=self.geometry_frequencies, width=self.geometry_width,
                       n_hidden_layers=self.geometry_hidden_layers)


def sphere_inr(spec: INRSpec, radius: float, steps: int = 300) -> INRWeights:
    """The spec's shared initialization fitted to |u| - radius (deterministic; ~1 s on a CPU core):
    NeuS needs a start with a surface, the raw initialization is inside everywhere."""
    from inredit.fitting.optimize import FitConfig, fit_batch

    generator = torch.Generator().manual_seed(0)
    points = torch.rand(1, 8192, 3, generator=generator) * 2 - 1
    config = FitConfig(steps=steps, points_per_step=512, lr=5e-3, lr_final=5e-4, truncation=2.0)
    return fit_batch(points, points.norm(dim=-1) - radius, spec, config).inr


class InreditSDFModel(Model):
    config: InreditSDFModelConfig

    def populate_modules(self) -> None:
        super().populate_modules()
        c = self.config
        if (c.edit is None) != (c.edit_at_step is None):
            raise InreditError("--pipeline.model.edit and --pipeline.model.edit-at-step go together")
        if c.edit is not None:
            from inredit.edits.registry import get_editor

            get_editor(c.edit)  # unknown edit: fail before training, not at the step
        self.field = InreditSDFField(c.inr_spec(), tuple(c.inr_center), c.inr_half_extent, c.geometry_backend,
                                     c.init_variance, c.appearance_hidden, c.appearance_layers, c.position_frequencies)
        if c.freeze_geometry:
            for p in self.field.geometry.parameters():
                p.requires_grad_(False)
        center = torch.tensor(c.inr_center, dtype=torch.float32)
        self.inr_box = SceneBox(aabb=torch.stack([center - c.inr_half_extent, center + c.inr_half_extent]))
        self.collider = AABBBoxCollider(self.inr_box, near_plane=0.0)
        self.sampler = NeuSSampler(num_samples=c.num_samples, num_samples_importance=c.num_samples_importance,
                                   num_samples_outside=0, num_upsample_steps=c.num_up_sample_steps,
                                   base_variance=c.base_variance)
        self.renderer_rgb = RGBRenderer(background_color=c.background_color)
        self.renderer_accumulation = AccumulationRenderer()
        self.renderer_depth = DepthRenderer(method="expected")
        self.renderer_normal = SemanticRenderer()
        from torchmetrics.image import PeakSignalNoiseRatio

        self.psnr = PeakSignalNoiseRatio(data_range=1.0)

    def get_param_groups(self) -> Dict[str, List[Parameter]]:
        return {
            "geometry": list(self.field.geometry.parameters()),
            "appearance": list(self.field.appearance.parameters()) + list(self.field.deviation.parameters()),
        }

    # -- callbacks -------------------------------------------------------------------------------------
    def get_training_callbacks(self, training_callback_attributes: TrainingCallbackAttributes) -> List[TrainingCallback]:
        c = self.config
        callbacks = []
        if c.init_visual_hull and c.geometry_init is None:  # the training views' masks, read at step 0
            self._train_dataset = training_callback_attributes.pipeline.datamanager.train_dataset
        if c.geometry_init is not None or c.init_sphere_radius > 0 or c.init_visual_hull:
            callbacks.append(TrainingCallback([TrainingCallbackLocation.BEFORE_TRAIN_ITERATION],
                                              self._init_geometry, iters=(0,)))

        def set_anneal(step: int) -> None:
            self.field.cos_anneal_ratio = 1.0 if c.cos_anneal_end <= 0 else min(1.0, step / c.cos_anneal_end)

        callbacks.append(TrainingCallback([TrainingCallbackLocation.BEFORE_TRAIN_ITERATION], set_anneal,
                                          update_every_num_iters=1))
        if c.edit is not None and c.edit_at_step is not None:
            callbacks.append(TrainingCallback([TrainingCallbackLocation.AFTER_TRAIN_ITERATION], self._apply_edit,
                                              iters=(c.edit_at_step,)))
        return callbacks

    def _init_geometry(self, step: int) -> None:
        """Fresh runs only (step 0): the fitted INR of `geometry_init`, the visual hull of the training
        masks (`init_visual_hull`), or a fitted sphere."""
        geometry = self.field.geometry
        if self.config.geometry_init is not None:
            from inredit.inr.io import load_inr

            path = Path(self.config.geometry_init)
            inr, _ = load_inr(path, expected_spec=geometry.spec)
            geometry.load_inr(inr, path)
            geometry.edits.append({"init": str(path), "step": int(step)})
        elif self.config.init_visual_hull:
            inr, record = self._visual_hull()
            geometry.load_inr(inr)
            geometry.edits.append({**record, "step": int(step)})
        else:
            geometry.load_inr(sphere_inr(geometry.spec, self.config.init_sphere_radius))
            geometry.edits.append({"init": f"sphere r={self.config.init_sphere_radius}", "step": int(step)})

    def _visual_hull(self) -> tuple[INRWeights, dict]:
        from inredit.nerfstudio.visual_hull import (
            INIT_FIT_STEPS,
            hull_occupancy,
            occupancy_inr,
        )

        dataset = self._train_dataset
        images = []
        for i in range(len(dataset)):
            image = dataset.get_image_float32(i)
            if image.shape[-1] != 4:
                raise InreditError("init_visual_hull needs images with alpha (RGBA), got "
                                   f"{image.shape[-1]} channels", dataset.image_filenames[i])
            images.append(image)
        cameras = dataset.cameras
        intrinsics = torch.cat([cameras.fx, cameras.fy, cameras.cx, cameras.cy], -1)
        c = self.config
        center = torch.tensor(c.inr_center, dtype=torch.float32)
        occupancy = hull_occupancy(cameras.camera_to_worlds, intrinsics, [im[..., 3] for im in images], center, c.inr_half_extent)
        record = {"init": f"visual hull of {len(images)} views", "hull_fill": round(float(occupancy.float().mean()), 4)}
        if c.init_stereo:
            from inredit.nerfstudio.stereo import carve_hull

            occupancy = carve_hull(occupancy, center, c.inr_half_extent, cameras.camera_to_worlds, intrinsics, images)
            record |= {"init": record["init"] + ", carved by plane-sweep stereo", "carved_fill": round(float(occupancy.float().mean()), 4)}
        return occupancy_inr(self.field.geometry.spec, occupancy, steps=INIT_FIT_STEPS), record

    def _apply_edit(self, step: int) -> None:
        from inredit.edits.registry import get_editor

        editor = get_editor(self.config.edit)
        edited = editor.edit(self.field.geometry.export(), self.config.edit_strength)
        self.field.geometry.load_inr(edited)
        self.field.geometry.edits.append({"edit": editor.name, "strength": float(self.config.edit_strength),
                                          "step": int(step), "by": "training callback"})

    # -- rendering -----------------------------------------------------------------------------------
    def get_outputs(self, ray_bundle: RayBundle) -> Dict[str, torch.Tensor]:
        if ray_bundle.nears is None or ray_bundle.fars is None:
            ray_bundle = self.collider(ray_bundle)
        ray_samples = self.sampler(ray_bundle, sdf_fn=self.field.get_sdf)
        out = self.field(ray_samples)
        # rays that miss the cube get a zero-length interval outside it, where the INR means nothing
        hits_cube = (ray_bundle.fars - ray_bundle.nears > 1e-5).float()[..., None]
        weights, _ = ray_samples.get_weights_and_transmittance_from_alphas(out["alpha"] * hits_cube)
        rgb = self.renderer_rgb(rgb=out["rgb"], weights=weights)
        depth = self.renderer_depth(weights=weights, ray_samples=ray_samples)
        if ray_bundle.metadata is not None and "directions_norm" in ray_bundle.metadata:
            depth = depth / ray_bundle.metadata["directions_norm"]
        normal = self.renderer_normal(semantics=out["normals"], weights=weights)
        outputs = {"rgb": rgb, "accumulation": self.renderer_accumulation(weights=weights), "depth": depth,
                   "normal": normal, "normal_vis": (normal + 1.0) / 2.0}
        if self.training:
            outputs["eik_grad"] = out["gradient"]
        return outputs

    def get_metrics_dict(self, outputs, batch) -> Dict[str, torch.Tensor]:
        image = self.renderer_rgb.blend_background(batch["image"].to(self.device))
        metrics = {"psnr": self.psnr(outputs["rgb"].detach(), image)}
        if self.training:
            metrics["inv_s"] = self.field.deviation.get_inv_s().detach()
        return metrics

    def get_loss_dict(self, outputs, batch, metrics_dict=None) -> Dict[str, torch.Tensor]:
        image = batch["image"].to(self.device)
        pred, gt = self.renderer_rgb.blend_background_for_loss_computation(
            pred_image=outputs["rgb"], pred_accumulation=outputs["accumulation"], gt_image=image)
        losses = {"rgb_loss": torch.nn.functional.l1_loss(pred, gt)}
        if self.training:
            norms = outputs["eik_grad"].norm(dim=-1)
            losses["eikonal_loss"] = ((norms - 1) ** 2).mean() * self.config.eikonal_loss_mult
            if image.shape[-1] == 4 and self.config.mask_loss_mult > 0:
                accumulation = outputs["accumulation"].clip(1e-3, 1 - 1e-3)
                losses["mask_loss"] = torch.nn.functional.binary_cross_entropy(
                    accumulation, image[..., 3:].clip(0, 1)) * self.config.mask_loss_mult
        return losses

    def get_image_metrics_and_images(self, outputs, batch):
        from torchmetrics.functional import structural_similarity_index_measure

        image = self.renderer_rgb.blend_background(batch["image"].to(self.device))
        rgb = outputs["rgb"]
        images = {
            "img": torch.cat([image, rgb], dim=1),
            "accumulation": colormaps.apply_colormap(outputs["accumulation"]),
            "depth": colormaps.apply_depth_colormap(outputs["depth"], accumulation=outputs["accumulation"]),
            "normal": outputs["normal_vis"],
        }
        a, b = torch.moveaxis(image, -1, 0)[None], torch.moveaxis(rgb, -1, 0)[None]
        metrics = {"psnr": float(self.psnr(a, b).item()), "ssim": float(structural_similarity_index_measure(a, b))}
        return metrics, images
