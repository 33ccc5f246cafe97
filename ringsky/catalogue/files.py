"""Merge tile results into a VO-ready catalogue: FITS and VOTable with units, UCDs and
provenance, plus a MOC of the tiles searched.

astropy's FITS writer does not write column UCDs, so ``TUCDn`` keywords (read by TOPCAT and
STILTS) are added here; the VOTable carries them natively, with provenance as INFO and PARAM.
"""
import datetime
from contextlib import ExitStack
from pathlib import Path

import astropy.units as u
import numpy as np
import pyarrow as pa
from astropy.io import fits
from astropy.io.registry import IORegistryError
from astropy.io.votable import from_table, parse
from astropy.io.votable.tree import Info, Param
from astropy.table import MaskedColumn, Table

from .. import RingskyError, __version__
from ..fileio import atomic_path, failures_named
from .hats_collection import HATS_NAME, write_hats
from .crossids import DEFAULT_RADIUS, cross_identify
from ..hosts import HOST_COLUMNS
from ..results import provenance_of, read_result, result_paths
from ..tiles import Tile, tiles_moc

CATALOGUE_NAME = "catalogue"
MOC_NAME = "coverage.moc.fits"

#: column -> (unit, UCD, description)
COLUMNS = {
    "name": (None, "meta.id;meta.main", "IAU-style designation RSKY Jhhmmss.ss+ddmmss.s (truncated)"),
    "source_id": (None, "meta.id", "Identifier of the galaxy in the parent list of the image source"),
    "ra": (u.deg, "pos.eq.ra;meta.main", "Right ascension (ICRS)"),
    "dec": (u.deg, "pos.eq.dec;meta.main", "Declination (ICRS)"),
    "healpix": (None, "pos.healpix", "NESTED HEALPix index of the tile owning the galaxy (nside in header)"),
    "ring_probability": (None, "stat.probability", "Classifier probability that the galaxy is ringed"),
    "ring_flag": (None, "meta.code", "True where ring_probability >= the model threshold"),
    **{name: (unit and u.Unit(unit), ucd, description) for name, (unit, ucd, description, _) in HOST_COLUMNS.items()},
}


def iau_names(ra, dec, prefix="RSKY"):
    """Designations ``RSKY Jhhmmss.ss+ddmmss.s``, truncated (not rounded) as the IAU asks."""
    ra_cs = np.floor(np.asarray(ra) / 15 * 3600 * 100 + 1e-6).astype(np.int64) % (24 * 3600 * 100)
    dec = np.asarray(dec)
    dec_ds = np.floor(np.abs(dec) * 3600 * 10 + 1e-6).astype(np.int64)
    names = []
    for cs, ds, sign in zip(ra_cs, dec_ds, np.where(dec < 0, "-", "+")):
        h, rest = divmod(cs, 360000)
        m, s = divmod(rest, 6000)
        d, rest = divmod(ds, 36000)
        dm, dsec = divmod(rest, 600)
        names.append(f"{prefix} J{h:02d}{m:02d}{s // 100:02d}.{s % 100:02d}{sign}{d:02d}{dm:02d}{dsec // 10:02d}.{dsec % 10}")
    return names


def compact_ranges(pixels):
    """``[1, 2, 3, 7]`` -> ``'1-3,7'``: the tile list in the spec's own syntax."""
    pixels = sorted(pixels)
    parts, start = [], None
    for i, p in enumerate(pixels):
        start = p if start is None else start
        if i + 1 == len(pixels) or pixels[i + 1] != p + 1:
            parts.append(str(p) if p == start else f"{start}-{p}")
            start = None
    return ",".join(parts)


def read_results(tiles_dir):
    """All tile results of a folder: one pyarrow Table, the tiles, and their shared provenance."""
    paths = result_paths(tiles_dir)
    tables, provenance = [], None
    for path in paths:
        table = read_result(path)
        this = provenance_of(table)
        if provenance is None:
            provenance = this
        elif this != provenance:
            raise RingskyError(f"{path} was scored with {this}, other tiles with {provenance}: "
                               f"rescore with one model and survey")
        tables.append(table)
    merged = pa.concat_tables(tables)
    tiles = [Tile.from_name(path.stem) for path in paths]
    nsides = sorted({tile.nside for tile in tiles})
    if len(nsides) > 1:
        raise RingskyError(f"{tiles_dir} mixes tile sizes (nside {nsides}): use one nside per folder")
    provenance["threshold"] = float(provenance["threshold"])
    return merged, tiles, provenance


