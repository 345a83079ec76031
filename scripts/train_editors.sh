#!/usr/bin/env bash
# Reproduce the shipped editors: pair datasets -> DWSNet + flat-MLP baseline -> benchmark -> zoo.
# Resumable: every step skips what is already done. Measured on a 2-core CPU: 31-43 min per dataset,
# about 5 min per editor, 5-10 min per benchmark.   Usage: bash scripts/train_editors.sh [edit ...]
# ABLATION=1 also trains configs/editor/ablation/<edit>-*.yaml (the editor fixes one by one; rows in the benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
EDITS=("${@:-remove-handle symmetrize dilate}")
for edit in ${EDITS[@]}; do
  .venv/bin/inredit make-pairs --config "configs/pairs/$edit.yaml" --out "data/pairs/$edit" --workers 2
  leaky="configs/pairs/$edit-leaky1.yaml"  # a second fit with a leaky start (remove-handle; see the editor config)
  [ -e "$leaky" ] && .venv/bin/inredit make-pairs --config "$leaky" --out "data/pairs/$edit-leaky1" --workers 2
  .venv/bin/inredit train-editor --config "configs/editor/$edit.yaml" --out "runs/editors/$edit"
  .venv/bin/inredit train-editor --config "configs/editor/$edit-flat-mlp.yaml" --out "runs/editors/$edit-flat"
  if [ "${ABLATION:-0}" = 1 ]; then
    for config in configs/editor/ablation/"$edit"-*.yaml; do
      [ -e "$config" ] && .venv/bin/inredit train-editor --config "$config" --out "runs/editors/$(basename "$config" .yaml)"
    done
  fi
  .venv/bin/python benchmarks/edit.py --edits "$edit"   # -> benchmarks/results/edit-$edit.{md,json}
  # -> inredit/edits/learning/zoo/$edit.safetensors + card, only if it meets the bar (symmetrize does not yet)
  status=0; .venv/bin/python scripts/ship_editor.py "$edit" || status=$?
  if [ "$status" -eq 3 ]; then echo "$edit: not shipped (below the bar)"; elif [ "$status" -ne 0 ]; then exit "$status"; fi
done
