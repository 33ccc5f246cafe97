"""Library code for looking at a catalogue: vetting votes, SAMP to TOPCAT and Aladin, the local
HiPS of the cutouts, the first view's framing, the Jupyter view, and opening the browser; the
Streamlit explorer in app/ is built on it."""
__all__ = ["framing", "notebook", "open_browser", "samp", "skyhips", "votes"]
