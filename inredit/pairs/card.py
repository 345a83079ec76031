"""Dataset card: counts, quality distribution and spec of a pair dataset (card.json + CARD.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from inredit.files import atomic_write_text
from inredit.pairs.config import PairConfig


def _quantiles(values: list[float]) -> dict:
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:  # every row of a user's CSV was skipped
        return {"min": float("nan"), "p5": float("nan"), "median": float("nan"), "max": float("nan")}
    return {"min": float(v.min()), "p5": float(np.percentile(v, 5)), "median": float(np.median(v)), "max": float(v.max())}


def write_card(out_dir: Path, config: PairConfig, pairs: list[dict], build_seconds: float, wall_seconds: float) -> dict:
    accepted = [p for p in pairs if p["accepted"]]
    skipped = [p for p in pairs if "skipped" in p]  # a user's unusable mesh pairs (never fitted)
    fitted = [p for p in pairs if "skipped" not in p]
    card = {
        "edit": config.edit, "family": config.family, "spec": config.spec.describe(),
        "pairs": len(pairs), "accepted": len(accepted), "rejected": len(fitted) - len(accepted),
        "skipped": len(skipped), "skipped_rows": {str(p["index"]): p["skipped"] for p in skipped},
        "quality_floor_iou": config.quality_floor,
        "splits": {s: sum(p["split"] == s for p in accepted) for s in ("train", "val", "test")},
        "iou_original": _quantiles([p["iou_original"] for p in fitted]),
        "iou_target": _quantiles([p["iou_target"] for p in fitted]),
        "residual_ratio": _quantiles([p["residual_ratio"] for p in fitted]),
        "shard_seconds_total": build_seconds, "wall_seconds": wall_seconds,
        "pairs_per_minute": 60 * len(pairs) / max(wall_seconds, 1e-9),
        "stored": f"original and target weights; {config.stored_target_samples} target SDF samples per pair",
        "config": config.to_dict(),
    }
    atomic_write_text(out_dir / "card.json", json.dumps(card, indent=2))
    lines = [
        f"# Pair dataset: {config.edit} ({config.family})", "",
        f"- spec: `{card['spec']}`",
        f"- pairs: {card['pairs']} built, {card['accepted']} accepted, {card['rejected']} rejected "
        f"(original or target IoU < {config.quality_floor} at {config.iou_resolution}^3)"
        + (f", {len(skipped)} skipped (unusable rows of {config.pairs_csv})" if skipped else ""),
        f"- splits (accepted, by shape): {card['splits']}",
        f"- fits: originals {config.original_steps} steps, targets {config.target_steps} steps warm-started "
        f"from the original, {config.points_per_step} points per step, {config.n_samples} SDF samples per shape",
        f"- build time: {wall_seconds / 60:.1f} min wall clock, first shard start to last shard end "
        f"({card['pairs_per_minute']:.1f} pairs/min; shards took {build_seconds / 60:.1f} min in total)",
        f"- stored: {card['stored']}", "",
        "| quantity | min | p5 | median | max |", "|---|---|---|---|---|",
    ]
    for key in ("iou_original", "iou_target", "residual_ratio"):
        q = card[key]
        lines.append(f"| {key} | {q['min']:.4f} | {q['p5']:.4f} | {q['median']:.4f} | {q['max']:.4f} |")
    if skipped:
        lines += ["", "Skipped rows (pair index: reason):", *(f"- {p['index']}: {p['skipped']}" for p in skipped)]
    atomic_write_text(out_dir / "CARD.md", "\n".join(lines) + "\n")
    return card
