#!/usr/bin/env bash
# Third-party meshes for benchmarks/real.py, from Debian packages (nothing else is downloaded).
# Meshes listed in benchmarks/real/meshes.yaml (object, package, path, license) are copied to
# data/real/ (not committed). Never train on them: they measure how editors do on real objects.
#   bash scripts/get_real_meshes.sh        # ~130 MB of .deb files, about a minute
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=data/real-src
mkdir -p "$SRC" data/real
cd "$SRC"
for pkg in sweethome3d-furniture libcgal-demo; do
  ls "${pkg}"_*.deb >/dev/null 2>&1 || apt-get download "$pkg" || { apt-get update -qq && apt-get download "$pkg"; }
  [ -d "$pkg" ] || dpkg-deb -x "${pkg}"_*.deb "$pkg"
done
# Sweet Home 3D furniture catalogs are zips of OBJ models (license: LICENSE.TXT in each catalog)
for catalog in sweethome3d-furniture/usr/share/sweethome3d/furniture/*.sh3f; do
  name=$(basename "$catalog" .sh3f)
  [ -d "sh3d/$name" ] || { mkdir -p "sh3d/$name" && unzip -q -o "$catalog" -d "sh3d/$name"; }
done
# CGAL's demo data (scans: bunny, armadillo)
[ -d cgal ] || { mkdir -p cgal && tar xzf libcgal-demo/usr/share/doc/libcgal-dev/data.tar.gz -C cgal; }
cd ../..
.venv/bin/python - <<'PY'
import shutil, yaml
from pathlib import Path
catalog = yaml.safe_load(Path("benchmarks/real/meshes.yaml").read_text())
for mesh_id, entry in catalog["meshes"].items():
    source = Path("data/real-src") / entry["file"]
    folder = Path("data/real") / mesh_id
    if not folder.exists():
        if source.suffix == ".obj":  # the model's folder: OBJ + its MTL / textures
            shutil.copytree(source.parent, folder)
        else:
            folder.mkdir()
            shutil.copy(source, folder)
    print(f"{mesh_id:24s} {folder / source.name}")
PY
