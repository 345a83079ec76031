"""Learned editors: the networks that map INR weights to edited weights, and how they are trained.

- `layers`, `embedded_layer`: permutation-equivariant weight-space layers (DWS, Navon et al. 2023).
- `dwsnet`: the DWSNet editor; `baselines`: the flat-MLP baseline.
- `checkpoint`: editor files (safetensors + JSON card); `zoo/`: the shipped pretrained editors.
- `train_config`, `augment`, `processes`, `train`: training on pair datasets (exact weight-space
  augmentations, torchrun/DDP); `evaluate`: scores against baselines on test pairs.

May import `inr`, `geometry`, `render`, `fitting`, `pairs` and `edits.base`; not the registry.
"""
