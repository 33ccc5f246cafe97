"""Training data: simulated sets cached on disk, and augmentations that respect galaxies.

Training, validation and test sets come from different simulator seeds, so no galaxy can sit
in two of them; augmentation happens per batch, after the split.
"""
import math

import numpy as np
import torch
from astropy.table import Table

from ..config import cache_folder
from ..fileio import atomic_path
from ..simulate import SIMULATOR_VERSION, simulate


def simulated_set(n, seed, npix, ring_fraction=0.5, workers=1, planes="rgb"):
    """Images (uint8 RGB, or ugriz planes) and labels of a simulated set, cached as .npz +
    truth .ecsv by arguments."""
    folder = cache_folder("training")
    stem = f"sim-v{SIMULATOR_VERSION}-seed{seed}-n{n}-px{npix}-rf{ring_fraction:g}-{planes}"
    # names joined by hand: with_suffix would cut "rf0.5-..." at its dot, and sets would share a file
    images_path, truth_path = folder / f"{stem}.npz", folder / f"{stem}.ecsv"
    if not (images_path.exists() and truth_path.exists()):
        images, truth = simulate(n, seed=seed, ring_fraction=ring_fraction, npix=npix, workers=workers, planes=planes)
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(images_path) as temporary:
            with open(temporary, "wb") as handle:
                np.savez(handle, images=images)
        with atomic_path(truth_path) as temporary:
            truth.write(temporary, format="ascii.ecsv")
    images = np.load(images_path)["images"]
    truth = Table.read(truth_path, format="ascii.ecsv")
    return images, np.asarray(truth["is_ring"], dtype=np.float32), truth


def augment(batch, generator):
    """Random dihedral transform (90 deg rotations, flips), mild brightness, contrast and colour jitter.

    ``batch`` is a normalised float tensor (N, C, H, W); every sample gets its own draw.
    """
    n = batch.shape[0]
    turns = torch.randint(0, 4, (n,), generator=generator)
    flips = torch.randint(0, 2, (n,), generator=generator).bool()
    out = torch.empty_like(batch)
    for k in range(4):
        for flip in (False, True):
            chosen = (turns == k) & (flips == flip)
            if chosen.any():
                part = torch.rot90(batch[chosen], k, dims=(2, 3))
                out[chosen] = torch.flip(part, dims=(3,)) if flip else part
    gain = 1 + 0.3 * (torch.rand(n, 1, 1, 1, generator=generator) - 0.5)
    colour = 1 + 0.2 * (torch.rand(n, batch.shape[1], 1, 1, generator=generator) - 0.5)
    offset = 0.6 * (torch.rand(n, 1, 1, 1, generator=generator) - 0.5)
    return out * gain * colour + offset


def affine(batch, generator, zoom=(0.75, 1.3), shift=0.08, noise=0.05):
    """Arbitrary rotation, zoom (log-uniform in ``zoom``) and shift (up to ``shift`` of the
    half-width) in one bilinear resampling that reflects at the edges, then Gaussian noise of
    up to ``noise`` (normalised units); every sample gets its own draw."""
    n = batch.shape[0]
    angle = 2 * math.pi * torch.rand(n, generator=generator)
    low, high = math.log(zoom[0]), math.log(zoom[1])
    inverse_zoom = torch.exp(-(low + (high - low) * torch.rand(n, generator=generator)))
    offsets = shift * (2 * torch.rand(n, 2, generator=generator) - 1)
    cos, sin = torch.cos(angle) * inverse_zoom, torch.sin(angle) * inverse_zoom
    theta = torch.stack([torch.stack([cos, -sin, offsets[:, 0]], 1), torch.stack([sin, cos, offsets[:, 1]], 1)], 1)
    grid = torch.nn.functional.affine_grid(theta, list(batch.shape), align_corners=False)
    out = torch.nn.functional.grid_sample(batch.contiguous(), grid, mode="bilinear", padding_mode="reflection",
                                          align_corners=False)
    sigma = noise * torch.rand(n, 1, 1, 1, generator=generator)
    return out + sigma * torch.randn(out.shape, generator=generator)
