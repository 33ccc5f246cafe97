"""The example notebook (docs/notebooks/explore_catalogue.ipynb) executed by nbclient on a real
kernel, offline and with no widget frontend: its Table and pandas cells print the catalogue's own
figures, and the Aladin Lite widget's synced state frames the candidates, with one overlay per
probability bin that holds any."""
import pytest
from conftest import REPO

from ringsky.explore.framing import view_of
from ringsky.explore.notebook import DEFAULT_SURVEY, catalogue_frame, open_catalogue, probability_bins

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (the test extra)")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (the test extra)")
pytest.importorskip("ipyaladin", reason="ipyaladin is not installed (pip install 'ringsky[notebook]')")

NOTEBOOK = REPO / "docs" / "notebooks" / "explore_catalogue.ipynb"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def stdout_of(cell):
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


@pytest.fixture(scope="module")
def executed(sim_catalogue, tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("RINGSKY_CATALOGUE", str(sim_catalogue))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", store_widget_state=True,
                                     resources={"metadata": {"path": str(tmp_path_factory.mktemp("notebook"))}})
    client.execute()
    monkeypatch.undo()
    return notebook


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_the_table_and_frame_cells_print_the_catalogues_own_figures(executed, sim_catalogue):
    table = open_catalogue(sim_catalogue)
    first, second = code_cells(executed)[:2]
    assert (f"{len(table)} galaxies, {int(table['ring_flag'].sum())} flagged at p >= {table.meta['THRESH']:.3f}, "
            f"model {table.meta['MODELID']}") in stdout_of(first)
    frame = catalogue_frame(table)
    bright = int((frame["ring_flag"] & (frame["mag_r"] < 18)).sum())
    assert f"{bright} flagged candidates brighter than r = 18" in stdout_of(second)
    assert all(output.output_type != "error" for cell in code_cells(executed) for output in cell.outputs)


def test_the_sky_widget_frames_the_candidates_in_probability_bins(executed, sim_catalogue):
    table = open_catalogue(sim_catalogue)
    display, printed = code_cells(executed)[2:4]
    views = [output.data[WIDGET_VIEW]["model_id"] for output in display.outputs if WIDGET_VIEW in output.get("data", {})]
    assert len(views) == 1
    state = executed.metadata["widgets"][WIDGET_STATE]["state"][views[0]]["state"]
    centre, fov = view_of(table["ra"], table["dec"])
    ra, dec = map(float, state["_target"].split())
    assert (ra, dec) == pytest.approx((centre.ra.deg, centre.dec.deg), abs=1e-9)
    assert state["_fov"] == pytest.approx(fov)
    assert state["survey"] == DEFAULT_SURVEY
    labels = [label for label, _, _ in probability_bins(table)]
    assert len(labels) >= 2
    assert f"overlays: {', '.join(labels)}" in stdout_of(printed)
    assert sum(len(rows) for _, _, rows in probability_bins(table)) == len(table)
