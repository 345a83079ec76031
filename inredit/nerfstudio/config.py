"""`inredit-sdf` method specification, registered under the entry-point group
`nerfstudio.method_configs` (pyproject.toml), which nerfstudio reads in
`nerfstudio/plugins/registry.py:discover_methods` and merges into `all_methods`.

Data: nerfstudio's `blender-data` parser (no re-orientation or re-centering, so world coordinates
are the scene's, e.g. those of `inredit make-scene`) with `alpha_color` None, so batches keep the
alpha channel for the foreground loss; the model blends onto its white background itself.

Optimizer schedules come from `InreditCosineScheduler`, whose learning-rate factors are Python
floats: nerfstudio's own schedulers return numpy scalars that end up in checkpoints and break
`torch.load(weights_only=True)` (nerfstudio issue #3683; see `inredit/nerfstudio/checkpoint.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Type

from nerfstudio.configs.base_config import ViewerConfig
from nerfstudio.data.datamanagers.base_datamanager import VanillaDataManagerConfig
from nerfstudio.data.dataparsers.blender_dataparser import BlenderDataParserConfig
from nerfstudio.engine.optimizers import AdamOptimizerConfig
from nerfstudio.engine.schedulers import Scheduler, SchedulerConfig
from nerfstudio.engine.trainer import TrainerConfig
from nerfstudio.pipelines.base_pipeline import VanillaPipelineConfig
from nerfstudio.plugins.types import MethodSpecification
from torch.optim import Optimizer, lr_scheduler

from inredit.nerfstudio.model import InreditSDFModelConfig

METHOD_NAME = "inredit-sdf"


@dataclass
class InreditCosineSchedulerConfig(SchedulerConfig):
    """Linear warm-up, then cosine decay to `lr_final_ratio` of the initial rate (Python floats only)."""

    _target: Type = field(default_factory=lambda: InreditCosineScheduler)
    warmup_steps: int = 500
    """Steps of linear warm-up from 1% of the rate."""
    max_steps: int = 20000
    """Step at which the decay reaches `lr_final_ratio`."""
    lr_final_ratio: float = 0.05
    """Final learning rate as a fraction of the initial one."""


class InreditCosineScheduler(Scheduler):
    config: InreditCosineSchedulerConfig

    def get_scheduler(self, optimizer: Optimizer, lr_init: float) -> lr_scheduler.LRScheduler:
        c = self.config

        def factor(step: int) -> float:
            if step < c.warmup_steps:
                return 0.01 + 0.99 * step / c.warmup_steps
            progress = min(1.0, (step - c.warmup_steps) / max(1, c.max_steps - c.warmup_steps))
            return float(c.lr_final_ratio + (1 - c.lr_final_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))

        return lr_scheduler.LambdaLR(optimizer, lr_lambda=factor)


def trainer_config() -> TrainerConfig:
    return TrainerConfig(
        method_name=METHOD_NAME,
        steps_per_eval_batch=500,
        steps_per_eval_image=500,
        steps_per_save=2000,
        steps_per_eval_all_images=1000000,
        max_num_iterations=20000,
        mixed_precision=False,
        pipeline=VanillaPipelineConfig(
            datamanager=VanillaDataManagerConfig(
                dataparser=BlenderDataParserConfig(alpha_color=None),
                train_num_rays_per_batch=512,
                eval_num_rays_per_batch=512,
            ),
            model=InreditSDFModelConfig(eval_num_rays_per_chunk=1024),
        ),
        optimizers={
            "geometry": {
                "optimizer": AdamOptimizerConfig(lr=1e-3, eps=1e-15),
                "scheduler": InreditCosineSchedulerConfig(),
            },
            "appearance": {
                "optimizer": AdamOptimizerConfig(lr=2e-3, eps=1e-15),
                "scheduler": InreditCosineSchedulerConfig(),
            },
        },
        viewer=ViewerConfig(num_rays_per_chunk=1 << 12),
        vis="viewer",
    )


inredit_sdf = MethodSpecification(
    config=trainer_config(),
    description="inredit: NeuS-style SDF whose geometry is an inredit INR, editable by weight-space editors "
    "(CPU: --machine.device-type cpu)",
)
