"""Editor benchmark: DWSNet vs baselines on each edit's held-out test pairs.

    .venv/bin/python benchmarks/edit.py [--edits remove-handle symmetrize dilate] [--max-pairs N]

Writes benchmarks/results/edit-<edit>.md and .json (scripts/ship_editor.py copies the DWSNet row
into the shipped editor's card) and docs/edit-<edit>-test.png: the first test shapes (columns) as
original INR, DWSNet edit and direct fit of the exact target (rows).

Needs data/pairs/<edit> (make-pairs) and an editor per edit: runs/editors/<edit>/editor.safetensors
(train-editor) or the shipped one in inredit/edits/learning/zoo/; the flat-MLP baseline is included when
runs/editors/<edit>-flat/editor.safetensors exists. Prints one markdown table per edit (IoU,
Chamfer-L1, edit scores, edit gap closed on mean IoUs and per pair, latency) and the fine-tuning
time needed to match. Editors of the ablation runs (see RUNS) get a row each when present.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from torch_threads import add_threads_argument, apply_threads  # noqa: E402  (benchmarks/ is on sys.path)

from inredit.edits.learning.checkpoint import load_editor  # noqa: E402
from inredit.edits.learning.evaluate import (  # noqa: E402
    MIN_PAIR_GAP,
    edit_call,
    evaluate,
    finetune_time_to_match,
)
from inredit.edits.registry import ZOO  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402

EDITS = ("remove-handle", "symmetrize", "dilate")
RESULTS = REPO / "benchmarks" / "results"
COLUMNS = ["method", "iou", "chamfer_l1", "handle_emptied", "body_iou", "symmetry_iou", "gap_closed",
           "gap_closed_median", "gap_closed_p10", "gap_closed_p90", "seconds_per_inr", "latency_b1_ms", "latency_b256_s"]
# editors scored when their run exists: the shipped recipe, the flat-MLP baseline and the ablation
# of the editor fixes (configs/editor/ablation/<edit>-*.yaml)
RUNS = {"DWSNet": "{edit}", "flat MLP": "{edit}-flat",
        "ablation: plain fits only, no leaky refit (shipped before; configs/editor/ablation/remove-handle-plain-fits.yaml)":
            "{edit}-plain-fits",
        "DWSNet trained on chunky mugs (configs/pairs/remove-handle-mugs.yaml)": "{edit}-mugs",
        "DWSNet trained on 2000 pairs (+ extended vessels; configs/editor/ablation/remove-handle-extended.yaml)": "{edit}-extended",
        "ablation: old layer, zero output layer": "{edit}-old-layer-zero-output",
        "ablation: old layer, small output init": "{edit}-old-layer",
        "ablation: no constant unit (configs/editor/ablation/dilate-no-unit.yaml)": "{edit}-no-unit",
        "ablation: no mirror / exchange augmentation (configs/editor/ablation/remove-handle-no-symmetries.yaml)": "{edit}-no-symmetries",
        "ablation: no mirror / exchange, change-weighted loss": "{edit}-no-symmetries-changed"}


def editor_files(edit: str) -> dict[str, Path]:
    candidates = {name: [REPO / "runs" / "editors" / run.format(edit=edit) / "editor.safetensors"] for name, run in RUNS.items()}
    candidates["DWSNet"].append(ZOO / f"{edit}.safetensors")
    return {name: next(p for p in paths if p.exists()) for name, paths in candidates.items() if any(p.exists() for p in paths)}


def exact_methods(edit: str, data: Path) -> dict:
    """The exact editors of an edit, as methods beside the learned ones (issue: exact edits)."""
    from inredit.edits.exact import ExactEditor
    from inredit.edits.learning.evaluate import pair_config_of

    if edit == "dilate":
        return {"exact offset": ExactEditor("dilate", radius=pair_config_of(data).radius)}
    if edit == "symmetrize":
        return {"exact symmetrize": ExactEditor("symmetrize", axis="x"), "exact, distilled to the default spec": SymmetrizeDistilled()}
    return {}


class SymmetrizeDistilled:
    """Exact symmetrize, then distilled back to the input's spec warm-started from the input."""

    measure_latency = False  # a fit per call: its batched time per INR is the figure that matters

    def edit(self, inr):
        import torch

        from inredit.fitting.distill import DistillConfig, distill
        from inredit.inr import ops

        with torch.enable_grad():  # evaluation runs under no_grad; distilling is a fit
            return distill(ops.symmetrize(inr, "x"), inr.spec, DistillConfig(), init=inr).inr


