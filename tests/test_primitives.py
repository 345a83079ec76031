import numpy as np
import pytest
from conftest import SHAPES

from inredit.geometry import primitives
from inredit.geometry.mesh_io import load_mesh
from inredit.geometry.sampling import MeshSDF


@pytest.mark.parametrize("make", [primitives.mug, primitives.vase, primitives.composition, primitives.ring_with_peg])
def test_primitives_are_watertight_volumes(make):
    mesh = make()
    assert mesh.is_watertight and mesh.is_volume and mesh.volume > 0


def test_mug_is_hollow_and_has_a_handle_on_plus_x():
    with_handle, body = primitives.mug(), primitives.mug(with_handle=False)
    assert with_handle.bounds[1, 0] > body.bounds[1, 0] + 0.2  # the handle sticks out on +x
    assert np.allclose(with_handle.bounds[:, 1], body.bounds[:, 1])  # and not above or below
    inside = MeshSDF(with_handle).occupancy(np.array([
        [0.0, 0.5, 0.0],  # cavity: empty
        [0.0, 0.05, 0.0],  # bottom: solid
        [0.45 + 0.27, 0.475, 0.0],  # far side of the handle loop: solid
        [0.45 + 0.12, 0.475, 0.0],  # hole of the handle: empty
    ]))
    assert inside.tolist() == [False, True, True, False]


def test_shipped_shapes_load_watertight_and_include_a_mug():
    files = sorted(SHAPES.iterdir())
    names = {f.name for f in files if f.suffix in (".obj", ".ply", ".stl", ".off")}
    assert "mug.obj" in names and len(names) >= 3
    for name in names:
        item = load_mesh(SHAPES / name)
        assert item.watertight, name
        assert np.isclose(np.abs(item.mesh.bounds).max(), 0.9)
