"""Paired edit datasets: (weights of a shape, weights of its exactly edited version), sharded.

May import `inr`, `geometry`, `fitting` and the top-level helpers; never `edits` or front ends.
"""
