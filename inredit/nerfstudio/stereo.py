"""Carve a cavity out of the visual hull with multi-view stereo: plane-sweep depth maps, free-space votes.

Silhouettes cannot see a cup's cavity; photometry can when the surface has texture. But volume
rendering started from the hull does not carve it: the colors a lid over the opening would need are
learned on the lid itself, so nothing pulls the surface down into the cup. Classic stereo does not
have that trap. For each training view, a plane sweep tries depths inside the hull (fronto-parallel
planes; the nearest views warped onto each plane; 1 - normalized cross-correlation in small windows,
averaged over the best-matching neighbors), keeps the best depth of every foreground pixel whose
match is good and textured, and refines it between planes. A hull point that enough views see in
front of their depth (by a margin) is free space and is carved away.

Cameras follow nerfstudio/OpenGL (camera looks down -z, y up) as in `visual_hull.project`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from inredit.geometry.metrics import grid_points
from inredit.nerfstudio.visual_hull import pixel_lookup, project


@dataclass
class StereoConfig:
    neighbors: int = 6  # views compared with each reference view (smallest angle between optical axes)
    best_of: int = 3  # the cost of a depth averages the best `best_of` neighbors (occlusion)
    planes: int = 192  # depth planes between the INR cube's near and far distance
    window: int = 5  # NCC window (pixels)
    max_cost: float = 0.4  # 1 - NCC above this: no depth for the pixel
    min_texture: float = 0.02  # std of the window's luminance below this: no depth (flat color)
    margin: float = 0.03  # a point counts as seen free when it lies this far in front of the depth
    min_views: int = 3  # free in at least this many views -> carved


def _sample(image: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Bilinear lookup of a `(C, H, W)` image at pixel coordinates `(H', W')`; outside -> 0."""
    height, width = image.shape[-2:]
    grid = torch.stack([2 * u / width - 1, 2 * v / height - 1], -1)[None]
    return F.grid_sample(image[None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0]


def _window_mean(x: torch.Tensor, window: int) -> torch.Tensor:
    """Mean of each `window` x `window` window of an `(N, H, W)` stack (same size; borders: the part inside)."""
    return F.avg_pool2d(x[:, None], window, stride=1, padding=window // 2, count_include_pad=False)[:, 0]


def _window_mean_variance(x: torch.Tensor, window: int) -> tuple[torch.Tensor, torch.Tensor]:
    mean = _window_mean(x, window)
    return mean, (_window_mean(x * x, window) - mean**2).clamp_min(0)


def _window_ncc(a: torch.Tensor, mean_a: torch.Tensor, variance_a: torch.Tensor, b: torch.Tensor,
                window: int) -> torch.Tensor:
    """Per-pixel NCC of a `(1, H, W)` reference (its window mean and variance given: the same for
    every plane) with each image of an `(N, H, W)` stack over `window` x `window` windows."""
    mean_b, variance_b = _window_mean_variance(b, window)
    return (_window_mean(a * b, window) - mean_a * mean_b) / torch.sqrt(variance_a * variance_b + 1e-6)


def neighbor_views(camera_to_worlds: torch.Tensor, count: int) -> torch.Tensor:
    """`(V, count)` indices: for each view, the views whose optical axes make the smallest angles with it."""
    axes = -camera_to_worlds[:, :, 2]
    cosine = axes @ axes.T
    cosine.fill_diagonal_(-2.0)
    return cosine.topk(min(count, len(axes) - 1), dim=1).indices


def luminance(rgba: torch.Tensor) -> torch.Tensor:
    """`(H, W, 4)` straight-alpha RGBA -> `(H, W)` luminance on a white background."""
    rgb = rgba[..., :3] * rgba[..., 3:] + (1 - rgba[..., 3:])
    return rgb @ torch.tensor([0.299, 0.587, 0.114])


def sweep_depth(view: int, camera_to_worlds: torch.Tensor, intrinsics: torch.Tensor, images: list[torch.Tensor],
                inside_hull, near: float, far: float, config: StereoConfig) -> torch.Tensor:
    """Z-depth `(H, W)` of view `view` by plane sweep (NaN where unknown). `images`: RGBA `(H, W, 4)`;
    `inside_hull(points (N, 3)) -> (N,) bool` restricts the candidate depths to the hull."""
    rgba = images[view]
    height, width = rgba.shape[:2]
    fx, fy, cx, cy = intrinsics[view]
    v, u = torch.meshgrid(torch.arange(height) + 0.5, torch.arange(width) + 0.5, indexing="ij")
    rays = torch.stack([(u - cx) / fx, -(v - cy) / fy, -torch.ones_like(u)], -1) @ camera_to_worlds[view][:, :3].T
    origin = camera_to_worlds[view][:, 3]
    reference = luminance(rgba)[None]
    reference_mean, reference_variance = _window_mean_variance(reference, config.window)
    others = neighbor_views(camera_to_worlds, config.neighbors)[view]
    gray = [luminance(images[int(i)])[None] for i in others]
    depths = torch.linspace(near, far, config.planes)
    costs = torch.empty(config.planes, height, width)
    for k, depth in enumerate(depths):
        points = origin + depth * rays
        per_view = []
        for i, image in zip(others, gray):
            un, vn, _ = project(points, camera_to_worlds[int(i)], intrinsics[int(i)])
            per_view.append(_sample(image, un, vn)[0])
        ncc = _window_ncc(reference, reference_mean, reference_variance, torch.stack(per_view), config.window)
        cost = (1 - ncc).sort(0).values[: config.best_of].mean(0)
        outside = ~inside_hull(points.reshape(-1, 3)).reshape(height, width)
        costs[k] = cost.masked_fill(outside, float("inf"))
    best = costs.argmin(0)
    best_cost = costs.gather(0, best[None])[0]
    # parabola through the best plane and its two neighbors: sub-plane depth
    lo, hi = (best - 1).clamp(0, config.planes - 1), (best + 1).clamp(0, config.planes - 1)
    c0, c2 = costs.gather(0, lo[None])[0], costs.gather(0, hi[None])[0]
    denominator = c0 - 2 * best_cost + c2
    offset = torch.where(torch.isfinite(denominator) & (denominator > 1e-6), 0.5 * (c0 - c2) / denominator, torch.zeros(()))
    step = (far - near) / (config.planes - 1)
    depth = depths[best] + offset.clamp(-0.5, 0.5) * step
    texture = reference_variance[0].sqrt()
    # whole window on the object: a window across the silhouette matches the background, not the surface
    solid = -F.max_pool2d(-(rgba[..., 3] > 0.99).float()[None, None], config.window, 1, config.window // 2)[0, 0] > 0.5
    valid = solid & (best_cost < config.max_cost) & (texture > config.min_texture)
    return torch.where(valid, depth, torch.full_like(depth, float("nan")))


def free_space_votes(points: torch.Tensor, camera_to_worlds: torch.Tensor, intrinsics: torch.Tensor,
                     depth_maps: list[torch.Tensor], margin: float) -> torch.Tensor:
    """`(N,)` counts of views whose depth map puts the point in front of the surface by `margin`."""
    votes = torch.zeros(len(points), dtype=torch.int32)
    for c2w, intrinsic, depth_map in zip(camera_to_worlds, intrinsics, depth_maps):
        surface, depth = pixel_lookup(depth_map, points, c2w, intrinsic, fill=float("nan"))
        votes += (depth < surface - margin).int()  # NaN compares False: no depth, no vote
    return votes


def hull_lookup(hull: torch.Tensor, inr_center: torch.Tensor, half_extent: float):
    """`inside(points (N, 3) world) -> (N,) bool` for an `(R, R, R)` grid over the INR cube: within one
    cell of an occupied cell (trilinear > 0), so a surface on the hull's boundary is not cut off."""
    volume = hull.float()[None, None]

    def inside(points: torch.Tensor) -> torch.Tensor:
        u = (points - inr_center) / half_extent
        grid = u[:, [2, 1, 0]].reshape(1, 1, 1, -1, 3)  # grid_sample's (x, y, z) index (W, H, D) = our (z, y, x)
        return F.grid_sample(volume, grid, align_corners=False).reshape(-1) > 0

    return inside


def carve_hull(hull: torch.Tensor, inr_center: torch.Tensor, half_extent: float, camera_to_worlds: torch.Tensor,
               intrinsics: torch.Tensor, images: list[torch.Tensor], config: StereoConfig = StereoConfig()) -> torch.Tensor:
    """The visual hull `(R, R, R)` (bool, on `grid_points(R)` of the INR cube) minus what the views'
    plane-sweep depth maps see as free space. `images`: RGBA `(H, W, 4)` in [0, 1]."""
    resolution = hull.shape[0]
    inside_hull = hull_lookup(hull, inr_center, half_extent)
    reach = math.sqrt(3) * half_extent
    depth_maps = []
    for view in range(len(images)):
        distance = float((camera_to_worlds[view][:, 3] - inr_center).norm())
        depth_maps.append(sweep_depth(view, camera_to_worlds, intrinsics, images, inside_hull,
                                      max(distance - reach, 1e-3), distance + reach, config))
    points = torch.from_numpy(grid_points(resolution)) * half_extent + inr_center
    votes = free_space_votes(points, camera_to_worlds, intrinsics, depth_maps, config.margin)
    return hull & (votes < config.min_views).reshape(hull.shape)
