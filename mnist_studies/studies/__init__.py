"""Study runners and their figures, one module per paper (the notebooks call into these)."""
