"""How the catalogue explorer (``app/explorer.py``, which ships with the source repository) is
served: Streamlit headless on 127.0.0.1, started through ``app/serve.py`` (the explorer's modules
preloaded), static files served, no file watcher and no usage statistics."""
import sys
from pathlib import Path

from .. import RingskyError

APP_DIR = Path(__file__).resolve().parents[2] / "app"


def explorer_script():
    """``app/explorer.py``, once it and the Aladin Lite it serves are there."""
    script = APP_DIR / "explorer.py"
    if not script.is_file():
        raise RingskyError(f"the explorer ships with the source repository, not with the package: {script} is missing")
    if not (APP_DIR / "static" / "aladin.js").is_file():
        raise RingskyError("Aladin Lite is missing (app/static/aladin.js): run make install")
    return script


def server_command(catalogue, port, hips_order, overlays=(), model=None, cache=None):
    """The command line of the explorer's server on ``catalogue``, paths made absolute."""
    script = explorer_script()
    command = [sys.executable, str(APP_DIR / "serve.py"), "run", str(script),
               "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
               "--server.enableStaticServing", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
               "--", str(Path(catalogue).resolve()), "--hips-order", str(hips_order)]
    for overlay in overlays:
        command += ["--overlay", str(Path(overlay).resolve())]
    if model:
        command += ["--model", str(Path(model).resolve())]
    if cache:
        command += ["--cache", str(Path(cache).resolve())]
    return command
