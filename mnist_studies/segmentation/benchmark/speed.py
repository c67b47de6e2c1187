"""What a person waits for: one image per call of ``mnist-read-digits``, from a cold start, beside Tesseract's.

``make bench-pages`` runs it after the page families (``evaluate``; ``--no-speed`` leaves it out). Three kinds of
file, each read by a fresh process ``REPEATS`` times (the median wall time, the peak memory: the process's largest
resident set, and whether the digits came out right): a small scan (a "clean" page, 640 × 333, where start-up is
nearly all of the time), a page of the "desk photo" family (a sheet on a desk; seed ``PHOTO_SEED``) as a JPEG at its
own size, and that photo enlarged to each of ``MEGAPIXELS`` (what phones take). The figure plots the photos' time
and memory against size.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from mnist_studies.segmentation.benchmark import families

MEGAPIXELS = (1, 4, 12, 17, 36)  # the photo-size series (17: a phone's main camera)
PHOTO_SEED = 2003  # the page enlarged (a desk photo of four rows)
REPEATS = 3  # calls per file; the median is kept
JPEG_QUALITY = 90


def make_photos(folder: Path, megapixels=MEGAPIXELS, *, seed: int = PHOTO_SEED) -> tuple[list[Path], dict]:
    """A small scan (a "clean" page on plain paper, PNG), the desk photo at its own size and enlarged
    (bicubic) to each size in ``megapixels`` (JPEGs), in ``folder``; and each file's digits."""
    from PIL import Image

    scan, scan_truth = families.make("clean", seed)
    made = [folder / "scan.png"]
    Image.fromarray(scan).save(made[0])
    image, truth = families.make("desk photo", seed)
    page = Image.fromarray(image)
    made.append(folder / "photo.jpg")
    page.save(made[-1], quality=JPEG_QUALITY)
    for size in megapixels:
        factor = (size * 1e6 / (page.width * page.height)) ** 0.5
        made.append(folder / f"photo-{size}mp.jpg")
        page.resize((round(page.width * factor), round(page.height * factor)), Image.BICUBIC).save(
            made[-1], quality=JPEG_QUALITY)
    return made, {path.name: scan_truth if path == made[0] else truth for path in made}


def run_once(command: list[str]) -> tuple[float, float, str]:
    """(seconds, peak resident megabytes, standard output) of ``command`` in a fresh process. The peak is measured
    by a small Python parent whose only child is the command (``RUSAGE_CHILDREN``)."""
    probe = ("import resource, subprocess, sys, time\n"
             "start = time.perf_counter()\n"
             "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "seconds = time.perf_counter() - start\n"
             "print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, done.returncode)\n"
             "print(done.stdout, end='')\n")
    done = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, timeout=600)
    first, _, output = done.stdout.partition("\n")
    seconds, megabytes, code = first.split()
    if code != "0":
        raise RuntimeError(f"{' '.join(command)} failed with exit status {code}")
    return float(seconds), float(megabytes), output


def readers(use_tesseract: bool) -> dict[str, list[str]]:
    """The commands that read one image (its path appended): ours (the installed console script, default backend)
    and Tesseract's, as the page benchmark runs it (``evaluate.TESSERACT_ARGS``)."""
    from mnist_studies.segmentation.benchmark.evaluate import TESSERACT_ARGS

    script = Path(sys.executable).with_name("mnist-read-digits")
    ours = [str(script)] if script.is_file() else [sys.executable, "-m", "mnist_studies.segmentation"]
    found = {"ours": ours}
    if use_tesseract:
        found["tesseract"] = ["tesseract", "{image}", "stdout", *TESSERACT_ARGS]
    return found


def measure(use_tesseract: bool, *, megapixels=MEGAPIXELS, repeats: int = REPEATS) -> dict:
    """Per image and reader: median seconds of ``repeats`` cold calls, peak memory, and whether every digit was
    read (rows compared without spaces). Printed as it goes."""
    from PIL import Image

    from mnist_studies.segmentation.benchmark import pages
    from mnist_studies.segmentation.benchmark.evaluate import digit_rows

    commands = readers(use_tesseract)
    out = {"repeats": repeats, "images": []}
    with tempfile.TemporaryDirectory() as scratch:
        photos, truths = make_photos(Path(scratch), megapixels)
        for photo in photos:
            with Image.open(photo) as image:
                width, height = image.size
            row = {"name": photo.stem.removeprefix("photo-"), "megapixels": width * height / 1e6, "width": width,
                   "height": height, "truth": truths[photo.name]}
            for name, command in commands.items():
                command = [str(photo) if part == "{image}" else part for part in command]
                if name == "ours":
                    command = [*command, str(photo)]
                runs = [run_once(command) for _ in range(repeats)]
                text = digit_rows(runs[0][2])
                correct, total = pages.score_text(text, truths[photo.name])
                row[name] = {"seconds": statistics.median(r[0] for r in runs), "peak_mb": max(r[1] for r in runs),
                             "digit_accuracy": correct / total, "text": text}
            out["images"].append(row)
            print(f"{row['name']} ({row['megapixels']:.1f} MP): " + ", ".join(
                f"{name} {row[name]['seconds']:.2f} s, {row[name]['peak_mb']:.0f} MB, "
                f"{100 * row[name]['digit_accuracy']:.0f}% of digits" for name in commands),
                flush=True)
    return out


def plot(speed: dict, device: str):
    """Time and peak memory against image size, ours beside Tesseract's."""
    import matplotlib.pyplot as plt

    images = [image for image in speed["images"] if image["name"] != "scan"]  # the photo series
    names = [n for n in ("ours", "tesseract") if n in images[0]]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    sizes = np.array([image["megapixels"] for image in images])
    for name, marker in zip(names, "os"):
        axes[0].plot(sizes, [image[name]["seconds"] for image in images], marker=marker, label=name)
        axes[1].plot(sizes, [image[name]["peak_mb"] for image in images], marker=marker, label=name)
    for ax, label in zip(axes, ("seconds per image (one call, cold start)", "peak memory (MB)")):
        ax.set_xscale("log")
        ax.set_xticks(sizes, [f"{s:.1f}" if s < 1 else f"{s:.0f}" for s in sizes])
        ax.set_xlabel("image size (megapixels)")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"One photo per call, median of {speed['repeats']} ({device})", fontsize=9)
    fig.tight_layout()
    return fig

