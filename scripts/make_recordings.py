"""Build the recorded service responses in tests/data/recorded/ (no machine here reaches the
services, so they are built to each service's documented format from simulated galaxies).

- ``legacy-cutout-N.fits``: Legacy Surveys viewer ``cutout.fits?bands=grz``: a float32 cube
  (3, size, size) in nanomaggies, TAN WCS (CRVAL at the request, CD from ``pixscale``) and
  the viewer's BANDS/BANDn cards;
- ``legacy-cutout-N.jpg``: ``cutout.jpg``, the same galaxy through the survey's colour mapping;
- ``sdss-getjpeg.jpg``: SkyServer ``ImgCutout/getjpeg`` (baseline JPEG, 64 px);
- ``tap-tractor.xml``: an Astro Data Lab TAP sync answer (VOTable 1.4, RESOURCE type
  "results", INFO QUERY_STATUS OK) to ringsky's ``ls_dr10.tractor`` ADQL for tile nside32-ipix06812;
- ``skyserver-sql.csv``: a SkyServer ``SqlSearch`` answer with ``format=csv`` (a ``#Table1``
  line, then a CSV header and rows), to ringsky's ``Galaxy`` query for the same tile;
- ``skyserver-field.csv``: the same kind of answer to ringsky's nearest-field query (run,
  rerun, camcol, field);
- ``sdss-frame-B.fits.bz2`` for B in ugriz: SDSS calibrated frames (``frame-B-RUN-CAMCOL-FIELD``,
  bzip2-compressed, float32 nanomaggies, TAN WCS at 0.396"/px, the frame's calibration HDUs
  left out) of the tile's first galaxy drawn by the simulator in five bands, cut down from
  2048 x 1489 to 128 x 128 pixels to keep the repository small;
- ``vizier-buta2017.xml``: a VizieR ``viz-bin/votable`` answer for J/MNRAS/471/4027 holding the
  first 30 rows of Table 2, taken from ``../shared/data/catalogues/buta2017_table2.tex`` (needed
  to run this script), types written without LaTeX as VizieR writes text (``R_1_'``, ``SAB_a_``);
- ``gz2-hart16-sample.csv.gz`` and ``gzdecals-volunteers5-sample.csv``: 40 rows in the published
  columns of the Galaxy Zoo 2 (Hart et al. 2016) and GZ DECaLS DR5 volunteer tables, 10 of them
  at the positions of those Buta galaxies, with invented votes.

Run: .venv/bin/python scripts/make_recordings.py
"""
import bz2
import gzip
import io
import re
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.io.votable.tree import Field, Info, Resource, TableElement, VOTableFile
from PIL import Image

from ringsky.labels.buta import position_from_name, read_table2_latex
from ringsky.imaging import grz_to_rgb
from ringsky.simulate import ALL_BANDS, PIXSCALE, draw_galaxy, galaxy_radius, render
from ringsky.sources.simulated import SimulatedSky
from ringsky.tiles import Tile

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "recorded"
BUTA_TEX = ROOT.parent / "shared" / "data" / "catalogues" / "buta2017_table2.tex"
SIZE = 64
TILE = Tile(32, 6812)
ROWS = 24


def block_mean(image, size):
    """Resample (3, N, N) to (3, size, size) by area averaging: the viewer keeps per-pixel units."""
    from PIL import Image as PILImage

    return np.stack([np.asarray(PILImage.fromarray(band).resize((size, size), PILImage.Resampling.BOX))
                     for band in image])


def add_tan_wcs(header, ra, dec, pixscale, size):
    """A north-up, east-left TAN WCS centred on (ra, dec) at ``pixscale`` arcsec/px."""
    header["CTYPE1"], header["CTYPE2"] = "RA---TAN", "DEC--TAN"
    header["CRVAL1"], header["CRVAL2"] = ra, dec
    header["CRPIX1"] = header["CRPIX2"] = size / 2 + 0.5
    header["CD1_1"], header["CD1_2"] = -pixscale / 3600, 0.0
    header["CD2_1"], header["CD2_2"] = 0.0, pixscale / 3600


def legacy_fits(flux, ra, dec, pixscale):
    header = fits.Header()
    header["BANDS"] = "grz"
    for i, band in enumerate("grz"):
        header[f"BAND{i}"] = band
    add_tan_wcs(header, ra, dec, pixscale, SIZE)
    header["IMAGEW"] = header["IMAGEH"] = float(SIZE)
    return fits.PrimaryHDU(flux.astype(np.float32), header=header)


