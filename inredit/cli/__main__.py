"""`python -m inredit.cli ...` (how torchrun and the pair workers start it)."""

from inredit.cli import main

main()