def build_catalogue(results, threshold):
    """The catalogue Table, sorted by tile then id so that reruns give identical rows."""
    table = Table({
        "source_id": np.asarray(results["id"].to_pylist(), dtype=str),
        "ra": results["ra"].to_numpy(),
        "dec": results["dec"].to_numpy(),
        "healpix": results["healpix_ipix"].to_numpy(),
        "ring_probability": results["probability"].to_numpy(),
    })
    for name in HOST_COLUMNS:  # a property the parent list does not give is masked, never 0
        values = results[name].to_numpy(zero_copy_only=False).astype(np.float64)
        table[name] = MaskedColumn(values, mask=~np.isfinite(values))
    table.sort(["healpix", "source_id"])
    table.add_column(iau_names(table["ra"], table["dec"]), name="name", index=0)
    table.add_column(table["ring_probability"] >= threshold, name="ring_flag", index=6)
    for name, (unit, _, description) in COLUMNS.items():
        table[name].unit = unit
        table[name].description = description
    return table


def provenance_cards(provenance, tiles):
    nside = tiles[0].nside
    expected = {}
    if provenance.get("expected_precision"):  # the model's cross-validated figures, where it has them
        fraction = float(provenance["ring_fraction"])
        expected = {"EXPPREC": (round(float(provenance["expected_precision"]), 4),
                                "expected precision at EXPRFRAC (crossval)"),
                    "EXPRFRAC": (fraction, "ring fraction at which EXPPREC holds")}
    return {
        "ORIGIN": ("ringsky", "software that made this catalogue"),
        "RSKYVER": (__version__, "ringsky version"),
        "DATE": (datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S"), "UTC creation time"),
        "MODELID": (provenance["model_id"], "model that scored the galaxies"),
        "THRESH": (provenance["threshold"], "ring_flag threshold on ring_probability"),
        **expected,
        "SURVEY": (provenance["survey"], "image source of the cutouts"),
        "PARENTS": (provenance["parents"] or "", "parent list of the galaxies and host properties"),
        "RADESYS": ("ICRS", "coordinate frame of ra, dec"),
        "HPXNSIDE": (nside, "HEALPix nside of the healpix column"),
        "HPXORDER": ("NESTED", "HEALPix pixel ordering"),
        "NTILES": (len(tiles), "tiles searched (coverage in the MOC file)"),
        "TILES": (f"nside={nside}:{compact_ranges([t.ipix for t in tiles])}", "tiles searched"),
    }


def write_fits(table, path, cards, columns=COLUMNS):
    """FITS binary table with TUCDn per column (``columns``: name -> unit, UCD, description)
    and provenance cards in the table header."""
    hdu = fits.table_to_hdu(table)
    for index, name in enumerate(table.colnames, start=1):
        hdu.header[f"TUCD{index}"] = columns[name][1]
        hdu.header[f"TCOMM{index}"] = columns[name][2]
    for key, (value, comment) in cards.items():  # a long text (a path) is written without its comment
        hdu.header[key] = (value, comment) if len(str(value)) + len(comment) < 64 else value
    hdu.header["EXTNAME"] = "RINGSKY"
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)


def write_votable(table, path, cards, columns=COLUMNS):
    """VOTable with UCDs, units and descriptions per FIELD, provenance as INFO and PARAM."""
    votable = from_table(table)
    resource = votable.resources[0]
    vo_table = resource.tables[0]
    vo_table.name = "ringsky"
    vo_table.description = "Ring galaxy candidates found by ringsky"
    for vo_field in vo_table.fields:
        vo_field.ucd = columns[vo_field.name][1]
    for key, (value, comment) in cards.items():
        if key in ("HPXNSIDE", "THRESH", "EXPPREC", "EXPRFRAC"):
            datatype = "int" if isinstance(value, int) else "double"
            param = Param(votable, name=key, value=value, datatype=datatype,
                          ucd="meta.code" if key == "HPXNSIDE" else "stat.value")
            param.description = comment
            vo_table.params.append(param)
        else:
            info = Info(name=key, value=str(value))
            info.content = comment
            resource.infos.append(info)
    votable.to_xml(str(path))


