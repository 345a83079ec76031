"""Fitting: SDF samples -> INR weights, many shapes in one batched optimization.

- `optimize`: the batched fit (`FitConfig`, `fit_batch`) of INRs to SDF samples.
- `job`: a fit job (spec, fit, sampling, batch, up axis) and its YAML (`configs/fit/*.yaml`).
- `meshes`: mesh files -> INR files, resumable (`inredit fit`).
- `quality`: how faithful a fit is (IoU, Chamfer-L1, dead zones against the mesh).
- `distill`: INRs -> another spec (or a canonical refit) by fitting their own function.

May import `inr`, `geometry`, `render` and the top-level helpers; never `edits`, `pairs` or front ends.
"""
