"""Training labels from the literature: Buta (2017) and its CVRHS types, Galaxy Zoo 2 and
DECaLS votes, the expert ring flags, the positional cross-match between them, and the
training tables built from them (``training_table``), split by :mod:`ringsky.splits`.
Nothing here loads torch."""
__all__ = ["buta", "crossmatch", "cvrhs", "galaxyzoo", "ringflags", "training_table"]
