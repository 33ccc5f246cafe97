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
  line, then a CSV header and rows), to ringsky's ``Galaxy`` query for the same tile.

Run: .venv/bin/python scripts/make_recordings.py
"""
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.io.votable.tree import Field, Info, Resource, TableElement, VOTableFile
from PIL import Image

from ringsky.imaging import grz_to_rgb
from ringsky.simulate import PIXSCALE, draw_galaxy, galaxy_radius, render
from ringsky.sources.simulated import SimulatedSky
from ringsky.tiles import Tile

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "recorded"
SIZE = 64
TILE = Tile(32, 6812)
ROWS = 24


def block_mean(image, size):
    """Resample (3, N, N) to (3, size, size) by area averaging: the viewer keeps per-pixel units."""
    from PIL import Image as PILImage

    return np.stack([np.asarray(PILImage.fromarray(band).resize((size, size), PILImage.Resampling.BOX))
                     for band in image])


def legacy_fits(flux, ra, dec, pixscale):
    header = fits.Header()
    header["BANDS"] = "grz"
    for i, band in enumerate("grz"):
        header[f"BAND{i}"] = band
    header["CTYPE1"], header["CTYPE2"] = "RA---TAN", "DEC--TAN"
    header["CRVAL1"], header["CRVAL2"] = ra, dec
    header["CRPIX1"] = header["CRPIX2"] = SIZE / 2 + 0.5
    header["CD1_1"], header["CD1_2"] = -pixscale / 3600, 0.0
    header["CD2_1"], header["CD2_2"] = 0.0, pixscale / 3600
    header["IMAGEW"] = header["IMAGEH"] = float(SIZE)
    return fits.PrimaryHDU(flux.astype(np.float32), header=header)


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


if __name__ == "__main__":
    main()
