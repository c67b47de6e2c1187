"""Named families of synthetic pages for measuring a page reader as people will use it: the same MNIST *test*
digits (``pages.make_page``) written, lit and photographed in different ways, each page with its ground truth.

    clean, touching pairs, hard shadow, gradient light, ruled paper, squared paper, blue ink, faint pencil,
    rotated ±4°, JPEG quality 60, small digits (~15 px tall), large digits (~150 px tall), multi-row

``make(family, seed)`` returns ``(image, text)``: an 8-bit grey (or, for blue ink, RGB) image and its digits, rows
separated by newlines. Used by ``evaluate`` (``make bench-pages``) beside Tesseract.

One more family, ``handwriting fonts``, is not made from MNIST at all: the same clean pages written in Debian's
handwriting fonts (``HANDWRITING_FONTS``, one font per page), a check that the reader is not only good at MNIST's
writers. It is measured where those fonts are installed (``apt-get install fonts-bwht fonts-breip
fonts-dkg-handwriting fonts-humor-sans fonts-comic-neue fonts-dancingscript``) and skipped with a note elsewhere.
"""

from __future__ import annotations

import io

import numpy as np

from mnist_studies.segmentation import pages

FAMILIES = ("clean", "touching pairs", "hard shadow", "gradient light", "ruled paper", "squared paper", "blue ink",
            "faint pencil", "rotated ±4°", "JPEG quality 60", "small digits", "large digits", "multi-row")
PAPER = 0.95  # the paper's grey level
FONTS = "handwriting fonts"  # the optional family (module docstring)
HANDWRITING_FONTS = (  # Debian's handwriting-like fonts (outlined ones, as femkeklaver, left out)
    "/usr/share/fonts/opentype/bwht/BecauseWeBuild-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeConnect-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeCreate-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeLearn-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeMentor-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeOrganize-Regular.otf",
    "/usr/share/fonts/truetype/breip/Breip.ttf",
    "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
    "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
    "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf",
    "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf",
)


def _clean(seed: int, **overrides) -> pages.SyntheticPage:
    options = dict(lighting=0.0, dark_ink=True, touching=0.0, noise=0.02, blur=0.6)
    options.update(overrides)
    return pages.make_page(seed, **options)


def _ink(grey: np.ndarray) -> np.ndarray:
    """The ink amount (0 = paper, 1 = full ink) of a dark-ink page."""
    return np.clip((PAPER - grey) / 0.8, 0.0, 1.0)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0.0, 1.0) * 255).round().astype(np.uint8)


def _resize(grey: np.ndarray, factor: float) -> np.ndarray:
    from skimage.transform import rescale

    return rescale(grey, factor, anti_aliasing=factor < 1, order=1, preserve_range=True)


def _lines(shape, pitch: int, *, horizontal: bool = True, vertical: bool = False, offset: int = 0) -> np.ndarray:
    rules = np.zeros(shape, dtype=bool)
    if horizontal:
        rules[offset::pitch, :] = True
        rules[offset + 1::pitch, :] = True
    if vertical:
        rules[:, offset::pitch] = True
    return rules


