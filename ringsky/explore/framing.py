"""How a catalogue is first shown on the sky, in the explorer and in the notebook alike: Aladin
Lite opens centred on the candidates, with a field that holds them all, and draws them in one
colour scale of ring probability."""
import numpy as np
from astropy.coordinates import SkyCoord

#: upper edges of the ring-probability bins (the last holds everything above the one before) and their colours
PROBABILITY_BINS = (0.2, 0.4, 0.6, 0.8, 1.0)
BIN_COLOURS = ("#3b4cc0", "#7b9ff9", "#c0d4f5", "#f49a7b", "#e8251f")


def view_of(ra, dec):
    """Centre (SkyCoord) and field of view (deg) that frame the positions."""
    if not len(ra):
        return SkyCoord(0, 0, unit="deg"), 60.0
    positions = SkyCoord(ra, dec, unit="deg")
    mean = positions.cartesian.mean()
    centre = SkyCoord(mean, frame="icrs", representation_type="cartesian")
    centre = SkyCoord(centre.spherical.lon, centre.spherical.lat, frame="icrs")
    radius = float(np.max(centre.separation(positions).deg))
    return centre, min(180.0, max(0.05, 2.2 * radius))
