"""Meshes and SDFs: loading, sampling, procedural shapes, metrics, rendering. Knows nothing of INR weights."""
