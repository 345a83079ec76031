"""Editor benchmark: DWSNet vs baselines on each edit's held-out test pairs.

    .venv/bin/python benchmarks/edit.py [--edits remove-handle symmetrize dilate] [--max-pairs N]

Writes benchmarks/results/edit-<edit>.md and .json (scripts/ship_editor.py copies the DWSNet row
into the shipped editor's card) and docs/edit-<edit>-test.png: the first test shapes (columns) as
original INR, DWSNet edit and direct fit of the exact target (rows).

Needs data/pairs/<edit> (make-pairs) and an editor per edit: runs/editors/<edit>/editor.safetensors
(train-editor) or the shipped one in inredit/editor/zoo/; the flat-MLP baseline is included when
runs/editors/<edit>-flat/editor.safetensors exists. Prints one markdown table per edit (IoU,
Chamfer-L1, edit scores, edit gap closed, latency) and the fine-tuning time needed to match.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from inredit.editor.checkpoint import load_editor  # noqa: E402
from inredit.editor.evaluate import evaluate, finetune_time_to_match  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402

EDITS = ("remove-handle", "symmetrize", "dilate")
COLUMNS = ["method", "iou", "chamfer_l1", "handle_emptied", "body_iou", "symmetry_iou", "gap_closed",
           "seconds_per_inr", "latency_b1_ms", "latency_b256_s"]


def editor_files(edit: str) -> dict[str, Path]:
    candidates = {"DWSNet": [REPO / "runs" / "editors" / edit / "editor.safetensors",
                             REPO / "inredit" / "editor" / "zoo" / f"{edit}.safetensors"],
                  "flat MLP": [REPO / "runs" / "editors" / f"{edit}-flat" / "editor.safetensors"]}
    return {name: next(p for p in paths if p.exists()) for name, paths in candidates.items() if any(p.exists() for p in paths)}


def render_test_cases(data: Path, model, path: Path, count: int = 5, resolution: int = 160) -> Path:
    import torch

    from inredit.geometry.render import image_grid, orbit_cameras, render_sdf_views, save_png
    from inredit.inr.torch_backend import sdf_function
    from inredit.pairs.dataset import load_pairs

    test = load_pairs(data, "test")
    keep = torch.arange(min(count, test.original.batch_size))
    original, target = test.original.select(keep), test.target.select(keep)
    with torch.no_grad():
        edited = model(original)
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
    parser.add_argument("--results", type=Path, default=REPO / "benchmarks" / "results",
                        help="folder for edit-<edit>.md/.json (full test split only)")
    args = parser.parse_args()
    for edit in args.edits:
        files = editor_files(edit)
        if not (args.data / edit / "index.json").exists() or "DWSNet" not in files:
            print(f"## {edit}: skipped (dataset or editor missing)\n")
            continue
        models = {name: load_editor(path)[0] for name, path in files.items()}
        rows = evaluate(args.data / edit, models, max_pairs=args.max_pairs)
        matches = [finetune_time_to_match(rows, name) for name in models]
        table = (f"## {edit} ({rows[0]['test_pairs']} held-out test pairs; IoU at 64^3 against the exact edited shape)\n\n"
                 + markdown_table(rows, [c for c in COLUMNS if any(c in r for r in rows)]) + "\n\n"
                 + markdown_table(matches) + "\n")
        print(table)
        if args.max_pairs is None:
            args.results.mkdir(parents=True, exist_ok=True)
            (args.results / f"edit-{edit}.md").write_text(table)
            files_used = {name: str(path.relative_to(REPO)) for name, path in files.items()}
            (args.results / f"edit-{edit}.json").write_text(
                json.dumps({"edit": edit, "editors": files_used, "rows": rows, "finetune_to_match": matches}, indent=1))
            print(render_test_cases(args.data / edit, models["DWSNet"], REPO / "docs" / f"edit-{edit}-test.png"))


if __name__ == "__main__":
    main()
