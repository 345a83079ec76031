"""Edits in weight space: INR weights in, edited INR weights out.

- `base`: the `Editor` interface (spec checks, strength) and the identity editor.
- `exact`: closed-form editors (symmetrize, mirror, dilate, erode) built on `inr.ops`.
- `learned`: a trained editor file behind the `Editor` interface; `learning/` holds the networks
  (DWSNet, flat-MLP baseline), their training, evaluation, checkpoints and the shipped zoo.
- `registry`: every editor by name.
- `batch`: the one batched edit (group by spec, one editor call per spec, provenance with input
  hashes) that `inredit edit`, the UI and `ns-edit` all call; `outputs`: what `inredit edit` writes.
- `combine`: two INR files -> their union / intersection / difference, exactly.
- `demo`: the editing half of `inredit demo`.

May import `inr`, `geometry`, `render`, `fitting`, `pairs` (training data) and the top-level
helpers; never `nerfstudio` or front ends.
"""
