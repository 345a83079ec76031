"""nerfstudio benchmark/demo: a scene trained with inredit-sdf from a fitted INR of its mesh, edited by ns-edit.

    .venv/bin/python benchmarks/nerfstudio.py --edit remove-handle --json benchmarks/results/nerfstudio.json
    .venv/bin/python benchmarks/nerfstudio.py --scene composition --edit symmetrize \
        --json benchmarks/results/nerfstudio-symmetrize.json   # exact edit, distilled back to the run's spec
    .venv/bin/python benchmarks/nerfstudio.py --edit identity --quick      # smoke run (no trained editor needed)
    .venv/bin/python benchmarks/nerfstudio.py --from-images --scene mug-speckled --edit remove-handle --runs 1 \
        --work out/bench_nerfstudio_images --json benchmarks/results/nerfstudio-from-images.json  # no mesh: from photos

Steps (everything on the CPU, in --work, default out/bench_nerfstudio/):
1. `inredit make-scene scenes/nerfstudio/<scene>.yaml` (default: a procedural mug of the remove-handle family;
   `--scene composition`: the shipped asymmetric composition, a symmetrize input);
2. fit the scene's mesh with the default fit job (the geometry the run starts from; `--from-images`: no
   fit, the geometry is learned from the images with configs/nerfstudio/cpu-mug-images.yaml, and ns-edit
   refits it by the fit job before a learned edit, so only its total time is measured);
3. `ns-train inredit-sdf` (configs/nerfstudio/cpu-mug.yaml) from that INR: appearance trained, geometry
   frozen (`--finetune-geometry` trains it too); its wall-clock time is the re-training cost;
4. the trained run copied to `--runs` run folders (same scene: training 8 scenes would only repeat
   step 3), then ONE `inredit ns-edit --edit NAME` call over all of them (timed as a process, with
   and without the mesh/render extras, and in-process: load + edit + write only);
5. scores on the mesh ns-edit extracts from the edited run (`edited_geometry.ply`), 96^3 grid, for the
   source run and the edited run: mirror-symmetry IoU across x = 0; for a mug, handle emptied (fraction
   of the handle region outside the edited shape) and body IoU (outside the handle region, against the
   exact handle-less body); for symmetrize, IoU with the scene mesh united with its mirror image;
6. `ns-render dataset` (test split) of the source and the edited run -> renders.png (source above edited);
   write-back scores on those renders: PSNR over the pixels where the scene shows a kept part (edited
   render against the source run's, and each against the scene's own test images); for a mug, the share
   of pixels that showed the handle in front of the background that render as background.

Prints a markdown table; --json writes the numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent
ENV = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), "CUDA_VISIBLE_DEVICES": ""}

from torch_threads import add_threads_argument, apply_threads  # noqa: E402  (benchmarks/ is on sys.path)

from inredit.geometry.edits import handle_region  # noqa: E402
from inredit.geometry.families import MugParams, mug_body, mug_cavity  # noqa: E402
from inredit.geometry.metrics import (  # noqa: E402
    chamfer_and_normal_consistency,
    grid_points,
    iou,
    mirror_occupancy,
)
from inredit.geometry.shapes import MeshShape  # noqa: E402
from inredit.nerfstudio.presets import ns_train_args  # noqa: E402
from inredit.nerfstudio.scene import (  # noqa: E402
    PartScene,
    build_parts,
    focal_length,
    load_scene_spec,
    make_scene,
    normalize_parts,
    read_scene_metadata,
    scene_to_source,
)


def run(args: list, cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=ENV, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"command failed: {' '.join(map(str, args))}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return time.perf_counter() - start


def geometry_scores(mesh_path: Path, scene: Path, scene_meta: dict, edit: str, resolution: int = 96,
                    against_scene: bool = False) -> dict:
    """Scores of one run's extracted geometry against the scene it was trained on (see the docstring);
    `against_scene`: also IoU and Chamfer-L1 with the scene's mesh, and for a mug the share of its
    cavity left open (geometry learned from images)."""
    import trimesh

    grid = grid_points(resolution)
    mesh = trimesh.load(mesh_path)
    occupancy = MeshShape(mesh, watertight=True).occupancy(grid)
    scores = {"symmetry_iou": iou(occupancy, mirror_occupancy(occupancy, resolution))}
    if against_scene or edit == "symmetrize":
        truth_mesh = trimesh.load(scene / "mesh.ply")
        truth = MeshShape(truth_mesh, watertight=True).occupancy(grid)
    if against_scene:
        scores["iou_vs_scene_mesh"] = iou(occupancy, truth)
        scores["chamfer_l1"] = chamfer_and_normal_consistency(mesh, truth_mesh)[0]
        if "mug_params" in scene_meta:
            cavity = MeshShape(mug_cavity(MugParams(**scene_meta["mug_params"]))).occupancy(scene_to_source(scene_meta, grid))
            scores["cavity_open"] = float((~occupancy[cavity]).mean())
    if edit == "symmetrize":
        scores["iou_vs_symmetrized_mesh"] = iou(occupancy, truth | mirror_occupancy(truth, resolution))
    if "mug_params" in scene_meta:
        scores |= handle_scores(occupancy, grid, scene_meta)
    return scores


def handle_scores(occupancy: np.ndarray, grid: np.ndarray, scene_meta: dict) -> dict:
    params = MugParams(**scene_meta["mug_params"])
    handle = handle_region(params, scene_to_source(scene_meta, grid))
    body = mug_body(params)
    norm = scene_meta["normalization"]
    body.apply_translation(-np.asarray(norm["center"]))
    body.apply_scale(norm["scale"])
    target = MeshShape(body).occupancy(grid)
    return {"handle_emptied": float((~occupancy[handle]).mean()),
            "body_iou": iou(occupancy[~handle], target[~handle]), "handle_points": int(handle.sum())}


def tree_hash(folder: Path) -> str:
    """SHA-256 over every file of a run folder (names and bytes): the source run must stay untouched."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / max(float(np.mean((a - b) ** 2)), 1e-12)))


