"""nerfstudio hook: synthetic scenes, the `inredit-sdf` method plugin, and batch edits of trained runs.

- `scene/`: `inredit make-scene` renders a blender/nerfstudio-format dataset from meshes.
- `visual_hull`, `stereo`: the start of a run from images (silhouettes, plane-sweep stereo).
- `field`, `model`, `config`: the `inredit-sdf` method (NeuS-style SDF volume rendering whose
  geometry is an inredit INR of the shape spec, so the shape editors apply to it unchanged).
- `checkpoint`, `runs`, `run_geometry`, `edit_runs`: `inredit ns-edit`, which edits trained runs in
  one batched editor call (`inredit.edits.batch`, as every front end) and writes new runs that
  `ns-render` / `ns-viewer` load as they are.
- `presets`: ns-train argument presets (`configs/nerfstudio/*.yaml`).

Coordinates: a scene's world frame maps to the INR's cube by `u = (x - inr_center) / inr_half_extent`
(model config fields of the same names; `make-scene` writes scenes whose world frame *is* the INR
frame, i.e. center 0 and half extent 1). World SDF = `inr_half_extent * INR(u)`.

`scene`, `presets`, `checkpoint`, `runs`, `run_geometry` and `edit_runs` do not import nerfstudio
(ns-edit never does); `field`, `model` and `config` need it. The package may import every other
inredit package except the front ends (`cli`, `ui`).
"""
