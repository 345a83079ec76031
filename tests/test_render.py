import numpy as np
import pytest
import torch
import trimesh
from PIL import Image

from inredit.errors import InreditError
from inredit.render.cameras import Camera, orbit_cameras
from inredit.render.grids import extract_mesh, grid_to_mesh, sdf_grid
from inredit.render.images import image_grid, image_row, save_png
from inredit.render.views import (
    render_mesh_views,
    render_sdf,
    render_sdf_views,
    sphere_trace,
)


def sphere(radius=0.5, center=(0.0, 0.0, 0.0)):
    c = torch.tensor(center)
    return lambda p: (p - c).norm(dim=-1) - radius


def test_sphere_trace_hits_sphere_at_exact_distance():
    origins = torch.tensor([[0.0, 0.0, 3.0], [0.0, 0.9, 3.0]])
    directions = torch.tensor([[0.0, 0.0, -1.0], [0.0, 0.0, -1.0]])
    t, hit = sphere_trace(sphere(0.5), origins, directions)
    assert hit.tolist() == [True, False]
    assert t[0].item() == pytest.approx(2.5, abs=2e-3)


def test_rays_outside_the_cube_are_never_evaluated():
    evaluated = []

    def recording_sdf(points):
        evaluated.append(points.clone())
        return points.norm(dim=-1) - 0.5

    origins, directions = Camera(eye=(0.0, 0.0, 3.2)).rays(32)
    sphere_trace(recording_sdf, origins, directions)
    points = torch.cat(evaluated)
    assert points.abs().max() <= 1.0 + 1e-4


def test_sdf_render_matches_mesh_render_of_the_same_shape():
    cameras = orbit_cameras(2)
    sdf_images = render_sdf_views(sphere(0.5, (0.2, 0.0, 0.0)), cameras, 64)
    mesh = trimesh.creation.icosphere(subdivisions=5, radius=0.5).apply_translation((0.2, 0.0, 0.0))
    mesh_images = render_mesh_views(mesh, cameras, 64)
    for a, b in zip(sdf_images, mesh_images):
        silhouette_a, silhouette_b = (a < 250).any(-1), (b < 250).any(-1)
        assert 0.05 < silhouette_a.mean() < 0.5
        assert (silhouette_a != silhouette_b).mean() < 0.01
    # off-centre sphere: the two views see it at different places
    assert not np.array_equal((sdf_images[0] < 250).any(-1), (sdf_images[1] < 250).any(-1))


def test_views_traced_together_equal_views_traced_one_by_one():
    cameras, shape = orbit_cameras(3), sphere(0.4, (0.3, -0.1, 0.0))
    together = render_sdf_views(shape, cameras, 48)
    for camera, image in zip(cameras, together):
        np.testing.assert_array_equal(image, render_sdf(shape, camera, 48))


def test_marching_cubes_mesh_is_closed_outward_and_accurate():
    mesh = extract_mesh(sphere(0.5), resolution=64)
    assert mesh.is_watertight
    assert mesh.volume == pytest.approx(4 / 3 * np.pi * 0.125, rel=0.02)  # positive: faces point out
    assert np.abs(np.linalg.norm(mesh.vertices, axis=1) - 0.5).max() < 0.01


def test_shape_cut_by_the_cube_is_closed():
    mesh = extract_mesh(lambda p: p[:, 0], resolution=32)  # half-space x < 0
    assert mesh.is_watertight and mesh.volume == pytest.approx(4.0, rel=0.1)


def test_grid_without_surface_is_a_clear_error():
    with pytest.raises(InreditError, match="no zero level"):
        grid_to_mesh(sdf_grid(lambda p: p.norm(dim=-1) + 1.0, 16))


def test_images_compose_and_save(tmp_path):
    red = np.zeros((8, 8, 3), np.uint8)
    row = image_row([red, red, red], gap=2)
    assert row.shape == (8, 28, 3)
    grid = image_grid([[red, red], [red]], gap=2)
    assert grid.shape == (18, 18, 3)
    path = save_png(grid, tmp_path / "sub" / "g.png")
    assert np.array_equal(np.asarray(Image.open(path)), grid)
