"""The first view of a catalogue on the sky: the explorer's and the notebook's Aladin Lite
open centred on the candidates, with a field that holds them all."""
import numpy as np
from astropy.coordinates import SkyCoord


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