FRAME_SIZE = 128
SDSS_PIXSCALE = 0.396


def sdss_frames(row):
    """Five calibrated frames (ugriz) centred on ``row``, and the nearest-field answer naming them."""
    rng = np.random.default_rng([2026, 5])
    flux = render(draw_galaxy(rng, is_ring=True), rng, ALL_BANDS)
    stamp = flux.shape[-1]
    frame = np.zeros((len(ALL_BANDS), FRAME_SIZE, FRAME_SIZE), dtype=np.float32)
    take = min(stamp, FRAME_SIZE)
    start, at = (stamp - take) // 2, (FRAME_SIZE - take) // 2
    frame[:, at:at + take, at:at + take] = flux[:, start:start + take, start:start + take]
    for index, band in enumerate(ALL_BANDS):
        header = fits.Header()
        header["FILTER"] = band
        header["BUNIT"] = "nanomaggy"
        add_tan_wcs(header, float(row["ra"]), float(row["dec"]), SDSS_PIXSCALE, FRAME_SIZE)
        content = io.BytesIO()
        fits.PrimaryHDU(frame[index], header=header).writeto(content)
        (OUT / f"sdss-frame-{band}.fits.bz2").write_bytes(bz2.compress(content.getvalue()))
    (OUT / "skyserver-field.csv").write_text("#Table1\nrun,rerun,camcol,field\n756,301,3,42\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    galaxies = SimulatedSky().galaxies(TILE)[:ROWS]
    for n in range(4):
        rng = np.random.default_rng([2026, n])
        g = draw_galaxy(rng, is_ring=n % 2 == 0)
        flux = render(g, rng)
        pixscale = flux.shape[-1] * PIXSCALE / SIZE
        flux = block_mean(flux, SIZE)
        row = galaxies[n]
        legacy_fits(flux, float(row["ra"]), float(row["dec"]), pixscale).writeto(
            OUT / f"legacy-cutout-{n}.fits", overwrite=True)
        Image.fromarray(grz_to_rgb(flux)).save(OUT / f"legacy-cutout-{n}.jpg", quality=90)
        if n == 0:
            Image.fromarray(grz_to_rgb(flux)).save(OUT / "sdss-getjpeg.jpg", quality=75)
        print(f"legacy-cutout-{n}: radius {galaxy_radius(g):.1f} arcsec, ring={g['is_ring']}")

    rng = np.random.default_rng(6812)
    shape_r = rng.uniform(2.5, 9.0, len(galaxies))
    ls_id = 10995116277760000 + np.arange(len(galaxies)) * 7919
    votable = VOTableFile(version="1.4")
    resource = Resource(type="results")
    votable.resources.append(resource)
    resource.infos.append(Info(name="QUERY_STATUS", value="OK"))
    table = TableElement(votable)
    resource.tables.append(table)
    table.fields.extend([
        Field(votable, name="ls_id", datatype="long", ucd="meta.id;meta.main"),
        Field(votable, name="ra", datatype="double", unit="deg", ucd="pos.eq.ra;meta.main"),
        Field(votable, name="dec", datatype="double", unit="deg", ucd="pos.eq.dec;meta.main"),
        Field(votable, name="type", datatype="char", arraysize="3*"),
        Field(votable, name="mag_r", datatype="float", unit="mag", ucd="phot.mag;em.opt.R"),
        Field(votable, name="shape_r", datatype="float", unit="arcsec", ucd="phys.angSize"),
    ])
    table.create_arrays(len(galaxies))
    for i, row in enumerate(galaxies):
        table.array[i] = (ls_id[i], row["ra"], row["dec"], ("SER", "EXP", "DEV", "REX")[i % 4],
                          row["mag_r"], shape_r[i])
    votable.to_xml(str(OUT / "tap-tractor.xml"))

    lines = ["#Table1", "objID,ra,dec,petroMag_r,petroRad_r"]
    for i, row in enumerate(galaxies):
        lines.append(f"{1237648720693755000 + i * 131},{row['ra']:.7f},{row['dec']:.7f},"
                     f"{row['mag_r'] + 0.1:.5f},{shape_r[i] * 1.6:.4f}")
    (OUT / "skyserver-sql.csv").write_text("\n".join(lines) + "\n")
    sdss_frames(galaxies[0])
    buta_rows = vizier_buta()
    galaxy_zoo_samples(buta_rows)


def vizier_text(latex):
    """A LaTeX type string as VizieR writes text: subscripts ``_x_``, superscripts ``^x^``, primes ``'``,
    no underlines."""
    text = re.sub(r"\$?\\underline\{\\rm\s*([^}]*)\}\$?", r"\1", latex)
    text = re.sub(r"\$_\{?([^$}^]*)\}?(\^\{?\\prime\}?)?\$", lambda m: f"_{m[1]}_" + ("'" if m[2] else ""), text)
    text = re.sub(r"\$\^\{?([^$}]*)\}?\$", lambda m: "'" if m[1] == "\\prime" else f"^{m[1]}^", text)
    return text.replace("$", "")


def vizier_buta(n=30):
    rows = read_table2_latex(BUTA_TEX)[:n]
    votable = VOTableFile(version="1.4")
    resource = Resource(name="J/MNRAS/471/4027", ID="yCat_J_MNRAS_471_4027")
    votable.resources.append(resource)
    resource.infos.append(Info(name="QUERY_STATUS", value="OK"))
    table = TableElement(votable, name="J/MNRAS/471/4027/table2", ID="J_MNRAS_471_4027_table2")
    resource.tables.append(table)
    table.fields.extend([
        Field(votable, name="Name", datatype="char", arraysize="24", ucd="meta.id;meta.main"),
        Field(votable, name="PGC", datatype="int", ucd="meta.id"),
        Field(votable, name="GZ2", datatype="int", ucd="meta.id"),
        Field(votable, name="z", datatype="float", ucd="src.redshift"),
        Field(votable, name="T", datatype="float", ucd="src.morph.type"),
        Field(votable, name="Type", datatype="char", arraysize="40", ucd="src.morph.type"),
        Field(votable, name="Notes", datatype="char", arraysize="*"),
    ])
    table.create_arrays(len(rows))
    for i, row in enumerate(rows):
        table.array[i] = (row["name"], np.ma.filled(row["pgc"], 0), np.ma.filled(row["gz2_image"], 0),
                          np.ma.filled(row["z"], np.nan), np.ma.filled(row["t_stage"], np.nan),
                          vizier_text(row["cvrhs_published"]), row["notes"])
        table.array.mask[i] = (False, row["pgc"] is np.ma.masked, row["gz2_image"] is np.ma.masked,
                               False, False, False, False)
    votable.to_xml(str(OUT / "vizier-buta2017.xml"))
    return rows


def galaxy_zoo_samples(buta_rows, n=40):
    rng = np.random.default_rng(4027)
    known = [p for p in (position_from_name(name) for name in buta_rows["name"]) if p][:10]
    ra = np.concatenate([[p[0] + 0.3 / 3600 for p in known], rng.uniform(120, 240, n - len(known))])
    dec = np.concatenate([[p[1] for p in known], rng.uniform(0, 55, n - len(known))])
    classifications = rng.integers(10, 70, n)
    ring = np.minimum(rng.binomial(classifications, 0.04), classifications)
    odd = np.maximum(ring, rng.binomial(classifications, 0.2))
    lines = ["dr7objid,ra,dec,sample,gz2_class,total_classifications,total_votes,t06_odd_a14_yes_count,"
             "t06_odd_a14_yes_fraction,t08_odd_feature_a19_ring_count,t08_odd_feature_a19_ring_fraction"]
    for i in range(n):
        lines.append(f"{587722981736120000 + i * 977},{ra[i]:.6f},{dec[i]:.6f},original,Sc,{classifications[i]},"
                     f"{classifications[i] * 6},{odd[i]},{odd[i] / classifications[i]:.3f},{ring[i]},"
                     f"{ring[i] / max(odd[i], 1):.3f}")
    (OUT / "gz2-hart16-sample.csv.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    lines = ["iauname,ra,dec,smooth-or-featured_total-votes,smooth-or-featured_smooth,"
             "smooth-or-featured_smooth_fraction,rare-features_total-votes,rare-features_ring,rare-features_ring_fraction"]
    for i in range(n):
        hours = ra[i] / 15
        name = (f"J{int(hours):02d}{int(hours * 60 % 60):02d}{hours * 3600 % 60:05.2f}"
                f"+{int(dec[i]):02d}{int(dec[i] * 60 % 60):02d}{dec[i] * 3600 % 60:04.1f}")
        smooth = classifications[i] // 3
        lines.append(f"{name},{ra[i]:.6f},{dec[i]:.6f},{classifications[i]},{smooth},"
                     f"{smooth / classifications[i]:.3f},{classifications[i]},{ring[i]},"
                     f"{ring[i] / classifications[i]:.3f}")
    (OUT / "gzdecals-volunteers5-sample.csv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
