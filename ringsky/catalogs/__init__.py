"""The published tables training labels come from: Buta (2017) and its CVRHS types, Galaxy Zoo 2
and DECaLS votes, the expert ring flags, and the positional cross-match between them."""
__all__ = ["buta", "crossmatch", "cvrhs", "galaxyzoo", "ringflags"]
