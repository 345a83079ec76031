"""Weight-space editors: INR weights in, edited INR weights out (see `registry` for the interface)."""
