"""Parent galaxy lists keyed by tile: which galaxies a survey source should cut out.

Three kinds, one interface (``galaxies(tile)`` -> Table with ``id``, ``ra``, ``dec`` in deg and
``size``, a half-light or Petrosian radius in arcsec, NaN when unknown):

- ``tractor``: Legacy Surveys DR10 Tractor catalogue on the Astro Data Lab TAP service (pyvo),
  extended sources only, with magnitude and size cuts, queried with the tile's outline;
- ``sdss``: SDSS galaxies through ``astroquery.sdss`` SQL, with Petrosian cuts;
- any table on disk (FITS, VOTable, CSV, parquet) with ``ra``, ``dec`` and an optional size.

Survey answers are cached per tile, so a rerun sends no query.
"""
import hashlib
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.io import ascii
from astropy.table import Table

from .. import RingskyError
from ..config import cache_folder, conf
from ..fileio import atomic_path
from ..net import call_with_retries
from ..rows import checked_ids, checked_positions
from ..tiles import tile_index

MAG_LIMIT = 17.7
"""r-band limit of the parent lists: the Galaxy Zoo 2 / DECaLS spectroscopic-like depth."""
MIN_SIZE = 2.0
"""Smallest radius kept, arcsec: rings need a few resolution elements."""


def _standard(table, id_column, size_column, ra="ra", dec="dec", keep=()):
    """``id``, ``ra``, ``dec``, ``size`` and the columns ``keep`` of them that ``table`` has."""
    out = Table()
    out["id"] = [str(value) for value in table[id_column]] if id_column else [str(i) for i in range(len(table))]
    out["ra"] = np.asarray(table[ra], dtype=float) * u.deg
    out["dec"] = np.asarray(table[dec], dtype=float) * u.deg
    size = np.asarray(table[size_column], dtype=float) if size_column else np.full(len(table), np.nan)
    out["size"] = size * u.arcsec
    for name in keep:
        if name in table.colnames:
            out[name] = table[name]
    return out


def axis_ratio(e1, e2):
    """b/a of a Tractor shape from its ellipticity components: (1 - |e|) / (1 + |e|)."""
    e = np.hypot(np.asarray(e1, dtype=float), np.asarray(e2, dtype=float))
    return (1 - e) / (1 + e)


def cached_table(name, query, run):
    """The parent Table for ``query``, from the cache or from ``run()`` (then cached)."""
    digest = hashlib.sha256(query.encode()).hexdigest()[:16]
    path = cache_folder("parents") / name / f"{digest}.fits"
    if path.exists():
        return Table.read(path)
    table = run()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        table.write(temporary, format="fits")
    return table


def adql_polygon(tile, step=4):
    """ADQL POLYGON of the tile's outline, a little enlarged; rows are then cut to the tile exactly."""
    outline = tile.boundary(step=step)
    centre = tile.centre
    grown = centre.directional_offset_by(centre.position_angle(outline), centre.separation(outline) * 1.02)
    points = ", ".join(f"{c.ra.deg:.6f}, {c.dec.deg:.6f}" for c in grown)
    return f"POLYGON('ICRS', {points})"


class TractorParents:
    """Legacy Surveys DR10 Tractor sources that are galaxies: not PSF or DUP, r < MAG_LIMIT,
    half-light radius ``shape_r`` > MIN_SIZE arcsec."""

    name = "tractor"
    description = "Legacy Surveys DR10 Tractor (Data Lab ls_dr10.tractor)"

    def __init__(self, mag_limit=MAG_LIMIT, min_size=MIN_SIZE):
        self.mag_limit, self.min_size = mag_limit, min_size

    def adql(self, tile):
        return (f"SELECT ls_id, ra, dec, type, mag_g, mag_r, mag_z, shape_r, shape_e1, shape_e2 FROM ls_dr10.tractor "
                f"WHERE type NOT IN ('PSF', 'DUP') AND mag_r < {self.mag_limit} AND shape_r > {self.min_size} "
                f"AND 1 = CONTAINS(POINT('ICRS', ra, dec), {adql_polygon(tile)})")

    def _query(self, adql):
        import pyvo

        def attempt():
            return pyvo.dal.TAPService(conf.tap_url).run_sync(adql).to_table()

        table = call_with_retries(attempt, f"TAP {conf.tap_url}")
        if "shape_e1" in table.colnames and "shape_e2" in table.colnames:
            table["axis_ratio"] = axis_ratio(table["shape_e1"], table["shape_e2"])
        return _standard(table, "ls_id", "shape_r", keep=("mag_g", "mag_r", "mag_z", "axis_ratio"))

    def galaxies(self, tile):
        adql = self.adql(tile)
        table = cached_table(self.name, conf.tap_url + adql, lambda: self._query(adql))
        return table[tile.owns(table["ra"], table["dec"])]


