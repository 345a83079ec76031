"""inredit: edit shapes stored as neural implicit functions by rewriting their weights."""

__version__ = "0.1.0"
