"""Meshes and SDFs: loading and normalizing mesh files, procedural shape families and their exact
edits, SDF sampling, open3d ray casting, shape metrics. Knows nothing of INR weights.

May import only the top-level helpers (`errors`, `files`).
"""
