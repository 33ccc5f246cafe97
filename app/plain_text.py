"""Strings from catalogues, sources and errors shown as text in Streamlit's Markdown messages.

``st.info``, ``st.success``, ``st.warning`` and ``st.error`` render Markdown, so a hostile id
such as ``![x](https://host/p.png)`` would become an image fetched from another host. Every
ASCII punctuation character may be backslash-escaped in CommonMark, and then shows as itself.
"""
import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def as_text(value):
    """``value`` as Markdown that renders to exactly its characters."""
    return _PUNCTUATION.sub(r"\\\1", str(value))
