"""The app command: the catalogue explorer on 127.0.0.1."""
import os
import subprocess
import sys
from pathlib import Path

from .. import RingskyError
from .arguments import whole

DEMO_CATALOGUE = "catalogues/demo/catalogue.fits"  # written by ringsky demo, not committed


def cmd_app(args):
    from ..catalogue.files import read_catalogue
    from ..explore.explorer_server import explorer_script, server_command

    explorer_script()
    if args.catalogue == DEMO_CATALOGUE and not Path(args.catalogue).is_file():
        raise RingskyError(f"catalogue not found: {args.catalogue} (make demo, or ringsky demo, writes it)")
    read_catalogue(args.catalogue)
    command = server_command(args.catalogue, args.port, args.hips_order, args.overlay, args.model, args.cache)
    if not args.no_browser:  # headless never asks for an e-mail address; the page is opened from beside it
        subprocess.Popen([sys.executable, "-m", "ringsky.explore.open_browser", f"http://127.0.0.1:{args.port}/"],
                         start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sys.stdout.flush()
    os.execv(sys.executable, command)  # become the server: signals reach it, and no child is left behind


def add_commands(command, common):
    p = command("app", "open the catalogue explorer (Streamlit + Aladin Lite) on 127.0.0.1")
    p.add_argument("catalogue", nargs="?", default=DEMO_CATALOGUE)
    p.add_argument("--port", type=whole(1, 65535), default=8501)
    p.add_argument("--overlay", action="append", default=[], help="a known catalogue to draw (table with RA/Dec)")
    p.add_argument("--model", help="the model that scored the catalogue (default: the shipped model)")
    p.add_argument("--hips-order", type=whole(0, 12), default=7, help="HiPS order of the local sky background (default 7)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    p.set_defaults(func=cmd_app)
