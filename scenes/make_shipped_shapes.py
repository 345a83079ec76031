"""Regenerate the meshes in scenes/shapes/ (all made by this project, CC0).

    .venv/bin/python scenes/make_shipped_shapes.py
"""

from pathlib import Path

from inredit.geometry import primitives
from inredit.geometry.mesh_io import save_mesh

SHAPES = {
    "mug.obj": primitives.mug,  # hollow body + round handle on +x (the demo shape)
    "vase.ply": primitives.vase,  # smooth curved profile
    "composition.stl": primitives.composition,  # asymmetric box + cylinder + sphere
    "ring_with_peg.off": primitives.ring_with_peg,  # a shape with holes
}

if __name__ == "__main__":
    out = Path(__file__).parent / "shapes"
    for name, make in SHAPES.items():
        mesh = make()
        assert mesh.is_watertight, name
        print(save_mesh(mesh, out / name), len(mesh.faces), "faces")
