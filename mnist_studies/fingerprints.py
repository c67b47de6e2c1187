"""What a result depends on, as hashes: the import closure of the code that computes it.

A run record stores ``code_fingerprint(module)`` of the module that ran it: the SHA-256 of every project source
file that module can execute, found by following its ``import`` statements (at any depth) through the package. A
record is reused only while that hash is unchanged, so an edit to one study module, the page reader or a figure
leaves every run that cannot execute it alone, and an edit to ``training.py`` makes all of them stale. Docstrings
are left out of the hash: rewriting one changes no number.

Some modules never change a run's numbers and are left out of every closure (``NEUTRAL``): paths, profiles (a run's
settings are compared separately), claims, record and stamp storage, and the tools that run, report on or time
studies. The figure code (``mnist_studies/plotting/``) is hashed on its own (``figure_files``). Only the standard
library is imported here, so ``make status`` answers without starting TensorFlow.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import time
from pathlib import Path

PACKAGE = "mnist_studies"
PACKAGE_DIR = Path(__file__).resolve().parent
FIGURE_PACKAGE = f"{PACKAGE}.plotting"
CLAIMS_PACKAGE = f"{PACKAGE}.claims"

NEUTRAL = frozenset({
    PACKAGE,  # the package's __init__: logging settings and the version
    f"{PACKAGE}.paths", f"{PACKAGE}.profiles", f"{PACKAGE}.records", f"{PACKAGE}.stamps",
    f"{PACKAGE}.fingerprints", f"{PACKAGE}.native_logs", f"{PACKAGE}.report", f"{PACKAGE}.reproduce",
    f"{PACKAGE}.status", f"{PACKAGE}.progress", f"{PACKAGE}.benchmark",
    f"{PACKAGE}.studies",  # studies/__init__: the notebook table
})


def module_file(module: str) -> Path | None:
    """The source file of a project module (``pkg/mod.py`` or ``pkg/mod/__init__.py``), None if there is none."""
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    parts = module.split(".")[1:]
    base = PACKAGE_DIR.joinpath(*parts)
    for candidate in (base.with_suffix(".py") if parts else None, base / "__init__.py"):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _parents(module: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b`` (importing a submodule runs its packages' ``__init__`` first)."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imports_of_source(source: str, *, module: str = PACKAGE) -> set[str]:
    """The project modules that ``source`` (the code of ``module``) imports, at any depth of the code."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    is_package = (module_file(module) or Path()).name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x / from .mod import y
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if module_file(name) is not None:
                found.add(name)
                found.update(p for p in _parents(name) if module_file(p) is not None)
    return found


@functools.cache
def _imports_of_file(path: Path, mtime_ns: int, module: str) -> frozenset[str]:
    return frozenset(imports_of_source(path.read_text(), module=module))


def imports_of_module(module: str) -> frozenset[str]:
    """``imports_of_source`` of a project module's file (cached per modification time)."""
    path = module_file(module)
    return _imports_of_file(path, path.stat().st_mtime_ns, module)


def is_neutral(module: str) -> bool:
    """Whether ``module`` cannot change a run's numbers (``NEUTRAL``, and the claims package: ``CLAIMS`` of every
    study, applied when the report is written)."""
    return module in NEUTRAL or module == CLAIMS_PACKAGE or module.startswith(CLAIMS_PACKAGE + ".")


def import_closure(*modules: str) -> list[str]:
    """Every project module that ``modules`` can execute, themselves included, sorted; ``NEUTRAL`` modules and the
    figure code are neither included nor followed."""
    seen: set[str] = set()
    todo = [m for m in modules if module_file(m) is not None]
    unknown = [m for m in modules if module_file(m) is None]
    if unknown:
        raise ValueError(f"no such module in the project: {', '.join(unknown)}")
    while todo:
        module = todo.pop()
        if module in seen or is_neutral(module) or _is_figure_code(module):
            continue
        seen.add(module)
        todo.extend(imports_of_module(module) - seen)
    return sorted(seen)


def _is_figure_code(module: str) -> bool:
    return module == FIGURE_PACKAGE or module.startswith(FIGURE_PACKAGE + ".")


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE_DIR.parent).as_posix()