def latency_table(edit: str, data: Path, results: Path, setting: str) -> None:
    """Editor forward time at batch 1 (median of 20) and 256 (median of 3), nothing else running."""
    from inredit.edits.learning.evaluate import editor_latency
    from inredit.pairs.dataset import load_pairs

    test = load_pairs(data, "test")
    models = {name: load_editor(path)[0] for name, path in editor_files(edit).items()} | exact_methods(edit, data)
    rows = [{"method": name, **editor_latency(edit_call(model), test)}
            for name, model in models.items() if getattr(model, "measure_latency", True)]
    table = f"## {edit}: editor latency ({setting})\n\n" + markdown_table(rows) + "\n"
    print(table)
    (results / f"editor-latency-{edit}.md").write_text(table)


def render_test_cases(data: Path, model, path: Path, count: int = 5, resolution: int = 160) -> Path:
    import torch

    from inredit.inr.torch_backend import sdf_function
    from inredit.pairs.dataset import load_pairs
    from inredit.render.cameras import orbit_cameras
    from inredit.render.images import image_grid, save_png
    from inredit.render.views import render_sdf_views

    test = load_pairs(data, "test")
    keep = torch.arange(min(count, test.original.batch_size))
    original, target = test.original.select(keep), test.target.select(keep)
    with torch.no_grad():
        edited = edit_call(model)(original)
    camera = orbit_cameras(1)
    rows = [[render_sdf_views(sdf_function(inr, i), camera, resolution)[0] for i in range(len(keep))]
            for inr in (original, edited, target)]
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_png(image_grid(rows), path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", nargs="+", default=list(EDITS))
    parser.add_argument("--max-pairs", type=int, default=None)
    parser.add_argument("--data", type=Path, default=REPO / "data" / "pairs")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="folder for edit-<edit>.md/.json (full test split only)")
    parser.add_argument("--latency-only", action="store_true",
                        help="only time the editors (batch 1 and 256) -> editor-latency-<edit>.md; run on an idle machine")
    add_threads_argument(parser)
    args = parser.parse_args()
    setting = apply_threads(args.threads)
    if args.latency_only:
        for edit in args.edits:
            latency_table(edit, args.data / edit, args.results, setting)
        return
    for edit in args.edits:
        files = editor_files(edit)
        if not (args.data / edit / "index.json").exists():
            print(f"## {edit}: skipped (dataset missing)\n")
            continue
        models = {name: load_editor(path)[0] for name, path in files.items()}
        models |= exact_methods(edit, args.data / edit)
        if not models:
            print(f"## {edit}: skipped (no editor)\n")
            continue
        rows = evaluate(args.data / edit, models, max_pairs=args.max_pairs)
        matches = [finetune_time_to_match(rows, name) for name in models]
        parameters = [{"editor": name, **model.block_parameter_counts(), "total": sum(p.numel() for p in model.parameters())}
                      for name, model in models.items() if hasattr(model, "block_parameter_counts")]
        table = (f"## {edit} ({rows[0]['test_pairs']} held-out test pairs; IoU at 64^3 against the exact edited shape; {setting})\n\n"
                 f"gap_closed: on mean IoUs; _median/_p10/_p90: per pair, over the {rows[0]['pairs_with_gap']} pairs whose "
                 f"direct fit gains >= {MIN_PAIR_GAP} IoU over identity. Fine-tuning gets each pair's "
                 f"{rows[-1].get('finetune_samples_per_pair', 0)} stored target samples (all of them); times are medians of 3 runs.\n\n"
                 + markdown_table(rows, [c for c in COLUMNS if any(c in r for r in rows)]) + "\n\n"
                 + markdown_table(matches) + "\n\nParameters per DWS block (summed over layers):\n\n"
                 + markdown_table(parameters, list(dict.fromkeys(k for row in parameters for k in row))) + "\n")
        print(table)
        if args.max_pairs is None:
            args.results.mkdir(parents=True, exist_ok=True)
            (args.results / f"edit-{edit}.md").write_text(table)
            files_used = {name: str(path.relative_to(REPO)) for name, path in files.items()}
            (args.results / f"edit-{edit}.json").write_text(
                json.dumps({"edit": edit, "editors": files_used, "rows": rows, "finetune_to_match": matches}, indent=1))
            docs = REPO / "docs" if args.results == RESULTS else args.results  # other data: keep docs/ as it is
            shown = models.get("DWSNet") or next(iter(models.values()))  # the learned editor, else the first exact one
            print(render_test_cases(args.data / edit, shown, docs / f"edit-{edit}-test.png"))


if __name__ == "__main__":
    main()
