"""How faithful a fit is: an INR against its reference mesh (IoU, Chamfer-L1, normal consistency, dead zones)."""

from __future__ import annotations

import torch

from inredit.errors import InreditError
from inredit.geometry.mesh_io import Mesh
from inredit.geometry.metrics import chamfer_and_normal_consistency, grid_points, iou
from inredit.geometry.sampling import MeshSDF
from inredit.inr.torch_backend import evaluate_chunked, sdf_function
from inredit.inr.weights import INRWeights
from inredit.render.grids import IOU_RESOLUTION, extract_mesh

MESH_RESOLUTION = 160


def inr_vs_mesh_metrics(inr: INRWeights, reference: Mesh) -> dict:
    """IoU on a 128^3 grid, Chamfer-L1 and normal consistency of the marching-cubes surface, and
    `dead_inside`: the share of the mesh's inside grid points where the INR is exactly 0.

    f == 0 exactly means every last-hidden-layer unit is off there: no output and no gradient, so
    training cannot recover it, and sphere tracing draws it as surface while occupancy is empty.
    """
    points = torch.from_numpy(grid_points(IOU_RESOLUTION))
    reference_occupancy = MeshSDF(reference.mesh, reference.watertight).occupancy(points.numpy())
    values = evaluate_chunked(inr, points)[0].cpu().numpy()
    metrics = {"iou": iou(values < 0, reference_occupancy),
               "dead_inside": float((values[reference_occupancy] == 0).mean()) if reference_occupancy.any() else 0.0}
    try:
        surface = extract_mesh(sdf_function(inr), resolution=MESH_RESOLUTION)
    except InreditError:  # no surface at all: the fit failed completely
        return metrics | {"chamfer_l1": float("nan"), "normal_consistency": float("nan")}
    chamfer, consistency = chamfer_and_normal_consistency(surface, reference.mesh)
    return metrics | {"chamfer_l1": chamfer, "normal_consistency": consistency}
