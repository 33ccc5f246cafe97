"""Host-galaxy properties carried from the parent list (a survey's catalogue, a user's table, a
folder's manifest, or the simulated sky's truth) through the tile results into the catalogue,
so that an astronomer can cut on magnitude, size and redshift. Each is a float with a unit; a
value the parent list does not give is null (masked), never 0 or an unmarked NaN.
"""
import numpy as np

from . import RingskyError

#: column -> (unit, UCD, description, the parent-list columns it is read from, first found)
HOST_COLUMNS = {
    "mag_g": ("mag", "phot.mag;em.opt.B", "g-band magnitude of the host (AB; Tractor or Petrosian)",
              ("mag_g", "petroMag_g", "gmag", "g_mag")),
    "mag_r": ("mag", "phot.mag;em.opt.R", "r-band magnitude of the host (AB; Tractor or Petrosian)",
              ("mag_r", "petroMag_r", "rmag", "r_mag")),
    "mag_z": ("mag", "phot.mag;em.opt.I", "z-band magnitude of the host (AB; Tractor or Petrosian)",
              ("mag_z", "petroMag_z", "zmag", "z_mag")),
    "size": ("arcsec", "phys.angSize;src", "Radius of the host: half-light (Tractor shape_r) or Petrosian "
             "(SDSS petroRad_r)", ("size", "half_light_radius", "shape_r", "petroRad_r", "petro_th50", "radius")),
    "axis_ratio": (None, "phys.size.axisRatio", "Minor-to-major axis ratio b/a of the host",
                   ("axis_ratio", "ba", "b_a", "expAB_r")),
    "redshift": (None, "src.redshift", "Redshift of the host, where the parent list gives one",
                 ("redshift", "z", "z_spec", "specz")),
}


def host_values(galaxies):
    """Each host property of ``galaxies`` (a Table) as float64 with NaN where it is unknown: the
    column is absent, or the row's value masked or not finite. A column that holds text is one
    RingskyError naming it."""
    lower = {name.lower(): name for name in galaxies.colnames}
    values = {}
    for name, (*_, candidates) in HOST_COLUMNS.items():
        column = next((lower[c.lower()] for c in candidates if c.lower() in lower), None)
        if column is None:
            values[name] = np.full(len(galaxies), np.nan)
            continue
        try:
            data = np.ma.filled(np.ma.asarray(galaxies[column], dtype=np.float64), np.nan)
        except (TypeError, ValueError):
            raise RingskyError(f"column {column!r} of the parent list must hold numbers ({name})") from None
        values[name] = np.where(np.isfinite(data), data, np.nan)
    return values
