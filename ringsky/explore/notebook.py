"""The catalogue in Jupyter: an astropy Table (or a pandas frame) with its provenance, and an
Aladin Lite view (``ipyaladin``) with the candidates drawn in bins of ring probability, in the
explorer's colours, one overlay per bin so a bin can be hidden from Aladin's layer menu."""
import numpy as np

from ..catalogue.files import read_catalogue
from .framing import BIN_COLOURS, PROBABILITY_BINS, view_of

DEFAULT_SURVEY = "CDS/P/DESI-Legacy-Surveys/DR10/color"
SHOWN_COLUMNS = ("name", "source_id", "ra", "dec", "ring_probability", "ring_flag")


def open_catalogue(path):
    """A ringsky catalogue (FITS or VOTable) as an astropy Table, provenance in ``meta``, its
    text columns as str (FITS holds bytes, which pandas would keep as bytes)."""
    table = read_catalogue(path)
    table.convert_bytestring_to_unicode()
    return table


def catalogue_frame(table):
    """The catalogue as a pandas frame indexed by name; a masked value becomes NaN (or <NA>)."""
    return table.to_pandas(index="name")


def probability_bins(table):
    """(label, colour, rows) for each probability bin that holds candidates."""
    probability = np.asarray(table["ring_probability"])
    bins, low = [], 0.0
    for high, colour in zip(PROBABILITY_BINS, BIN_COLOURS):
        rows = (probability >= low) & ((probability < high) | (high == PROBABILITY_BINS[-1]))
        if rows.any():
            bins.append((f"p {low:.1f}-{high:.1f}", colour, table[rows]))
        low = high
    return bins


def sky_view(table, survey=DEFAULT_SURVEY, height=500):
    """An ``ipyaladin.Aladin`` widget framing the catalogue, its candidates overlaid in
    probability bins. Display it as a cell's last value; it draws when a frontend loads it."""
    from ipyaladin import Aladin

    centre, fov = view_of(table["ra"], table["dec"])
    sky = Aladin(target=centre, fov=fov, survey=survey, height=height)
    columns = [name for name in SHOWN_COLUMNS if name in table.colnames]
    for label, colour, rows in probability_bins(table):
        sky.add_table(rows[columns], name=label, color=colour, shape="circle", ra_field="ra", dec_field="dec")
    return sky
