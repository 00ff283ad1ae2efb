"""Paper-level workflows that the notebooks call (one module per paper)."""