def without_docstrings(source: str) -> str:
    """``source`` with the lines of its docstrings removed (module, class and function docstrings that stand on lines
    of their own): what the code does, not what it says about itself."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    drop: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) or not node.body:
            continue
        first = node.body[0]
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            continue
        start, end = first.lineno - 1, first.end_lineno - 1
        if lines[start][:first.col_offset].strip() or lines[end][first.end_col_offset:].strip():
            continue  # shares a line with code: kept
        drop.update(range(start, end + 1))
    return "".join(line for i, line in enumerate(lines) if i not in drop)


@functools.cache
def _file_hash(path: Path, mtime_ns: int) -> str:
    data = path.read_bytes()
    if path.suffix == ".py":
        data = without_docstrings(data.decode("utf-8")).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:16]


def file_hash(path: Path) -> str:
    """SHA-256 (16 hex digits) of a file, a Python file without its docstrings (``without_docstrings``: rewriting
    a docstring retrains nothing); cached per modification time."""
    return _file_hash(path, path.stat().st_mtime_ns)


def code_files(*modules: str) -> dict[str, str]:
    """``{path relative to the project: hash}`` of the import closure of ``modules``."""
    return {_relative(module_file(m)): file_hash(module_file(m)) for m in import_closure(*modules)}


def digest(files: dict[str, str]) -> str:
    """One hash (16 hex digits) of a ``{name: hash}`` mapping."""
    text = "\n".join(f"{name}\0{value}" for name, value in sorted(files.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def code_fingerprint(*modules: str) -> str:
    """The hash of the code that ``modules`` can execute (``code_files``): what a run record is checked against."""
    return digest(code_files(*modules))


_RUNNING: dict[str, str] = {}
LOADED_AT = time.time()  # when this process began loading the package's code (this module loads with the first study)
EDITED_WHILE_RUNNING = "+edited-while-running"  # marks a fingerprint that no current code can match


def running_code_fingerprint(module: str) -> str:
    """``code_fingerprint(module)`` as it was the first time this process asked: the code the process has loaded.

    A study runs for hours; if its source is edited meanwhile, the records it writes must carry the fingerprint of
    the code that computed them, not of the files on disk at the time of writing (or a later run would reuse them
    as if the edited code had made them). The first ask may come late (a study's first record is written after its
    first fit): when a file of the closure was modified after this process began loading code (``LOADED_AT``), the
    code that ran cannot be known, and the fingerprint is marked ``EDITED_WHILE_RUNNING`` so that no later run reuses
    the record (a file imported lazily after its edit is marked too: the safe side). ``records`` stamps and checks
    records with this; ``make status`` uses the plain ``code_fingerprint``. ``forget_running()`` clears the memory
    (tests)."""
    if module not in _RUNNING:
        edited = any(module_file(m).stat().st_mtime > LOADED_AT for m in import_closure(module))
        _RUNNING[module] = code_fingerprint(module) + (EDITED_WHILE_RUNNING if edited else "")
    return _RUNNING[module]


def forget_running() -> None:
    _RUNNING.clear()


def figure_files(modules: set[str] | None = None) -> dict[str, str]:
    """``{path: hash}`` of the figure code: the modules of ``mnist_studies/plotting/`` among ``modules`` and the
    figure modules they import (all of ``plotting/`` when ``modules`` is None)."""
    folder = PACKAGE_DIR / "plotting"
    if modules is None:
        return {_relative(p): file_hash(p) for p in sorted(folder.rglob("*.py"))}
    todo, seen = [m for m in modules if _is_figure_code(m)], set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        imported = imports_of_module(module)
        todo.extend(m for m in imported if _is_figure_code(m) and m not in seen)
    return {_relative(module_file(m)): file_hash(module_file(m)) for m in sorted(seen)}


def notebook_imports(cells: list[str]) -> set[str]:
    """The project modules that a notebook's code cells import (IPython magics and shell lines are skipped)."""
    found = set()
    for cell in cells:
        code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.splitlines())
        found |= imports_of_source(code)
    return found
