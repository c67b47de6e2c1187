"""The package as pip installs it: the wheel holds every file the code loads, and an installed copy reads a page
from another folder, away from the checkout."""

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from mnist_studies import paths

ROOT = paths.PROJECT_ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a clean copy of what the package is made of (a ``build/`` folder left in the checkout
    by an earlier build would lend it files its configuration does not name)."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "mnist_studies", source / "mnist_studies", ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                           "--wheel-dir", str(out), str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (found,) = out.glob("mnist_studies-*.whl")
    return found


def test_the_wheel_holds_every_module_and_every_file_the_reader_loads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "mnist_studies"
    needed = {p.relative_to(ROOT).as_posix() for p in package.rglob("*") if p.is_file()
              and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    loaded = {model.with_suffix(suffix) for model in (paths.reader_model_path(), paths.row_model_path())
              for suffix in (".keras", ".onnx", ".json")}
    assert {p.relative_to(ROOT).as_posix() for p in loaded} <= needed  # what the reader loads lies in the package
    assert needed <= names, f"missing from the wheel: {sorted(needed - names)}"
    assert any(n.endswith("entry_points.txt") for n in names)


@pytest.mark.slow
def test_an_installed_wheel_reads_a_page_from_another_folder(wheel, tmp_path):
    """A fresh virtual environment (the project's libraries reached through a .pth file, the package itself only
    from the wheel) runs ``mnist-read-digits`` in a folder outside the checkout."""
    from PIL import Image

    from mnist_studies.segmentation.benchmark import pages

    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    site = Path(subprocess.run([env / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    (site / "project_libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([env / "bin" / "python", "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                              str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    elsewhere = tmp_path / "photos"
    elsewhere.mkdir()
    page = pages.make_page(7, rows=2)
    Image.fromarray(page.image).save(elsewhere / "page.png")
    where = subprocess.run([env / "bin" / "python", "-c", "import mnist_studies; print(mnist_studies.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, timeout=120)
    assert where.stdout.startswith(str(site)), where.stdout + where.stderr  # the installed copy, not the checkout
    run = subprocess.run([env / "bin" / "mnist-read-digits", "page.png"], capture_output=True, text=True,
                         cwd=elsewhere, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == page.text.split()