def _shadow(grey: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A shadow (a hand, a phone) over part of the page, with a sharp edge."""
    height, width = grey.shape
    yy, xx = np.mgrid[:height, :width]
    angle = rng.uniform(-0.6, 0.6)
    edge = width * rng.uniform(0.35, 0.65) + (yy - height / 2) * np.tan(angle)
    return grey * np.where(xx > edge, rng.uniform(0.4, 0.55), 1.0)


def hard_page(seed: int) -> tuple[np.ndarray, str]:
    """Two hard conditions at once, for figures: ruled paper under a hard shadow. Returns (uint8 image, text)."""
    image, text = make("ruled paper", seed)
    return _to_uint8(_shadow(image / 255.0, np.random.default_rng(seed + 104729))), text


def installed_fonts() -> list[str]:
    """The ``HANDWRITING_FONTS`` installed on this machine."""
    from pathlib import Path

    return [font for font in HANDWRITING_FONTS if Path(font).is_file()]


def available() -> tuple[str, ...]:
    """The families this machine can make: ``FAMILIES``, and ``FONTS`` where its fonts are installed."""
    return FAMILIES + ((FONTS,) if installed_fonts() else ())


def font_digits(font: str, seed: int, *, variants: int = 6, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Every digit of ``font`` drawn ``variants`` times, each turned by up to ±6° (a hand is never square): uint8
    images (10 × variants, 2 × size, 2 × size), white on black as MNIST's, and their labels, for ``pages.make_page``
    (which cuts each to its ink and scales it to the row's height)."""
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    face = ImageFont.truetype(font, size=size)
    images, labels = [], []
    for digit in range(10):
        for _ in range(variants):
            canvas = Image.new("L", (2 * size, 2 * size), 0)
            ImageDraw.Draw(canvas).text((size // 2, size // 4), str(digit), fill=255, font=face)
            images.append(np.asarray(canvas.rotate(rng.uniform(-6, 6), resample=Image.BILINEAR)))
            labels.append(digit)
    return np.stack(images), np.asarray(labels)


def make(family: str, seed: int) -> tuple[np.ndarray, str]:
    """One page of ``family`` (see ``FAMILIES``, and ``FONTS``), fully determined by ``seed``: (uint8 image, truth
    text)."""
    if family == FONTS:
        fonts = installed_fonts()
        if not fonts:
            raise ValueError(f"the {FONTS!r} family needs Debian's handwriting fonts; none is installed (see "
                             f"mnist_studies/segmentation/families.py)")
        images, labels = font_digits(fonts[seed % len(fonts)], seed)
        page = _clean(seed, images=images, labels=labels)
        return page.image, page.text
    if family not in FAMILIES:
        raise ValueError(f"unknown page family {family!r}; valid families: {', '.join(FAMILIES + (FONTS,))}")
    rng = np.random.default_rng(seed + 7919)
    page = _clean(seed, rows=8 if family == "multi-row" else None,
                  touching=1.0 if family == "touching pairs" else 0.0)
    grey, text = page.image / 255.0, page.text
    if family == "hard shadow":
        grey = _shadow(grey, rng)
    elif family == "gradient light":  # light falling off across the page, and a vignette
        height, width = grey.shape
        ramp = np.linspace(0, 1, width)[None, :]
        vignette = np.outer(np.hanning(height) ** 0.3, np.hanning(width) ** 0.3)
        grey = grey * (1.0 - 0.45 * ramp) * (0.6 + 0.4 * vignette)
    elif family in ("ruled paper", "squared paper"):
        pitch = int(rng.integers(18, 26))
        rules = _lines(grey.shape, pitch, vertical=family == "squared paper", offset=int(rng.integers(0, pitch)))
        grey = np.where(rules, np.minimum(grey, 0.62), grey)
    elif family == "blue ink":  # blue ballpoint on off-white paper: an RGB photo
        ink = _ink(grey)[..., None]
        paper = np.array([0.97, 0.95, 0.86])
        pen = np.array([0.12, 0.22, 0.70])
        return _to_uint8(paper * (1 - ink) + pen * ink), text
    elif family == "faint pencil":  # light grey strokes
        grey = PAPER - 0.28 * _ink(grey) + np.random.default_rng(seed).normal(0, 0.015, grey.shape)
    elif family == "rotated ±4°":
        from skimage.transform import rotate

        grey = rotate(grey, rng.uniform(2.0, 4.0) * rng.choice([-1, 1]), resize=True, cval=PAPER, order=1)
    elif family == "JPEG quality 60":
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(_to_uint8(grey)).save(buffer, format="JPEG", quality=60)
        buffer.seek(0)
        return np.asarray(Image.open(buffer).convert("L")), text
    elif family == "small digits":  # rows of 32-64 px digits scaled to about 15 px
        grey = _resize(grey, 15 / 48)
    elif family == "large digits":  # and to about 150 px
        grey = _resize(grey, 150 / 48)
    return _to_uint8(grey), text
