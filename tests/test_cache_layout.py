"""The cache layout has one definition (ringsky.config.CACHE_FOLDERS), documented in the README."""
import re

import pytest
from conftest import REPO

from ringsky.config import CACHE_FOLDERS, cache_folder, conf


def test_every_cache_folder_ringsky_writes_is_one_named_in_the_layout(tmp_path):
    source = "\n".join(path.read_text() for path in (REPO / "ringsky").rglob("*.py") if path.name != "config.py")
    assert not re.search(r"cache_dir\(\) / ", source)  # a module naming its own sub-folder bypasses the layout
    assert set(re.findall(r'cache_folder\("(\w+)"\)', source)) == set(CACHE_FOLDERS)
    readme = (REPO / "README.md").read_text()
    assert all(f"| `{name}/` |" in readme for name in CACHE_FOLDERS)
    with conf.set_temp("cache_dir", str(tmp_path)):
        assert cache_folder("packs") == tmp_path / "packs"
        with pytest.raises(KeyError, match="no cache folder 'app'"):
            cache_folder("app")
