"""What people look at: SDFs and INRs as images, meshes and occupancy grids.

- `cameras`: pinhole cameras, look-at frames, orbits (also the nerfstudio scenes' cameras).
- `views`: shaded views of SDFs (sphere tracing) and meshes (ray casting) from the same cameras.
- `grids`: SDF values on grids (marching cubes; a symmetric subgrid for edit metrics), INR occupancy.
- `images`: image rows and grids, atomic PNG writes.
- `files`: INR files -> PNG renders and meshes (`inredit render`).

May import `inr`, `geometry` and the top-level helpers; never `fitting`, `edits` or front ends.
"""
