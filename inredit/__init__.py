"""inredit: edit shapes stored as neural implicit functions by rewriting their weights.

The packages follow the pipeline, mesh -> samples -> INR -> (exact | learned) edit -> render/mesh,
each importing only the ones listed before it:

- `errors`, `files`, `tables`, `configs`: one error type, atomic writes and file hashes, markdown
  tables, the typed YAML loader.
- `inr`: INR weights, spec, encoding, torch/tcnn backends, weight-space ops, file IO.
- `geometry`: meshes and SDFs (loading, procedural families, sampling, ray casting, metrics); no weights.
- `render`: cameras, shaded views, grids (marching cubes, occupancy) of SDFs and INRs.
- `fitting`: SDF samples -> INRs (batched), meshes -> INR files, fit quality, distillation.
- `pairs`: paired datasets (shape, exactly edited shape) fitted as INR pairs.
- `edits`: the `Editor` interface, exact editors, learned editors (`edits/learning`: DWSNets, their
  training and evaluation, the shipped zoo), the registry, and the one batched edit every front end calls.
- `nerfstudio`: scenes for ns-train, the `inredit-sdf` method, `ns-edit` of trained runs.
- `cli`, `ray_tasks`: the `inredit` command and its Ray back end (front ends: nothing imports them).
"""

__version__ = "0.1.0"
