"""Paired edit datasets: (weights of a shape, weights of its exactly edited version), sharded."""
