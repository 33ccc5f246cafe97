"""Start Streamlit on the explorer with the modules it imports already imported.

``ringsky app`` runs ``python app/serve.py run app/explorer.py ...`` (Streamlit's own command
line) instead of ``python -m streamlit run``: the server then holds the explorer's modules
(Streamlit's components, pandas, astropy, ringsky's catalogue code) before anyone visits, and
the first page after a start skips their import, about 0.9 s of its 2.2 s on this machine. The
modules are read from the script's top-level imports, so the list cannot fall behind it.
"""
import ast
import importlib
import sys
from pathlib import Path


def top_level_imports(script):
    """The absolute module names ``script`` imports outside any function."""
    names = []
    for node in ast.parse(Path(script).read_text()).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module)
    return names


def main(argv):
    """``argv``: ``run SCRIPT [options] [-- script args]``, as for ``streamlit``. Run as a script
    from app/, this module has the explorer's own modules on its path, as Streamlit will."""
    for name in top_level_imports(argv[1]):
        importlib.import_module(name)
    from streamlit.web.cli import main as streamlit

    sys.argv = ["streamlit", *argv]
    streamlit()


if __name__ == "__main__":
    main(sys.argv[1:])
