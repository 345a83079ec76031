"""Real-mesh benchmark: fit, remove-handle, dilate and symmetrize on meshes made by other people.

    bash scripts/get_real_meshes.sh              # once: third-party meshes from Debian packages
    .venv/bin/python benchmarks/real.py          # ~15 min on 2 CPU cores; resumable (fits are cached)
    .venv/bin/python benchmarks/real.py --json benchmarks/results/real.json
    .venv/bin/python benchmarks/real.py --only <ids> --remove-only   # remove-handle intersected with its input

The meshes, their packages, licenses and hand-placed handle boxes are in
`benchmarks/real/meshes.yaml`; nothing here is ever used for training. Every mesh is fitted by
the fit job (`--config`, default: the default job, `up: auto`), then:

- fit: IoU on a 128^3 grid, Chamfer-L1, `dead_inside` (share of inside voxels where the INR
  is exactly 0) and `misfit_at_surface` (share of the wrongly classified voxels that lie within
  half a voxel of the mesh surface: near 1, the IoU is lost to the grid, not to missing parts);
- remove-handle (objects with a handle box): `handle_emptied` = share of the mesh's inside voxels
  in the box that the edit turns outside (the unedited INR's value beside it), `body_iou` = IoU
  with the mesh outside the box, `pieces` = connected parts of the edited shape vs of the mesh's
  body (more pieces: remnants of the handle or a body broken apart), `handle_remnants` = parts of
  the edited shape wholly inside the box (floating pieces of the handle), `body_cut_far` = share of
  the fitted body's voxels that the edit removes lying more than 0.3 from the box, all on a 96^3 grid; `fit` =
  plain or leaky (the fit job's leaky-start refits, whose weights the editors handle worse), with means per kind;
- the same object stored z-up (rotated file, fitted with `up: auto`): remove-handle again, to
  check that the edit does not depend on the file's up axis;
- dilate r = 0.05 (exact and learned): gap closed = (IoU_edit - IoU_identity) / (IoU_direct_fit
  - IoU_identity) against the exact offset SDF, with a direct fit of that target per mesh;
- symmetrize across x = 0 (exact): IoU with the union of the mesh and its mirror image.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import yaml
from skimage.measure import label

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from torch_threads import add_threads_argument, apply_threads  # noqa: E402  (benchmarks/ is on sys.path)

from inredit.edits.registry import available_editors, get_editor, resolve_editor  # noqa: E402
from inredit.fitting.job import load_fit_job  # noqa: E402
from inredit.fitting.meshes import fit_meshes  # noqa: E402
from inredit.fitting.optimize import fit_batch, stack_samples  # noqa: E402
from inredit.geometry.mesh_io import UP_ROTATIONS, load_mesh  # noqa: E402
from inredit.geometry.metrics import grid_points, iou  # noqa: E402
from inredit.geometry.sampling import sample_shape_sdf  # noqa: E402
from inredit.geometry.shapes import MeshShape, OffsetShape  # noqa: E402
from inredit.inr.io import load_inr, save_inr  # noqa: E402
from inredit.inr.weights import INRWeights  # noqa: E402
from inredit.render.grids import IOU_RESOLUTION, inr_occupancy  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402

CATALOG = REPO / "benchmarks" / "real" / "meshes.yaml"
RESOLUTION = 96
DILATE_RADIUS = 0.05
BODY_CUT_FAR = 0.3  # in the normalized cube ([-1, 1]^3)
MIN_PIECE_VOXELS = 8  # connected parts smaller than this are grid noise, not remnants


def mesh_files(catalog: dict) -> dict[str, Path]:
    files = {}
    for mesh_id, entry in catalog["meshes"].items():
        path = REPO / "data" / "real" / mesh_id / Path(entry["file"]).name
        if not path.exists():
            sys.exit(f"{path}: missing; run `bash scripts/get_real_meshes.sh` first")
        files[mesh_id] = path
    return files


def handled_meshes() -> tuple[dict, dict[str, Path]]:
    """The catalog, and the files of its meshes that have a handle box."""
    catalog = yaml.safe_load(CATALOG.read_text())
    return catalog, {k: path for k, path in mesh_files(catalog).items() if "handle" in catalog["meshes"][k]}


def handled_masks(catalog: dict, files: dict[str, Path], grid: np.ndarray) -> tuple[dict, dict]:
    """Per handled mesh (read with the default fit job's up axis, as the fits), its occupancy on `grid`
    and the grid points in its handle box: {mesh id: mask} each."""
    up = load_fit_job(None).up
    meshes = {k: load_mesh(path, up=up) for k, path in files.items()}
    inside = {k: MeshShape(m.mesh, m.watertight).occupancy(grid) for k, m in meshes.items()}
    return inside, {k: box_mask(grid, catalog["meshes"][k]["handle"]) for k in files}


def fits_by_seed(files: dict[str, Path], work: Path, n_seeds: int) -> list[dict[str, Path]]:
    """The meshes fitted by the default fit job with fit seeds 0 .. n_seeds - 1, cached in work/seed<s>
    (fit_meshes skips a fit already there): per seed, {mesh id: INR file}."""
    job = load_fit_job(None)
    fits = []
    for seed in range(n_seeds):
        seeded = dataclasses.replace(job, fit=dataclasses.replace(job.fit, seed=seed))
        records = {Path(r.path).stem: Path(r.path) for r in fit_meshes(list(files.values()), work / f"seed{seed}", seeded)}
        fits.append({k: records[path.stem] for k, path in files.items()})
    return fits


def z_up_copy(path: Path, out_dir: Path) -> Path:
    """The same object in a z-up file (y-up -> z-up is the inverse of `UP_ROTATIONS['z']`)."""
    target = out_dir / f"{path.parent.name}.ply"
    if not target.exists():
        mesh = load_mesh(path, normalize=False, up="y").mesh
        mesh.apply_transform(np.block([[UP_ROTATIONS["z"].T, np.zeros((3, 1))], [np.zeros((1, 3)), np.ones((1, 1))]]))
        out_dir.mkdir(parents=True, exist_ok=True)
        mesh.export(target)
    return target


def misfit_at_surface(inr: INRWeights, shape: MeshShape) -> float:
    """Share of the fit's wrong voxels (128^3, as its IoU) that lie within half a voxel of the mesh's
    surface. Near 1, the IoU is lost to where a shell thinner than a few voxels meets the grid, not
    to missing or extra parts."""
    points = grid_points(IOU_RESOLUTION)
    wrong = inr_occupancy(inr, IOU_RESOLUTION)[0] != shape.occupancy(points)
    if not wrong.any():
        return 1.0
    return float((np.abs(shape.signed_distance(points[wrong])) < 1.0 / IOU_RESOLUTION).mean())  # voxel = 2 / R


def pieces(occupancy: np.ndarray, within: np.ndarray | None = None) -> int:
    """Connected parts of an occupancy grid; with `within`, only the parts wholly inside that mask."""
    labels = label(occupancy.reshape((RESOLUTION,) * 3), connectivity=1).ravel()
    sizes = np.bincount(labels)[1:]
    keep = sizes >= MIN_PIECE_VOXELS
    if within is not None:  # a part with any voxel outside the mask is not wholly inside it
        keep &= np.bincount(labels[~within], minlength=len(sizes) + 1)[1:] == 0
    return int(keep.sum())


def box_mask(points: np.ndarray, box: list) -> np.ndarray:
    box = np.asarray(box, dtype=np.float32)
    return np.all((points >= box[:, 0]) & (points <= box[:, 1]), axis=1)


def distance_to_box(points: np.ndarray, box: list) -> np.ndarray:
    box = np.asarray(box, dtype=np.float32)
    return np.linalg.norm(np.maximum(np.maximum(box[:, 0] - points, points - box[:, 1]), 0.0), axis=1)


def fit_start(metadata: dict) -> str:
    """How `inredit fit` fitted the mesh: "leaky" for its leaky-start refits (dead zones, low IoU), else
    "plain" (the kind of fit the editors' pairs mostly hold)."""
    return "leaky" if (metadata.get("fit", {}).get("config", {}).get("leak") or 0) > 0 else "plain"


def remove_handle_scores(editor, inr: INRWeights, mesh_occupancy: np.ndarray, handle_box: list) -> dict:
    grid = grid_points(RESOLUTION)
    handle = box_mask(grid, handle_box)
    before = inr_occupancy(inr, RESOLUTION)[0]
    after = inr_occupancy(editor.edit(inr), RESOLUTION)[0]
    handle_voxels = mesh_occupancy & handle
    body = mesh_occupancy & ~handle
    cut = before & ~after & body  # fitted body the edit removes
    return {"handle_emptied": float((~after[handle_voxels]).mean()),
            "handle_emptied_unedited": float((~before[handle_voxels]).mean()),
            "body_iou": iou(after[~handle], mesh_occupancy[~handle]),
            # the fit's own body IoU (the edit's ceiling) and how much of the fitted body the edit keeps
            "body_iou_unedited": iou(before[~handle], mesh_occupancy[~handle]),
            "body_kept": iou(after[~handle], before[~handle]),
            "pieces": pieces(after), "pieces_body": pieces(body),
            # parts of the edited shape wholly inside the handle box: floating remnants of the handle
            "handle_remnants": pieces(after, within=handle),
            # where the edit cuts the body: far from the handle means a disturbance of the whole surface
            "body_cut_far": float((distance_to_box(grid[cut], handle_box) > BODY_CUT_FAR).mean()) if cut.any() else 0.0,
            "volume_change": float(after.mean() - before.mean()) / max(float(before.mean()), 1e-9)}


def fit_dilate_targets(meshes: dict, job, out_dir: Path) -> dict[str, INRWeights]:
    """Direct fits of each mesh's exact offset SDF (the ceiling a dilate edit is measured against)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {k: out_dir / f"{k}.safetensors" for k in meshes}
    todo = [k for k in meshes if not files[k].exists()]
    for start in range(0, len(todo), job.batch_size):
        names = todo[start : start + job.batch_size]
        samples = [sample_shape_sdf(OffsetShape(MeshShape(meshes[k].mesh, meshes[k].watertight), DILATE_RADIUS),
                                    job.sampling, seed=job.fit.seed) for k in names]
        points, sdf = stack_samples([s.points for s in samples], [s.sdf for s in samples])
        result = fit_batch(points, sdf, job.spec, job.fit)
        for i, k in enumerate(names):
            save_inr(files[k], result.inr.select(i), {"target": f"dilate {DILATE_RADIUS}"})
    return {k: load_inr(f)[0] for k, f in files.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, help="fit config YAML (default: the default fit job)")
    parser.add_argument("--work", type=Path, default=REPO / "out" / "real", help="fitted INRs (cached; resumable)")
    parser.add_argument("--only", nargs="*", help="mesh ids (default: all)")
    parser.add_argument("--remove-handle-editor", type=Path, help="editor file to score (default: the shipped one)")
    parser.add_argument("--remove-only", action="store_true",
                        help="score remove-handle intersected with its input, as `inredit edit --remove-only`")
    parser.add_argument("--json", type=Path, help="also write the tables as JSON")
    add_threads_argument(parser)
    args = parser.parse_args()
    setting = apply_threads(args.threads)
    warnings.filterwarnings("ignore", message=".*not watertight.*")

    catalog = yaml.safe_load(CATALOG.read_text())
    files = mesh_files(catalog)
    if args.only:
        files = {k: files[k] for k in args.only}
    handled = [k for k in files if "handle" in catalog["meshes"][k]]
    job = load_fit_job(args.config)
    work = args.work / (args.config.stem if args.config else "default")
    z_files = {k: z_up_copy(files[k], work / "z-up-files") for k in handled}

    fitted = {Path(r.path).stem: r for r in fit_meshes(list(files.values()), work / "fitted", job)}
    z_fitted = {Path(r.path).stem: r for r in fit_meshes(list(z_files.values()), work / "fitted-z-up", job)}
    loaded = {k: load_inr(fitted[files[k].stem].path) for k in files}
    inrs = {k: inr for k, (inr, _) in loaded.items()}
    meshes = {k: load_mesh(files[k], up=job.up) for k in files}
    grid = grid_points(RESOLUTION)
    shapes = {k: MeshShape(m.mesh, m.watertight) for k, m in meshes.items()}  # one raycasting scene per mesh
    occupancy = {k: shape.occupancy(grid) for k, shape in shapes.items()}

    print(f"# Real-mesh benchmark ({setting}; fit job {args.config or 'default'}, spec {job.spec.describe()})\n")
    fit_rows = [{"mesh": k, "object": catalog["meshes"][k]["object"], "up": meshes[k].up,
                 "iou": fitted[files[k].stem].metrics["iou"], "chamfer_l1": fitted[files[k].stem].metrics["chamfer_l1"],
                 "dead_inside": fitted[files[k].stem].metrics["dead_inside"],
                 "misfit_at_surface": misfit_at_surface(inrs[k], shapes[k])} for k in files]
    print("## Fit (IoU 128^3, Chamfer-L1, share of inside voxels where f == 0, share of wrong voxels within half a voxel of the surface)\n")
    print(markdown_table(fit_rows, ["mesh", "object", "up", "iou", "chamfer_l1", "dead_inside", "misfit_at_surface"]))
    print(f"\nmean IoU {np.mean([r['iou'] for r in fit_rows]):.3f}, min {min(r['iou'] for r in fit_rows):.3f}, "
          f"mean dead_inside {np.mean([r['dead_inside'] for r in fit_rows]):.4f}\n")

    remove = resolve_editor("remove-handle", args.remove_handle_editor, remove_only=args.remove_only)
    handle_rows = []
    for k in handled:
        box = catalog["meshes"][k]["handle"]
        row = {"mesh": k, "fit": fit_start(loaded[k][1])} | remove_handle_scores(remove, inrs[k], occupancy[k], box)
        z_inr = load_inr(z_fitted[k].path)[0]
        row["handle_emptied_z_up_file"] = remove_handle_scores(remove, z_inr, occupancy[k], box)["handle_emptied"]
        handle_rows.append(row)
    print(f"## remove-handle ({args.remove_handle_editor or 'shipped'} {remove.kind} editor"
          f"{', intersected with its input' if args.remove_only else ''}, {RESOLUTION}^3 grid; "
          "handle boxes in benchmarks/real/meshes.yaml)\n")
    print(markdown_table(handle_rows, ["mesh", "fit", "handle_emptied", "handle_emptied_unedited", "body_iou", "body_iou_unedited",
                                       "body_kept", "body_cut_far", "pieces", "pieces_body", "handle_remnants", "volume_change",
                                       "handle_emptied_z_up_file"]))
    print(f"\nmean handle emptied {np.mean([r['handle_emptied'] for r in handle_rows]):.3f} "
          f"(min {min(r['handle_emptied'] for r in handle_rows):.3f}), mean body IoU "
          f"{np.mean([r['body_iou'] for r in handle_rows]):.3f} (unedited fits {np.mean([r['body_iou_unedited'] for r in handle_rows]):.3f}; "
          f"fitted body kept by the edit {np.mean([r['body_kept'] for r in handle_rows]):.3f})")
    for start in ("plain", "leaky"):  # the leaky-start refits' weights lie elsewhere: editors do worse on them
        rows = [r for r in handle_rows if r["fit"] == start]
        if rows:
            print(f"{start} fits ({len(rows)}): handle emptied {np.mean([r['handle_emptied'] for r in rows]):.3f}, body IoU "
                  f"{np.mean([r['body_iou'] for r in rows]):.3f} (unedited {np.mean([r['body_iou_unedited'] for r in rows]):.3f})")
    print()

    targets = fit_dilate_targets(meshes, job, work / "dilate-targets")
    truths, baselines = {}, {}  # per mesh, shared by both editors
    for k in files:
        truths[k] = OffsetShape(shapes[k], DILATE_RADIUS).occupancy(grid)
        baselines[k] = (iou(inr_occupancy(inrs[k], RESOLUTION)[0], truths[k]), iou(inr_occupancy(targets[k], RESOLUTION)[0], truths[k]))
    dilate_rows = []
    shipped = available_editors()  # the exact dilate (its default radius), and the learned one if one ships for this spec
    dilate_editors = {name: shipped[name] for name in ("dilate", "dilate-learned")
                      if name in shipped and shipped[name].spec in (None, job.spec)}
    for name, editor in dilate_editors.items():
        for k in files:
            identity, direct = baselines[k]
            edited = iou(inr_occupancy(editor.edit(inrs[k]), RESOLUTION)[0], truths[k])
            gap = (edited - identity) / (direct - identity) if direct - identity > 0.005 else float("nan")
            dilate_rows.append({"editor": name, "mesh": k, "iou_identity": identity, "iou_direct_fit": direct,
                                "iou_edit": edited, "gap_closed": gap})
    print(f"## dilate r = {DILATE_RADIUS} (IoU with the exact offset SDF)\n")
    print(markdown_table(dilate_rows, ["editor", "mesh", "iou_identity", "iou_direct_fit", "iou_edit", "gap_closed"]))
    for name in dilate_editors:
        gaps = [r["gap_closed"] for r in dilate_rows if r["editor"] == name]
        print(f"\n{name}: mean gap closed {np.nanmean(gaps):.3f}, median {np.nanmedian(gaps):.3f}")

    symmetrize = get_editor("symmetrize", axis="x")
    mirror = grid * np.array([-1, 1, 1], np.float32)
    sym_rows = []
    for k in files:
        truth = occupancy[k] | shapes[k].occupancy(mirror)
        sym_rows.append({"mesh": k, "iou_identity": iou(inr_occupancy(inrs[k], RESOLUTION)[0], truth),
                         "iou_edit": iou(inr_occupancy(symmetrize.edit(inrs[k]), RESOLUTION)[0], truth)})
    print("\n## symmetrize across x = 0 (exact; IoU with the union of the mesh and its mirror image)\n")
    print(markdown_table(sym_rows, ["mesh", "iou_identity", "iou_edit"]))
    print(f"\nmean IoU {np.mean([r['iou_edit'] for r in sym_rows]):.3f} (unedited {np.mean([r['iou_identity'] for r in sym_rows]):.3f})")

    if args.json:
        args.json.write_text(json.dumps({"threads": setting, "fit": fit_rows, "remove_handle": handle_rows,
                                         "dilate": dilate_rows, "symmetrize": sym_rows}, indent=2, default=float))


if __name__ == "__main__":
    main()
