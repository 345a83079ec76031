#!/usr/bin/env bash
# Reproduce benchmarks/results/symmetrize-ablation.md: train every symmetrize editor variant in
# configs/editor/symmetrize-ablation/ (resumable; a finished run is skipped) and score them all
# by region against the exact shapes. Needs data/pairs/symmetrize (see scripts/train_editors.sh).
# Measured on a 2-core CPU: 8-20 min per variant (3 steps: about 14 min), 5 min for the scoring.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/inredit train-editor --config configs/editor/symmetrize.yaml --out runs/editors/symmetrize
runs=(runs/editors/symmetrize)
for config in configs/editor/symmetrize-ablation/*.yaml; do
  name="symmetrize-$(basename "$config" .yaml)"
  .venv/bin/inredit train-editor --config "$config" --out "runs/editors/$name"
  runs+=("runs/editors/$name")
done
.venv/bin/python benchmarks/symmetrize_ablation.py "${runs[@]}"
