"""Named families of synthetic pages (``FAMILIES``) for measuring a page reader as people will use it: the same
MNIST *test* digits (``pages.make_page``) written, lit and photographed in different ways, each with its truth.

``make(family, seed)`` returns ``(image, text)``: an 8-bit grey (RGB for blue ink and desk photos) image and its digits,
rows separated by newlines; ``evaluate`` (``make bench-pages``) reads them beside Tesseract. Four families are what real
documents have: a cheque's printed pattern, separators, continental 1s, a form field's halftone screen; the continental
1s are drawn by code a digit-model variant may train on, so such a model is favoured there. ``handwriting fonts``
(``FONTS``) is not MNIST at all: the clean pages in Debian's handwriting fonts, measured where they are installed
(``HANDWRITING_FONTS``; fonts-bwht, fonts-breip, fonts-dkg-handwriting, fonts-humor-sans, fonts-comic-neue,
fonts-dancingscript) and skipped with a note elsewhere.
"""

from __future__ import annotations

import functools
import io

import numpy as np

from mnist_studies.segmentation.benchmark import pages

FAMILIES = ("clean", "touching pairs", "hard shadow", "gradient light", "ruled paper", "squared paper", "blue ink",
            "faint pencil", "rotated ±4°", "JPEG quality 60", "small digits", "large digits", "multi-row",
            "desk photo", "form boxes", "printed background", "separators", "continental 1s", "halftone screen")
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


