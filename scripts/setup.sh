#!/usr/bin/env bash
# Set up a fresh machine: Debian packages, .venv, and every Python package pinned in
# requirements/constraints.txt (torch 2.14.1 / torchvision 0.29.1 + nerfstudio + gradio + ...).
# Safe to re-run: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES="libusb-1.0-0 chromium ${EXTRA_DEBIAN_PACKAGES:-}"  # libusb: open3d's import needs it; chromium: the UI browser test
missing=""
for pkg in $DEBIAN_PACKAGES; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements/constraints.txt -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip setuptools wheel
  # torch first, from the pinned wheels (CUDA build; runs on CPU too)
  .venv/bin/pip install -q -c requirements/constraints.txt torch torchvision
  .venv/bin/pip install -q -c requirements/constraints.txt -e ".[all]"
  .venv/bin/pip check
  touch "$stamp"
fi
