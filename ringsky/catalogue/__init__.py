"""The published catalogue: the tile results merged into FITS and VOTable with units, UCDs and
provenance, a MOC of the tiles searched, cross-identifications with known ring catalogues,
and the same rows as a HATS collection."""
__all__ = ["crossids", "files", "hats_collection"]