def write_catalogue(tiles_dir, out_dir, matches=None, radius=DEFAULT_RADIUS, hats=False):
    """Write ``catalogue.fits``, ``catalogue.vot`` and ``coverage.moc.fits`` (and, with ``hats``,
    the HATS collection ``catalogue.hats``); return the Table. ``matches`` ({name: table path})
    are cross-identified (:mod:`ringsky.catalogue.crossids`)."""
    results, tiles, provenance = read_results(tiles_dir)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RingskyError(f"cannot create output folder {out_dir}: {error.strerror or error}") from error
    table = build_catalogue(results, provenance["threshold"])
    columns = {**COLUMNS, **cross_identify(table, matches or {}, radius)}
    cards = provenance_cards(provenance, tiles)
    if matches:
        cards["CROSSIDS"] = (", ".join(f"{name}={Path(path).name}" for name, path in matches.items()),
                             f"tables cross-identified within {radius.to_value(u.arcsec):g} arcsec")
    table.meta.update({key: value for key, (value, _) in cards.items()})
    try:
        with ExitStack() as replaced_together:  # all three files, or none of them, are replaced
            fits_path, vot_path, moc_path = (replaced_together.enter_context(atomic_path(out_dir / name))
                                             for name in (f"{CATALOGUE_NAME}.fits", f"{CATALOGUE_NAME}.vot", MOC_NAME))
            with failures_named(out_dir / f"{CATALOGUE_NAME}.fits"):
                write_fits(table, fits_path, cards, columns)
            with failures_named(out_dir / f"{CATALOGUE_NAME}.vot"):
                write_votable(table, vot_path, cards, columns)
            with failures_named(out_dir / MOC_NAME):
                tiles_moc(tiles).save(str(moc_path), format="fits", overwrite=True)
            if hats:
                with failures_named(out_dir / HATS_NAME):
                    write_hats(table, cards, out_dir / HATS_NAME)
    except PermissionError as error:
        raise RingskyError(f"cannot write to output folder {out_dir}: {error.strerror}") from error
    return table


REQUIRED_COLUMNS = ("source_id", "ra", "dec", "ring_probability")


def read_catalogue(path):
    """A ringsky catalogue (FITS or VOTable) with its provenance in ``meta``: ``THRESH``,
    ``HPXNSIDE``, ``SURVEY``, ``MODELID`` (VOTable PARAMs and INFOs are folded in)."""
    path = Path(path)
    try:
        table = Table.read(path)
        if path.suffix.lower() in (".vot", ".xml", ".votable"):
            votable = parse(str(path))
            table.meta.update({info.name: info.value for info in votable.resources[0].infos})
            table.meta.update({param.name: param.value for param in votable.get_first_table().params})
    except FileNotFoundError as error:
        raise RingskyError(f"catalogue not found: {path}") from error
    except (OSError, ValueError, IndexError, IORegistryError) as error:  # IORegistryError: no format fits
        raise RingskyError(f"cannot read catalogue {path}: {(str(error).splitlines() or [type(error).__name__])[0]}") \
            from error
    missing = [c for c in REQUIRED_COLUMNS + ("healpix",) if c not in table.colnames]
    if missing or "HPXNSIDE" not in table.meta:
        raise RingskyError(f"{path} is not a ringsky catalogue: it lacks "
                           f"{', '.join(missing) or 'the HPXNSIDE header card'}")
    table.meta.setdefault("THRESH", 0.5)
    return table


def source_rows(source, rows, nside, ipix):
    """The image source's own galaxy rows (with what it needs for cutouts) for the catalogue
    ``rows`` of one tile, in their order."""
    galaxies = source.galaxies(Tile(nside, ipix))
    index = {str(g): k for k, g in enumerate(galaxies["id"])}
    missing = [str(i) for i in rows["source_id"] if str(i) not in index]
    if missing:
        raise RingskyError(f"the image source has no galaxy {missing[0]} in tile nside={nside}:{ipix}")
    return galaxies[[index[str(i)] for i in rows["source_id"]]]