def write_back_scores(scene: Path, spec, renders: dict[str, Path], removed: str | None = None) -> dict:
    """Appearance after an edit on the test views (see the docstring, step 6). `renders`: run name ->
    ns-render's rgb folder; the true part under each pixel comes from re-casting the scene's cameras,
    `removed` names the part the edit takes away (it is not part of the kept region)."""
    from PIL import Image

    parts, _ = build_parts(spec)
    parts, _, _ = normalize_parts(parts)
    removed_id = next((i for i, p in enumerate(parts) if p.name == removed), -2)
    whole = PartScene(parts)
    without_removed = PartScene([p for p in parts if p.name != removed])
    f = focal_length(spec)
    kept, cleared, truth = [], [], []
    for frame in json.loads((scene / "transforms_test.json").read_text())["frames"]:
        c2w = np.asarray(frame["transform_matrix"])
        part = whole.render(c2w, spec.resolution, f, spec.supersample)["part"]
        behind = without_removed.render(c2w, spec.resolution, f, spec.supersample)["mask"]
        kept.append((part >= 0) & (part != removed_id))
        cleared.append((part == removed_id) & ~behind)  # the removed part in front of the background
        rgba = np.asarray(Image.open(scene / (frame["file_path"] + ".png")).convert("RGBA"), np.float64) / 255
        truth.append(rgba[..., :3] * rgba[..., 3:] + (1 - rgba[..., 3:]))  # on the model's white background
    kept, cleared, truth = np.stack(kept), np.stack(cleared), np.stack(truth)
    images = {name: np.stack([np.asarray(Image.open(p).convert("RGB"), np.float64) / 255 for p in sorted(folder.glob("*"))])
              for name, folder in renders.items()}
    scores: dict[str, float] = {}
    for name, image in images.items():
        scores[f"psnr_kept_{name}_vs_images"] = psnr(image[kept], truth[kept])
        if cleared.any():
            scores[f"{removed}_pixels_background_{name}"] = float((image[cleared] > 0.85).all(-1).mean())
    if "edited" in images and "source" in images:
        scores["psnr_kept_edited_vs_source"] = psnr(images["edited"][kept], images["source"][kept])
    return scores


