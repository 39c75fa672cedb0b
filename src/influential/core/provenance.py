"""Which library code a job runs: the modules its script reaches through imports, and a digest of their source.

The Snakefile gives every rule the digest of its script's modules as a parameter, so editing a module reruns
exactly the jobs that import it (directly or through other modules), and each job checks that the library it
imported is that same code before it starts. Imports are read from the source (`ast`), never executed, so this
module stays light enough for the Snakefile.
"""

import ast
import hashlib
from functools import cache
from pathlib import Path

PACKAGE = "influential"
LIBRARY = Path(__file__).resolve().parents[1]  # the package, above core/


@cache
def imported_modules(source: str) -> frozenset[str]:
    """Dotted names under the package that a source file imports anywhere (at the top or inside a function);
    `from influential import io` counts as both `influential` and `influential.io`. Cached by source text: the
    Snakefile asks for every rule's closure, which share most of their modules."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            # importing a.b.c runs the packages a and a.b first
            found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1) if parts[0] == PACKAGE)
    return frozenset(found)


def module_file(name: str, root: Path = LIBRARY) -> Path | None:
    """The source file of a dotted module name under the package at `root`, or None for a non-module (a class or
    function imported by name) or a module that is not there."""
    parts = name.split(".")[1:]
    package = root.joinpath(*parts, "__init__.py")
    if package.is_file():
        return package
    module = root.joinpath(*parts[:-1], f"{parts[-1]}.py") if parts else None
    return module if module is not None and module.is_file() else None


def closure(script: str | Path, root: Path = LIBRARY) -> list[str]:
    """Every library module a script reaches, sorted."""
    reached, pending = set(), set(imported_modules(Path(script).read_text()))
    while pending:
        name = pending.pop()
        path = module_file(name, root)
        if name in reached or path is None:
            continue
        reached.add(name)
        pending |= imported_modules(path.read_text()) - reached
    return sorted(reached)


def digest(modules: list[str], root: Path = LIBRARY) -> str:
    """A short digest of the named modules' source as found under `root`."""
    h = hashlib.sha256()
    for name in sorted(modules):
        path = module_file(name, root)
        h.update(name.encode() + b"\0" + (path.read_bytes() if path else b"(missing)") + b"\0")
    return h.hexdigest()[:16]


def code(script: str | Path) -> dict:
    """What a rule's `code` parameter holds: its script's library modules and their digest."""
    modules = closure(script)
    return {"modules": modules, "digest": digest(modules)}