class SdssParents:
    """SDSS galaxies (PhotoObj type 3, the Galaxy view) with r Petrosian magnitude < MAG_LIMIT
    and Petrosian radius > MIN_SIZE arcsec, through ``astroquery.sdss``."""

    name = "sdss"
    data_release = 18
    description = f"SDSS DR{data_release} Galaxy view (SkyServer SQL)"

    def __init__(self, mag_limit=MAG_LIMIT, min_size=MIN_SIZE):
        self.mag_limit, self.min_size = mag_limit, min_size

    def sql(self, tile):
        outline = tile.boundary(step=4)
        dec_lo, dec_hi = outline.dec.deg.min() - 0.01, outline.dec.deg.max() + 0.01
        ra = np.sort(outline.ra.deg)
        gaps = np.diff(np.concatenate([ra, [ra[0] + 360]]))
        widest = int(np.argmax(gaps))
        ra_lo, ra_hi = ra[(widest + 1) % len(ra)] - 0.01, ra[widest] + 0.01
        if gaps[widest] < 180 or dec_hi > 89 or dec_lo < -89:
            ra_clause = "1 = 1"
        elif ra_lo <= ra_hi:
            ra_clause = f"ra BETWEEN {ra_lo:.6f} AND {ra_hi:.6f}"
        else:
            ra_clause = f"(ra >= {ra_lo:.6f} OR ra <= {ra_hi:.6f})"
        return (f"SELECT objID, ra, dec, petroMag_g, petroMag_r, petroMag_z, petroRad_r, expAB_r FROM Galaxy "
                f"WHERE {ra_clause} AND dec BETWEEN {dec_lo:.6f} AND {dec_hi:.6f} "
                f"AND petroMag_r < {self.mag_limit} AND petroRad_r > {self.min_size}")

    def _query(self, sql):
        from astroquery.sdss import SDSS

        def attempt():
            return SDSS.query_sql(sql, data_release=self.data_release, cache=False, timeout=conf.timeout_read)

        table = call_with_retries(attempt, "SDSS SkyServer SQL")
        if table is None:
            table = Table(names=("objID", "ra", "dec", "petroRad_r"), dtype=(np.int64, float, float, float))
        return _standard(table, "objID", "petroRad_r", keep=("petroMag_g", "petroMag_r", "petroMag_z", "expAB_r"))

    def galaxies(self, tile):
        sql = self.sql(tile)
        table = cached_table(self.name, sql, lambda: self._query(sql))
        return table[tile.owns(table["ra"], table["dec"])]


SIZE_COLUMNS = ("size", "shape_r", "petroRad_r", "petro_th50", "radius")
ID_COLUMNS = ("id", "id_str", "objid", "objID", "ls_id", "iauname", "name")


def _column(table, choices):
    lower = {name.lower(): name for name in table.colnames}
    return next((lower[c.lower()] for c in choices if c.lower() in lower), None)


class TableParents:
    """A user's own galaxy list: FITS, VOTable, CSV or parquet with ra/dec in degrees; its other
    columns (a training table's ``label``, ``ring_type``, ``split``) are kept."""

    def __init__(self, path):
        self.path = Path(path)
        self.name = f"table:{self.path.name}"
        self.description = f"the table {self.path.name}"
        try:
            if self.path.suffix == ".csv":  # ids stay text: 007 is not 7
                table = Table.read(self.path, format="ascii.csv",
                                   converters={name: [ascii.convert_numpy(str)] for name in ID_COLUMNS})
            else:
                table = Table.read(self.path)
        except (OSError, ValueError) as error:
            raise RingskyError(f"parent table {self.path}: {error}") from error
        ra, dec = _column(table, ("ra",)), _column(table, ("dec",))
        if not (ra and dec):
            raise RingskyError(f"parent table {self.path} lacks ra/dec columns")
        if (ra, dec) != ("ra", "dec"):
            table.rename_columns([ra, dec], ["ra", "dec"])
        where, row = f"parent table {self.path}", (lambda k: f"row {k + 1}")
        checked_positions(table, where, row)
        id_column, size_column = _column(table, ID_COLUMNS), _column(table, SIZE_COLUMNS)
        if id_column:
            table[id_column] = checked_ids(table[id_column], where, row)
        self.table = _standard(table, id_column, size_column)
        for name in table.colnames:  # labels, types and splits travel with each galaxy (ringsky fetch --folder)
            if name not in (id_column, size_column, "ra", "dec") and name not in self.table.colnames \
                    and table[name].ndim == 1:
                self.table[name] = table[name]

    def footprint(self, nside):
        return np.unique(tile_index(self.table["ra"], self.table["dec"], nside))

    def galaxies(self, tile):
        return self.table[tile.owns(self.table["ra"], self.table["dec"])]


def open_parents(spec, default):
    """``tractor``, ``sdss`` or a path to a table; None means the survey's ``default``."""
    spec = spec or default
    if spec == "tractor":
        return TractorParents()
    if spec == "sdss":
        return SdssParents()
    if Path(spec).is_file():
        return TableParents(spec)
    raise RingskyError(f"parents {spec!r}: expected 'tractor', 'sdss' or an existing table file")
