"""Open the explorer in the user's browser once its server answers.

``ringsky app`` always runs Streamlit headless, because a non-headless Streamlit asks for an
e-mail address on its first run and waits on the terminal; this small process, started beside
the server, opens the page instead (``python -m ringsky.explore.open_browser URL``).
"""
import sys
import time
import urllib.request
import webbrowser


def open_when_serving(url, timeout=60.0):
    """Poll ``url`` until it answers (or ``timeout`` seconds pass), then open it in a browser."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                webbrowser.open(url)
                return True
        except OSError:
            time.sleep(0.5)
    return False


if __name__ == "__main__":
    open_when_serving(sys.argv[1])
