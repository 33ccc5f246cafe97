"""The layout docs/architecture.md describes: every relative import (lazy ones too) runs one way,
with no cycle between modules or between the stage packages, and `ringsky labels` never
imports torch."""
import ast
import subprocess
import sys
from collections import defaultdict

from conftest import REPO

PACKAGE = REPO / "ringsky"
#: each stage package and the other packages it may import ("top": ringsky's top-level modules)
ALLOWED = {
    "top": {"top"},
    "sources": {"top"},
    "labels": {"top"},
    "learn": {"top", "sources"},
    "catalogue": {"top", "labels"},
    "pipeline": {"top", "sources", "learn", "catalogue"},
    "explore": {"top", "sources", "catalogue"},
    "cli": {"top", "sources", "labels", "learn", "catalogue", "pipeline", "explore"},
}


def module_name(path):
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph():
    """{module: modules it imports}, for every relative import anywhere in the file."""
    graph = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module:
                    graph[name].add(target)
                for alias in node.names if not node.module else ():
                    if (REPO / f"{target}.{alias.name}".replace(".", "/")).with_suffix(".py").is_file():
                        graph[name].add(f"{target}.{alias.name}")
    return graph


def stage(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else "top"


def cycle(graph):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for target in graph.get(node, ()):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target, path + [target])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in list(graph):
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


def test_no_module_imports_another_that_imports_it_back():
    assert cycle(import_graph()) is None


def test_each_stage_imports_only_the_stages_below_it():
    upward = sorted((module, target) for module, targets in import_graph().items() for target in targets
                    if stage(target) not in ALLOWED[stage(module)] | {stage(module)} and module != "ringsky.__main__")
    assert upward == []


def test_the_labels_command_never_imports_torch():
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "ringsky", "labels", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time")]
    assert not [name for name in imported if name == "torch" or name.startswith("torch.")]
    assert any(name.startswith("ringsky.cli") for name in imported)


def test_the_label_code_and_the_split_rules_never_import_torch():
    modules = [module_name(path) for path in (PACKAGE / "labels").glob("*.py")] + ["ringsky.splits"]
    code = f"import importlib, sys; [importlib.import_module(m) for m in {modules!r}]; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr



def test_no_submodule_shadows_a_name_its_package_defines():
    """``ringsky.sources.pictures`` (a function) would be replaced by a submodule of that name
    as soon as the submodule is imported."""
    clashes = []
    for init in PACKAGE.rglob("__init__.py"):
        defined = {node.name for node in ast.parse(init.read_text()).body
                   if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        defined |= {target.id for node in ast.parse(init.read_text()).body if isinstance(node, ast.Assign)
                    for target in node.targets if isinstance(target, ast.Name)}
        submodules = {path.stem for path in init.parent.glob("*.py")} | {path.name for path in init.parent.iterdir()
                                                                       if (path / "__init__.py").is_file()}
        clashes += [f"{module_name(init)}.{name}" for name in defined & submodules]
    assert clashes == []
