"""Messages that carry strings from catalogues, sources and errors, shown as plain text.

Streamlit's message boxes (``st.info``, ``st.success``, ``st.warning``, ``st.error``) render
GitHub Markdown: a hostile id such as ``![x](https://host/p.png)`` becomes an image fetched from
another host, and a URL stays a link even with every character backslash-escaped (GitHub's
autolinks, seen in Chromium by tests/test_app.py). So a message is ``st.text``, which shows
exactly its characters, in a bordered box.
"""
import streamlit as st


def notice(text):
    """Show ``text`` (any string, any origin) as a message of exactly its characters."""
    with st.container(border=True):
        st.text(str(text))
