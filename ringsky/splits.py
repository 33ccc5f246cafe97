"""Every rule that puts a galaxy on one side of a split, in one place (and without torch, so
``ringsky labels`` never loads it): the training tables' train/validation/test columns, the
validation rows training holds out, and the folds of cross-validation. Each rule depends on the
galaxy (its label, id or sky tile) and a seed alone, so a rerun, or adding galaxies, never moves
one across."""
import zlib

import numpy as np

from .tiles import tile_index

SPLITS = ("train", "validation", "test")


def split_by_galaxy(labels, fractions=(0.7, 0.1, 0.2), seed=0):
    """Stratified split: each class is shuffled and cut in the given fractions, per galaxy."""
    labels = np.asarray(labels)
    split = np.empty(len(labels), dtype="U10")
    rng = np.random.default_rng(seed)
    for value in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == value))
        cuts = np.round(np.cumsum(fractions)[:-1] * len(members)).astype(int)
        for name, part in zip(SPLITS, np.split(members, cuts)):
            split[part] = name
    return split


def split_by_tile(ra, dec, nside, fractions=(0.7, 0.1, 0.2), seed=0):
    """Sky-separated split: whole HEALPix tiles go to one split, filled in shuffled order until
    each split holds its fraction of the galaxies; measures generalisation to unseen sky."""
    tiles = np.asarray(tile_index(ra, dec, nside))
    unique, counts = np.unique(tiles, return_counts=True)
    order = np.random.default_rng(seed).permutation(len(unique))
    edges = np.cumsum(fractions) * len(tiles)
    filled, assignment = 0, {}
    for k in order:
        name = SPLITS[min(int(np.searchsorted(edges, filled, side="right")), len(SPLITS) - 1)]
        assignment[unique[k]] = name
        filled += counts[k]
    return np.array([assignment[t] for t in tiles], dtype="U10")


LEARNING_SPLITS = ("train", "validation")
"""What training and cross-validation may see of a training table's folder: its test rows stay
unseen until ``ringsky evaluate``."""


def validation_rows(table):
    """The rows training holds out for validation: a training table's own ``validation`` rows,
    else one galaxy in five by a hash of its id (so adding votes never moves one across)."""
    if "split" in table.colnames:
        return np.asarray(table["split"]).astype(str) == "validation"
    return np.array([zlib.crc32(str(i).encode()) % 5 == 0 for i in table["id"]], dtype=bool)


def stratified_folds(ids, labels, k, seed=0):
    """Fold number (0..k-1) of each galaxy: within each class, galaxies ordered by a hash of
    (seed, id) are dealt out in turn, so each fold gets its share of rings and non-rings."""
    labels = np.asarray(labels)
    folds = np.empty(len(labels), dtype=int)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        order = members[np.argsort([zlib.crc32(f"{seed}:{ids[i]}".encode()) for i in members], kind="stable")]
        folds[order] = np.arange(len(order)) % k
    return folds