def printed_background(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A cheque's printed security pattern ("guilloche"): fine wavy lines of one random pitch, waviness, angle and
    grey, as a factor (1 = paper) to multiply a page by."""
    height, width = shape
    y, x = np.mgrid[:height, :width].astype(np.float64)
    angle = rng.uniform(-0.6, 0.6)
    u, v = x * np.cos(angle) + y * np.sin(angle), -x * np.sin(angle) + y * np.cos(angle)
    pitch, wave, swing = rng.uniform(5, 9), rng.uniform(15, 35), rng.uniform(2, 5)
    line = np.abs(np.sin(u / pitch + swing * np.sin(v / wave))) < rng.uniform(0.12, 0.2)
    return 1.0 - rng.uniform(0.25, 0.4) * line


def halftone_screen(shape: tuple[int, int], rng: np.random.Generator, *, pitch: float | None = None,
                    angle: float | None = None, darkest: float | None = None) -> np.ndarray:
    """A printed halftone screen (a shaded form field, a newspaper's photo) as a factor (1 = paper) to multiply a
    page by: round dots on a square grid of one random ``pitch`` (3-7 px) and ``angle`` (radians), their size
    following a smooth shade that covers up to ``darkest`` of the paper (about 0.2-0.5; from 0.79 the dots merge),
    rendered as a scanner averages each pixel."""
    from skimage.transform import resize

    height, width = shape
    y, x = (np.mgrid[:4 * height, :4 * width] + 0.5) / 4 - 0.5  # four samples a pixel each way: a scanner's average
    drawn_angle, drawn_pitch = rng.uniform(0, np.pi / 2), rng.uniform(3, 7)
    angle, pitch = drawn_angle if angle is None else angle, drawn_pitch if pitch is None else pitch
    u, v = x * np.cos(angle) + y * np.sin(angle), -x * np.sin(angle) + y * np.cos(angle)
    shade = resize(np.cumsum(np.cumsum(rng.normal(0, 1, (4, 4)), axis=0), axis=1), x.shape, order=3)  # broad patches
    shade = (shade - shade.min()) / max(np.ptp(shade), 1e-9)
    lightest = rng.uniform(0.03, 0.12)
    span = rng.uniform(0.15, 0.4) if darkest is None else darkest - lightest
    cover = lightest + span * shade  # the share of the paper the dots cover
    distance = np.hypot((u / pitch) % 1 - 0.5, (v / pitch) % 1 - 0.5) * pitch
    dots = (distance < pitch * np.sqrt(cover / np.pi)).reshape(height, 4, width, 4).mean(axis=(1, 3))
    return 1.0 - rng.uniform(0.3, 0.6) * dots


@functools.lru_cache(maxsize=1)
def continental_test_digits() -> tuple[np.ndarray, np.ndarray]:
    """The MNIST test set with every 1 drawn in the continental way (``styles.flag_one``, seed 0)."""
    from mnist_studies.data import load_mnist
    from mnist_studies.segmentation.train.styles import add_styles

    _, (images, labels) = load_mnist()
    return add_styles(images, labels, {1: 1.0}, seed=0), labels


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


def _shadow_light(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """The light (1, or 0.4-0.55 in the shadow) of a shadow (a hand, a phone) over part of an image of ``shape``,
    with a sharp edge."""
    height, width = shape
    yy, xx = np.mgrid[:height, :width]
    angle = rng.uniform(-0.6, 0.6)
    edge = width * rng.uniform(0.35, 0.65) + (yy - height / 2) * np.tan(angle)
    return np.where(xx > edge, rng.uniform(0.4, 0.55), 1.0)


def _shadow(grey: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``grey`` under a shadow (``_shadow_light``)."""
    return grey * _shadow_light(grey.shape, rng)


def hard_page(seed: int) -> tuple[np.ndarray, str]:
    """Two hard conditions at once, for figures: ruled paper under a hard shadow. Returns (uint8 image, text)."""
    image, text = make("ruled paper", seed)
    return _to_uint8(_shadow(image / 255.0, np.random.default_rng(seed + 104729))), text


# desk colours; "desk photo" pages lie on the first two, the others are for tests and probes
DESKS = {"wood": np.array([0.45, 0.29, 0.16]), "black": np.array([0.16, 0.16, 0.17]),
         "grey": np.array([0.42, 0.45, 0.40]), "light grey": np.array([0.85, 0.84, 0.80]),
         "light wood": np.array([0.80, 0.68, 0.50]), "mid grey": np.array([0.60, 0.60, 0.60])}


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """An 8-bit image saved as JPEG at ``quality`` and read back."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return np.asarray(Image.open(buffer))


def close_up_marker(seed: int, *, stroke: float = 0.16, height: float = 0.6, size: tuple[int, int] = (900, 1200)
                    ) -> tuple[np.ndarray, str]:
    """A close-up photo of two to four MNIST test digits written with a marker, fully determined by ``seed``: the
    digits up to ``height`` × the photo's height tall (as tall as fit across it), their strokes widened to ``stroke``
    × their height, on white paper or a yellow note (odd seeds), lit from one side. Not a family: how a user
    photographs a note (docs/experiments.md, "A marker's strokes on a close-up photo"). Returns (RGB uint8 image, its
    digits)."""
    from scipy import ndimage
    from skimage.transform import resize

    from mnist_studies.data import load_mnist

    _, (images, labels) = load_mnist()
    rng = np.random.default_rng(seed)
    rows, columns = size
    count = int(rng.integers(2, 5))
    tall = min(int(height * rows * rng.uniform(0.8, 1.0)), int((columns - 160) / count / 1.25))
    ink, text, x = np.zeros(size), "", int(rng.integers(20, 80))
    for _ in range(count):
        index = int(rng.integers(len(images)))
        digit = pages._tight(images[index]) / 255.0
        pad = int(stroke * tall) + 6
        shape = np.pad(resize(digit, (tall, max(8, round(digit.shape[1] * tall / digit.shape[0]))), order=1) > 0.4,
                       pad)
        natural = 4 * ndimage.distance_transform_edt(shape)[shape].mean()  # a strip's mean distance is a quarter
        shape = ndimage.distance_transform_edt(~shape) <= max(0.0, stroke * tall - natural) / 2
        glyph = ndimage.gaussian_filter(shape.astype(float), 1.0)
        ys, xs = np.nonzero(glyph > 0.01)
        glyph = glyph[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        y0 = min(max(0, (rows - glyph.shape[0]) // 2 + int(rng.integers(-20, 20))), rows - glyph.shape[0])
        if x + glyph.shape[1] > columns - 10:
            break
        ink[y0:y0 + glyph.shape[0], x:x + glyph.shape[1]] = np.maximum(
            ink[y0:y0 + glyph.shape[0], x:x + glyph.shape[1]], glyph)
        text += str(int(labels[index]))
        x += glyph.shape[1] + int(rng.uniform(0.1, 0.25) * tall)
    paper = np.array([0.98, 0.92, 0.45]) if seed % 2 else np.array([0.95, 0.95, 0.93])
    light = 0.85 + 0.15 * np.linspace(0.0, 1.0, columns)[None, :, None]
    rgb = (paper * (1 - ink[..., None]) + np.array([0.08, 0.08, 0.1]) * ink[..., None]) * light
    return _to_uint8(rgb + rng.normal(0.0, 0.015, rgb.shape)), text


BOARDS = {"green": (0.16, 0.25, 0.2), "black": (0.12, 0.12, 0.13)}  # ``chalkboard``'s colours


def chalkboard(seed: int, *, haze: float = 0.1, grain: float = 0.3, board: str | None = None, wall: float = 0.0
               ) -> tuple[np.ndarray, str]:
    """A photo of MNIST test digits written in chalk on a blackboard, fully determined by ``seed``: the clean
    family's page at twice its size, each stroke's chalk missing in grains (about a third of its pixels lose
    ``grain`` of their chalk and another quarter 0.3 × ``grain``), over the smudges and streaks of erased chalk
    (up to ``haze`` lighter), on a ``BOARDS`` colour (default: green for odd seeds, black for even ones), lit from
    one side; with ``wall`` > 0, in a wooden frame on a light wall that shows ``wall`` × the board's size on each
    side. Not a family: how a teacher photographs a board (docs/experiments.md, "Chalk on a blackboard").
    Returns (RGB uint8 image, its digits)."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    page = _clean(seed)
    ink = _resize(_ink(page.image / 255.0), 2)
    height, width = ink.shape
    grains = ndimage.gaussian_filter(rng.random((height, width)), 0.8)
    grains = (grains - grains.mean()) / grains.std()
    chalk = ink * np.clip(1.0 - grain * (grains > 0.3) - 0.3 * grain * (grains > -0.3), 0.0, 1.0)

    def smooth(sigma) -> np.ndarray:  # noise smoothed to ``sigma``, from 0 to 1
        field = ndimage.gaussian_filter(rng.random((height, width)), sigma)
        return (field - field.min()) / np.ptp(field)

    erased = haze * (0.6 * smooth(25) + 0.4 * smooth((3, 40)))
    colour = np.array(BOARDS[board or ("green" if seed % 2 else "black")])
    surface = colour + 0.8 * erased[..., None]
    alpha = 0.85 * chalk[..., None]
    rgb = (surface * (1 - alpha) + np.array([0.88, 0.88, 0.85]) * alpha) * (0.8 + 0.2 * np.linspace(0, 1, width))[
        None, :, None]
    image = _to_uint8(rgb + rng.normal(0.0, 0.015, rgb.shape))
    if wall <= 0:
        return image, page.text
    top, left, frame = int(wall * height), int(wall * width), max(6, int(0.02 * width))
    framed = np.empty((height + 2 * top, width + 2 * left, 3), dtype=np.uint8)
    framed[:] = (205, 198, 185)
    framed[top - frame:top + height + frame, left - frame:left + width + frame] = (115, 78, 45)
    framed[top:top + height, left:left + width] = image
    return framed, page.text


def desk_photo(ink: np.ndarray, rng: np.random.Generator, *, desks: tuple[str, ...] = ("wood", "black"),
               rules: tuple[int, int] | None = None) -> np.ndarray:
    """A phone's photo of a page (``ink``: 0 = paper, 1 = full ink) lying on a desk, as people take one: an RGB
    uint8 image in which the sheet (a margin around the writing; ruled with a red margin line on half the pages, or
    always with ``rules``: the rules' (pitch, row of one rule) on ``ink``)
    fills 60-80% of the frame's width and height and is seen at an angle (each corner moved by up to 5% of the
    sheet), the desk around it (grained wood or black: ``desks`` of ``DESKS``), black or blue ink, light that falls
    off towards one corner, a colour cast, on a third of the photos the hard shadow of the phone or a hand across
    sheet and desk alike, then sensor noise and JPEG quality 85."""
    from scipy import ndimage
    from skimage.transform import ProjectiveTransform, warp

    margin = int(rng.integers(30, 60))
    ink = np.pad(ink, margin)
    height, width = ink.shape
    sheet = np.ones((height, width, 3)) * (np.array([0.96, 0.95, 0.91]) + rng.uniform(-0.02, 0.02, 3))
    if rules is None and rng.random() < 0.5:  # a notebook's page: blue rules and a red margin line
        pitch = int(rng.integers(18, 26))
        rules = (pitch, int(rng.integers(0, pitch)) - margin)
    if rules is not None:
        pitch, offset = rules
        ruled = _lines((height, width), pitch, offset=(offset + margin) % pitch)
        sheet[ruled] = 0.45 * sheet[ruled] + 0.55 * np.array([0.55, 0.70, 0.90])
        x = margin // 2
        sheet[:, x:x + 2] = [0.90, 0.45, 0.45]
    pen = np.array([0.10, 0.10, 0.12]) if rng.random() < 0.5 else np.array([0.12, 0.22, 0.70])
    sheet = sheet * (1 - ink[..., None]) + pen * ink[..., None]
    share = rng.uniform(0.6, 0.8)  # of the frame's width and height the sheet fills
    frame_w, frame_h = int(width / share), int(height / share)
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    centred = corners + [(frame_w - width) / 2, (frame_h - height) / 2]
    placed = centred + rng.uniform(-0.05, 0.05, (4, 2)) * [width, height]
    transform = ProjectiveTransform.from_estimate(placed, corners)  # frame -> sheet: warp's inverse map
    photo = warp(sheet, transform, output_shape=(frame_h, frame_w), cval=-1.0, order=1)
    desk = DESKS[desks[int(rng.integers(len(desks)))]] * rng.uniform(0.85, 1.15)
    grain = ndimage.gaussian_filter(rng.normal(0, 1, (frame_h, frame_w)), (1.0, 12.0))  # wood grain runs along
    desk = desk * (1 + 0.1 * grain / max(float(grain.std()), 1e-6))[..., None]
    off = photo[..., 0] < -0.5
    photo[off] = desk[off]
    yy, xx = np.mgrid[:frame_h, :frame_w]
    cy, cx = rng.uniform(0, 1, 2) * [frame_h, frame_w]
    light = 1 - 0.35 * (((yy - cy) / frame_h) ** 2 + ((xx - cx) / frame_w) ** 2)
    if rng.random() < 1 / 3:
        light = light * _shadow_light(light.shape, rng)  # the hard shadow family's
    warmth = rng.uniform(-0.08, 0.15)  # a lamp's warm light (blue and green weaker) or a window's cool one
    cast = np.array([1.0, 1 - warmth / 2, 1 - warmth] if warmth > 0 else [1 + warmth, 1 + warmth / 2, 1.0])
    photo = ndimage.gaussian_filter(photo * light[..., None] * cast, (0.8, 0.8, 0)) + rng.normal(0, 0.015, photo.shape)
    return _jpeg(_to_uint8(photo), 85)


def form_boxes(seed: int) -> tuple[np.ndarray, str]:
    """A form's fields of boxes with one MNIST test digit written in each (a zip code, a phone number, a score):
    1 to 3 fields of 5 to 9 boxes, each box 1.05-1.3 × a digit's height wide and 1.3-1.5 × high, drawn as one grid on
    half of the fields and apart (4-12 px) on the others, printed 1-2 px thick in grey to black; each digit 32-50 px
    tall, placed anywhere in its box at least 3 px from its sides. Returns (uint8 grey image, truth text)."""
    from mnist_studies.data import load_mnist

    _, (images, labels) = load_mnist()
    rng = np.random.default_rng(seed)
    fields = []
    for _ in range(int(rng.integers(1, 4))):
        h = int(rng.integers(32, 51))
        fields.append((int(rng.integers(5, 10)), h, int(round(h * rng.uniform(1.05, 1.3))),
                       int(round(h * rng.uniform(1.3, 1.5))), 0 if rng.random() < 0.5 else int(rng.integers(4, 13))))
    spacing = int(rng.integers(20, 41))
    width = max(n * (w + gap) for n, _, w, _, gap in fields) + 80
    ink = np.zeros((sum(bh for *_, bh, _ in fields) + spacing * (len(fields) + 1), width))
    lines, top = [], spacing
    for n, h, w, bh, gap in fields:
        left, line = int(rng.integers(20, 60)), ""
        thickness, strength = int(rng.integers(1, 3)), rng.uniform(0.6, 1.0)
        for k in range(n):
            x = left + k * (w + gap)
            frame = np.zeros((bh + thickness, w + thickness), dtype=bool)
            frame[:thickness] = frame[bh:] = frame[:, :thickness] = frame[:, w:] = True
            window = ink[top:top + bh + thickness, x:x + w + thickness]
            window[frame] = np.maximum(window[frame], strength)
            index = int(rng.integers(len(images)))
            digit = pages._tight(images[index])
            dw = min(w - 6 - thickness, max(4, round(digit.shape[1] * h / digit.shape[0])))
            dx = x + thickness + 3 + int(rng.integers(0, w - dw - 6 - thickness + 1))
            dy = top + thickness + 3 + int(rng.integers(0, bh - h - 6 - thickness + 1))
            _write(ink, digit, dy, dx, (h, dw))
            line += str(int(labels[index]))
        lines.append(line)
        top += bh + spacing
    page = pages.on_paper(ink, PAPER, blur=0.6, noise=0.02, rng=rng)
    return _to_uint8(page), "\n".join(lines)


def _write(ink: np.ndarray, digit: np.ndarray, top: int, left: int, size: tuple[int, int]) -> None:
    """Write ``digit`` (uint8, cut to its ink) into ``ink`` (0 = paper, 1 = full ink) at (``top``, ``left``),
    resized to ``size`` (rows, columns)."""
    from skimage.transform import resize

    window = ink[top:top + size[0], left:left + size[1]]
    np.maximum(window, resize(digit / 255.0, size, anti_aliasing=True), out=window)


def notebook_table(seed: int, *, lines: bool = True, filled: float = 1.0) -> tuple[np.ndarray, str]:
    """A table of MNIST test digits written on a notebook's ruled page and photographed on a desk (``desk_photo``),
    fully determined by ``seed``: 3-6 rows of 2-4 cells 90-160 px wide, drawn in pen 1-2 px thick along the rules
    (18-25 px apart, two to a row; with ``lines`` False, not drawn), one to three digits 1.2-1.6 rules tall on the
    bottom line of each cell (of a cell with probability ``filled``: 0 draws an empty table). Not a family: how a
    student photographs a table of scores (docs/experiments.md, "A table on a notebook page"). Returns (RGB uint8
    image, its digits: a table's row a line)."""
    from mnist_studies.data import load_mnist

    _, (images, labels) = load_mnist()
    rng = np.random.default_rng(seed)
    pitch, columns, rows = int(rng.integers(18, 26)), int(rng.integers(2, 5)), int(rng.integers(3, 7))
    edges = 40 + np.cumsum([0] + [int(rng.integers(90, 160)) for _ in range(columns)])
    ink = np.zeros((80 + 2 * pitch * (rows + 1), int(edges[-1]) + 40))
    offset = int(rng.integers(0, pitch))
    top, pen = 40 + (offset - 40) % pitch, int(rng.integers(1, 3))  # the table's first line on a rule
    if lines:
        for row in range(rows + 1):
            ink[top + 2 * pitch * row:top + 2 * pitch * row + pen, edges[0]:edges[-1]] = 0.9
        for x in edges:
            ink[top:top + 2 * pitch * rows + pen, x:x + pen] = 0.9
    text = []
    for row in range(rows):
        line = ""
        for column in range(columns):
            if filled < 1.0 and rng.random() >= filled:
                continue
            x, bottom = int(edges[column] + rng.integers(8, 20)), top + 2 * pitch * (row + 1) - int(rng.integers(3, 8))
            for _ in range(int(rng.integers(1, 4))):
                index = int(rng.integers(len(images)))
                digit, tall = pages._tight(images[index]), int(pitch * rng.uniform(1.2, 1.6))
                wide = max(4, round(digit.shape[1] * tall / digit.shape[0]))
                if x + wide > edges[column + 1] - 4:
                    break
                _write(ink, digit, bottom - tall, x, (tall, wide))
                line += str(int(labels[index]))
                x += wide + int(rng.integers(2, 10))
        text.append(line)
    return desk_photo(ink, rng, rules=(pitch, offset)), "\n".join(text)


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
                             f"mnist_studies/segmentation/benchmark/families.py)")
        images, labels = font_digits(fonts[seed % len(fonts)], seed)
        page = _clean(seed, images=images, labels=labels)
        return page.image, page.text
    if family not in FAMILIES:
        raise ValueError(f"unknown page family {family!r}; valid families: {', '.join(FAMILIES + (FONTS,))}")
    if family == "form boxes":
        return form_boxes(seed)
    rng = np.random.default_rng(seed + 7919)
    source = {}
    if family == "continental 1s":
        images, labels = continental_test_digits()
        source = {"images": images, "labels": labels}
    page = _clean(seed, rows=8 if family == "multi-row" else None,
                  touching=1.0 if family == "touching pairs" else 0.0,
                  separators=0.35 if family == "separators" else 0.0, **source)
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
    elif family == "printed background":  # the ink written over the pattern: where both are, the ink's grey
        grey = np.minimum(grey, PAPER * printed_background(grey.shape, rng))
    elif family == "halftone screen":
        grey = np.minimum(grey, PAPER * halftone_screen(grey.shape, rng))
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
        return _jpeg(_to_uint8(grey), 60), text
    elif family == "desk photo":
        return desk_photo(_ink(grey), rng), text
    elif family == "small digits":  # rows of 32-64 px digits scaled to about 15 px
        grey = _resize(grey, 15 / 48)
    elif family == "large digits":  # and to about 150 px
        grey = _resize(grey, 150 / 48)
    return _to_uint8(grey), text