def ns_train_iterations(preset: Path) -> int:
    _, train_args = ns_train_args(preset)
    return int(train_args[train_args.index("--max-num-iterations") + 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edit", default="remove-handle")
    parser.add_argument("--scene", default="mug", help="a scene of scenes/nerfstudio/ (mug, composition, vase)")
    parser.add_argument("--axis", default=None, help="symmetrize / mirror axis (ns-edit --axis)")
    parser.add_argument("--work", type=Path, default=REPO / "out" / "bench_nerfstudio")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=None, help="training iterations (preset: 2000)")
    parser.add_argument("--views", type=int, default=None, help="train views (default 48; --from-images: the scene's own)")
    parser.add_argument("--resolution", type=int, default=None, help="image size (default 64; --from-images: the scene's own)")
    parser.add_argument("--finetune-geometry", action="store_true", help="train the geometry too (default: frozen)")
    parser.add_argument("--from-images", action="store_true",
                        help="no mesh fit: the geometry is learned from the images (configs/nerfstudio/cpu-mug-images.yaml)")
    parser.add_argument("--preset", type=Path, default=None, help="ns-train preset (default: cpu-mug.yaml, or "
                        "cpu-mug-images.yaml with --from-images)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 16 views, 200 iterations, 2 runs")
    parser.add_argument("--json", type=Path, default=None)
    add_threads_argument(parser)
    args = parser.parse_args()
    print(f"# nerfstudio benchmark ({apply_threads(args.threads)} in this process; ns-train and ns-edit run as commands)")
    if args.quick:
        args.views, args.iterations, args.runs = 16, args.iterations or 200, min(args.runs, 2)
    if not args.from_images:  # the fitted geometry is frozen: appearance needs few, small views
        args.views, args.resolution = args.views or 48, args.resolution or 64
    work = args.work.resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    times: dict[str, float] = {}

    scene = work / "scene"
    start = time.perf_counter()
    scene_spec = load_scene_spec(REPO / "scenes" / "nerfstudio" / f"{args.scene}.yaml", train_views=args.views, test_views=4,
                                 resolution=args.resolution)
    make_scene(scene_spec, scene)
    args.views, args.resolution = scene_spec.train_views, scene_spec.resolution
    times["make_scene_s"] = time.perf_counter() - start
    meta = read_scene_metadata(scene)

    if args.from_images:
        record, geometry_args = None, ["--pipeline.model.freeze-geometry", "False"]
    else:
        from inredit.fitting.job import FitJob
        from inredit.fitting.meshes import fit_meshes

        start = time.perf_counter()
        record = fit_meshes([scene / "mesh.ply"], work / "inr", FitJob(up="y"))[0]  # the scene frame is the INR frame
        times["fit_s"] = time.perf_counter() - start
        geometry_args = ["--pipeline.model.geometry-init", record.path,
                         "--pipeline.model.freeze-geometry", str(not args.finetune_geometry)]

    preset = args.preset or REPO / "configs" / "nerfstudio" / ("cpu-mug-images.yaml" if args.from_images else "cpu-mug.yaml")
    method, train_args = ns_train_args(preset)
    if args.iterations:
        train_args += ["--max-num-iterations", str(args.iterations), "--steps-per-save", str(args.iterations)]
        for group in ("geometry", "appearance"):
            train_args += [f"--optimizers.{group}.scheduler.max-steps", str(args.iterations)]
    times["train_s"] = run([BIN / "ns-train", method, *train_args, "--output-dir", work / "outputs", "--timestamp", "run",
                            *geometry_args, "--data", scene], cwd=work)
    source = work / "outputs" / "scene" / "inredit-sdf" / "run"

    configs = []
    for i in range(args.runs):
        copy = work / "runs" / f"run{i}"
        shutil.copytree(source, copy)
        configs.append(copy / "config.yml")
    ns_edit = [BIN / "inredit", "ns-edit", "--load-config", configs[0], *configs[1:], "--edit", args.edit,
               *(["--axis", args.axis] if args.axis else [])]
    source_hash = tree_hash(configs[0].parent)
    times["ns_edit_s"] = run(ns_edit + ["--output-dir", work / "edited"], cwd=work)
    times["identity_s"] = run([BIN / "inredit", "ns-edit", "--load-config", configs[0], "--edit", "identity",
                               "--output-dir", work / "identity"], cwd=work)
    if not args.from_images:  # the cost split (with geometry from images, the canonical refit dominates)
        times["ns_edit_no_extras_s"] = run(ns_edit + ["--output-dir", work / "edited_bare", "--mesh-format", "none",
                                                      "--no-renders"], cwd=work)
        from inredit.edits.registry import resolve_editor
        from inredit.nerfstudio.edit_runs import edit_runs

        editor = resolve_editor(args.edit, None, args.axis, None)
        _, core = edit_runs(configs, editor, work / "edited_inprocess", mesh_format=None, renders=False)
        times["ns_edit_core_s"] = core["load_seconds"] + core["edit_seconds"] + core["write_seconds"]  # no process start
    edited = sorted((work / "edited").glob("scene/inredit-sdf/*/config.yml"))
    assert len(edited) == args.runs, edited
    baseline = next((work / "identity").glob("scene/inredit-sdf/*/config.yml"))

    scores = {"source run": geometry_scores(baseline.parent / "edited_geometry.ply", scene, meta, args.edit,
                                            against_scene=args.from_images),
              f"{args.edit} (ns-edit)": geometry_scores(edited[0].parent / "edited_geometry.ply", scene, meta, args.edit)}
    edit_record = json.loads((edited[0].parent / "inredit_edit.json").read_text()) \
        if (edited[0].parent / "inredit_edit.json").exists() else {}

    start = time.perf_counter()
    from PIL import Image

    from inredit.render.images import image_grid, save_png

    rows, folders = [], {}
    for name, config in (("source", baseline), ("edited", edited[0])):
        out = work / "renders" / name
        run([BIN / "ns-render", "dataset", "--load-config", config, "--output-path", out, "--split", "test",
             "--rendered-output-names", "rgb"], cwd=work)
        folders[name] = out / "test" / "rgb"
        rows.append([np.array(Image.open(p).convert("RGB")) for p in sorted(folders[name].glob("*"))])
    save_png(image_grid(rows), work / "renders.png")
    times["ns_render_s"] = time.perf_counter() - start
    write_back = write_back_scores(scene, scene_spec, folders, removed="handle" if args.edit == "remove-handle" else None)

    results = {"edit": args.edit, "scene": args.scene, "runs": args.runs, "edit_record": edit_record, "views": args.views, "resolution": args.resolution,
               "iterations": args.iterations or ns_train_iterations(preset), "preset": str(preset.relative_to(REPO)),
               "geometry": "from images" if args.from_images else "fine-tuned" if args.finetune_geometry else "frozen (fitted INR)",
               "fit_metrics": record.metrics if record else None, "times": times, "scores": scores, "write_back": write_back,
               "ns_edit_vs_training": times["ns_edit_s"] / times["train_s"],
               "ns_edit_no_extras_vs_training": times.get("ns_edit_no_extras_s", float("nan")) / times["train_s"],
               "ns_edit_core_vs_training": times.get("ns_edit_core_s", float("nan")) / times["train_s"],
               "source_run_hash_unchanged": source_hash == tree_hash(configs[0].parent),
               "renders": str(work / "renders.png")}
    columns = list(dict.fromkeys(c for s in scores.values() for c in s))
    print(f"| run | {' | '.join(columns)} |\n|---|{'---|' * len(columns)}")
    for name, s in scores.items():
        print(f"| {name} | {' | '.join(f'{s[c]:.3f}' if isinstance(s.get(c), float) else str(s.get(c, '')) for c in columns)} |")
    print("\n| write-back (test views) | value |\n|---|---|")
    for key, value in write_back.items():
        print(f"| {key} | {value:.3f} |")
    print(f"\n| step | seconds |\n|---|---|")
    for key, value in times.items():
        print(f"| {key} | {value:.2f} |")
    print(f"\nsource run unchanged by ns-edit (hash): {results['source_run_hash_unchanged']}")
    split = "" if args.from_images else (f" ({results['ns_edit_no_extras_vs_training']:.2%} without meshes/renders, "
                                         f"{results['ns_edit_core_vs_training']:.2%} for load + edit + write in-process)")
    print(f"\nns-edit over {args.runs} runs / one training run: {results['ns_edit_vs_training']:.2%}{split}; "
          f"renders: {results['renders']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
