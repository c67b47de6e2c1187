"""Stages 2-5 put together: an image becomes the ink mask that rows and digits are cut from, and a map back to the
image for the boxes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from mnist_studies.segmentation import fine_lines, geometry, imaging, light, lines, patterns, screens, textures
from mnist_studies.segmentation.binarization import binarize, ink_is_dark, remove_specks

ALONG_RIM = 4  # _without_rim: a piece of ink in the band along a painted sheet's outline this elongated is its edge
GRAINY = (1.5, 2.0)  # first_look: light ink whose digits measure this many times (1) taller on the photo blurred by
# this σ (0, px) is grainy chalk in fragments, and is measured there (docs/experiments.md, "Chalk on a blackboard")
METHODS = ("paper", "photo")  # the paper's pipeline; with the photo stages of light, geometry, lines first


def ink_mask(image: np.ndarray, *, method: str = "paper") -> np.ndarray:
    """The ink mask of ``prepare_page`` (in the coordinates of the page it returns)."""
    return prepare_page(image, method=method).mask


@dataclass
class PreparedPage:
    """What ``prepare_page`` made of an image: the page the mask belongs to, the ink mask, and how that page lies on
    the image (``to_input``): rescaled by ``scale``, then turned by ``angle`` degrees (``geometry.deskew``) from a page
    of shape ``levelled_from``."""

    page: np.ndarray = field(repr=False)
    mask: np.ndarray = field(repr=False)
    input_shape: tuple[int, int]
    scale: float = 1.0
    angle: float = 0.0
    levelled_from: tuple[int, int] | None = None
    read_again: bool = False  # the photo method found ink too faint to stretch or rules (``FirstLook.read_again``)

    def to_input(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A box (x0, y0, x1, y1, ends exclusive) of ``mask`` as the box of the input image that holds it (a turned
        box's bounding box)."""
        if self.scale == 1.0 and not self.angle:
            return box

        x0, y0, x1, y1 = box
        corners = np.array([[x0, y0], [x1 - 1, y0], [x0, y1 - 1], [x1 - 1, y1 - 1]], dtype=np.float64)
        if self.angle:
            corners = geometry.levelled_to_page(corners, self.levelled_from, self.angle)
        corners = (corners + 0.5) / self.scale - 0.5  # pixel centres of the rescaled page on the input
        height, width = self.input_shape
        left, top = np.clip(np.floor(corners.min(axis=0)).astype(int), 0, [width - 1, height - 1])
        right, bottom = np.clip(np.floor(corners.max(axis=0)).astype(int) + 1, [left + 1, top + 1], [width, height])
        return int(left), int(top), int(right), int(bottom)


def prepare_page(image: np.ndarray, *, method: str = "paper", stretch_from: float = light.FAINT_INK,
                 without_rules: bool = False, dark_ink: bool | None = None, enlarge: bool = True) -> PreparedPage:
    """The page's ink mask. ``"paper"``: the paper's adaptive binarization of the grey page. ``"photo"``: first the desk
    around the sheet painted out (``light.only_paper``), the channel that separates ink best (``light.ink_contrast``;
    ``image`` may be RGB), light flattened (``light.flatten_illumination``) and a printed pattern or halftone screen
    removed (``patterns``, ``screens``), rescaled when its digits are far from 40 px tall (``geometry.working_scale``,
    then flattened again at that scale), rotated level (``geometry.deskew``), then the binarization, and ruled or
    squared lines removed (``lines.remove_rules``), and a printed background's fine lines (``fine_lines``); a texture's
    streaks (``textures``) give an empty mask. Faint ink is stretched from ``stretch_from`` (``flatten_illumination``),
    and ``without_rules`` fills the rules in from around them first (``first_look``); ``enlarge`` False never
    enlarges the page (a blank page's specks, stretched, ask for 4 times its size). ``dark_ink``: whether the ink
    is darker than the paper (None: judged on the page, ``light.ink_is_dark_locally`` or, by the paper's method,
    ``binarization.ink_is_dark``).
    Returns the page the mask belongs to (the photo method's is flattened, rescaled and levelled), the mask, and the
    map back to the input (``PreparedPage.to_input``: ``recognize_page`` gives its boxes on the input image)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid methods: {', '.join(METHODS)}")
    if method == "paper":
        grey = image if image.ndim == 2 else image[..., :3] @ np.array([0.299, 0.587, 0.114])
        return PreparedPage(grey, remove_specks(binarize(grey, dark_ink=dark_ink)), grey.shape[:2])

    look = first_look(image, stretch_from=stretch_from, without_rules=without_rules, dark_ink=dark_ink)
    if textures.is_texture(look.scale_mask):  # wood grain with nothing written on it: nothing to read
        return PreparedPage(look.flat, np.zeros(look.flat.shape, dtype=bool), look.grey.shape[:2],
                            read_again=look.read_again)
    limit = geometry.MAX_WORKING_PIXELS if enlarge else look.scale_mask.size
    factor = geometry.working_scale(look.scale_mask, max_pixels=limit)
    flat, ink = look.flat, look.ink
    if factor != 1.0:
        flat = look.flattened(geometry.rescale(look.grey, factor))
        ink = binarize(flat)
    levelled_from = flat.shape
    angle = 0.0
    if look.scale_mask.any():  # specks alone have no rows: levelled by them, a textured page's noise became ink
        flat, angle = geometry.deskew(flat, _without_fine_lines(ink, look, factor))
    if angle:  # a page already level keeps the binarization it has
        ink = binarize(flat)
    mask = _without_fine_lines(lines.remove_rules(ink), look, factor)
    if look.rim is not None:
        mask = _without_rim(mask, look.rim, factor, angle)
    return PreparedPage(flat, remove_specks(mask), look.grey.shape[:2], factor, angle, levelled_from, look.read_again)


def _without_fine_lines(mask: np.ndarray, look: FirstLook, factor: float) -> np.ndarray:
    """``mask`` without the fine printed lines the first look found (``fine_lines``): stripped as found at the page's
    own scale, looked for again at another (the lines' width has changed with it)."""
    if not look.fine_lines:
        return mask
    if factor == 1.0:
        return fine_lines.strip(mask)
    found = fine_lines.find(mask)
    return mask if found is None else found


def _without_rim(mask: np.ndarray, rim: np.ndarray, factor: float, angle: float) -> np.ndarray:
    """``mask`` without the ink (8-connected pieces) that ``light.paper_and_rim``'s map (on the input image) puts
    wholly outside the painted sheet or in the band along its outline, when most of it is outside (a shadow's edge on
    the painted desk) or it is ``ALONG_RIM`` times longer than wide (the sheet's own edge; a digit there is compact).
    The map is rescaled and turned as the page was."""
    where = geometry.rescale(rim.astype(np.float64) / 2, factor)
    where = geometry.turn(where, angle, cval=0.0) if angle else where
    labels, count = imaging.label(mask, structure=np.ones((3, 3), dtype=bool))
    inside = np.bincount(labels[where < 0.25], minlength=count + 1)  # ink on the sheet, off the band
    on_band = np.bincount(labels[(where >= 0.25) & (where < 0.75)], minlength=count + 1)
    off_sheet = np.bincount(labels[where >= 0.75], minlength=count + 1)
    drop = np.zeros(count + 1, dtype=bool)
    for k, piece in enumerate(imaging.find_objects(labels, count), start=1):
        if piece is not None and not inside[k]:
            sides = sorted(s.stop - s.start for s in piece)
            drop[k] = off_sheet[k] > on_band[k] or sides[1] >= ALONG_RIM * sides[0]
    return mask & ~drop[labels]


@dataclass
class FirstLook:
    """The photo method's first pass over an image, at the image's own scale: the paper's grey (``grey``), its
    light flattened (``flat``), the ink (``ink``) and the mask its digits are measured on (``scale_mask``: rules and
    specks removed); ``flattened`` flattens another grey page the same way (dark or light ink as judged here)."""

    grey: np.ndarray = field(repr=False)
    flat: np.ndarray = field(repr=False)
    ink: np.ndarray = field(repr=False)
    scale_mask: np.ndarray = field(repr=False)
    dark_ink: bool
    fine_lines: bool = False  # a printed background's fine lines found in the ink (``fine_lines``)
    rim: np.ndarray | None = field(default=None, repr=False)  # where ink is not the writing (``light.paper_and_rim``)
    stretch_from: float = light.FAINT_INK  # faint ink is stretched from this depth (``light.flatten_illumination``)
    ruled: bool = False  # rules were removed from ``ink`` (``lines.remove_rules``)

    @property
    def faint(self) -> bool:
        """Whether the ink lies from ``light.FAINTEST_INK`` to ``stretch_from`` below the paper: too faint to have been
        stretched, deep enough to be writing (faint pencil; a blurred photo of it) or a blank page's shading."""
        return light.FAINTEST_INK < light.ink_depth(self.flat) <= self.stretch_from

    @property
    def read_again(self) -> bool:
        """Whether a page where nothing is found may hold writing fainter than what was stretched: faint ink, or rules
        (darker than light pencil, they set the stretch and Otsu's cut, and the pencil falls on the paper's side)."""
        return self.faint or self.ruled

    def flattened(self, grey: np.ndarray) -> np.ndarray:
        return _flattened(grey, self.dark_ink, self.stretch_from)


def _flattened(grey: np.ndarray, dark_ink: bool, stretch_from: float = light.FAINT_INK) -> np.ndarray:
    flat = light.flatten_illumination(grey, dark_ink=dark_ink, stretch_from=stretch_from)
    inverted = not ink_is_dark(flat)
    flat = 1.0 - flat if inverted else flat  # light ink on a dark page: dark ink on light paper
    found = patterns.spectrum_of(flat)  # one spectrum for a printed pattern and a halftone screen
    dense = screens.dense_screen(1.0 - flat, found) if inverted else None  # or a screen's dots merged into a net
    return dense if dense is not None else screens.remove_screen(flat, found, patterns.remove_pattern(flat, found))


def first_look(image: np.ndarray, *, stretch_from: float = light.FAINT_INK, without_rules: bool = False,
               dark_ink: bool | None = None) -> FirstLook:
    """The photo method's first pass (``FirstLook``): the desk painted out, the ink's channel, light flattened (faint
    ink stretched from ``stretch_from``), binarized; fine printed lines looked for once rules are removed. With
    ``without_rules`` the rules found (dark ink only) are filled in from around them (``imaging.inpaint``), and all
    is done again. ``dark_ink`` None: the ink's polarity judged here (``light.ink_is_dark_locally``; in the middle
    alone where that is a dark board in a light frame, ``light.framed_middle``). Light ink's digits are measured on
    the photo blurred where they measure ``GRAINY[1]`` times taller there (grainy chalk)."""
    luminance = image if image.ndim == 2 else image[..., :3] @ np.array([0.299, 0.587, 0.114])
    if dark_ink is None:  # judged once, for every stage
        middle = light.framed_middle(luminance)
        dark_ink = light.ink_is_dark_locally(luminance if middle is None else luminance[middle])
    look = _look(image, stretch_from, without_rules, dark_ink)
    if dark_ink:
        return look
    # grainy chalk binarizes into fragments, measured as tiny digits: its digits are measured on the photo blurred
    sigma, taller = GRAINY
    blurred = imaging.gaussian_filter(np.asarray(image, dtype=np.float64), (sigma, sigma, 0)[:image.ndim])
    grainy = _look(blurred, stretch_from, without_rules, dark_ink).scale_mask
    height, blurred_height = geometry.digit_height(look.scale_mask), geometry.digit_height(grainy)
    if blurred_height is not None and (height is None or blurred_height > taller * height):
        return replace(look, scale_mask=grainy)
    return look


def _look(image: np.ndarray, stretch_from: float, without_rules: bool, dark_ink: bool) -> FirstLook:
    painted, rim = light.paper_and_rim(image, dark_ink=dark_ink)
    grey = light.ink_contrast(painted, dark_ink=dark_ink)
    flat = _flattened(grey, dark_ink, stretch_from)
    ink = binarize(flat)
    ruled_out = lines.remove_rules(ink, min_length=None)
    ruled = bool((ink & ~ruled_out).any())
    if without_rules and ruled and dark_ink:
        rules = imaging.binary_dilation(ink & ~ruled_out, structure=np.ones((3, 3), dtype=bool))
        grey = imaging.inpaint(grey, rules)
        flat = _flattened(grey, dark_ink, stretch_from)
        ink = binarize(flat)
        ruled_out = lines.remove_rules(ink, min_length=None)
    stripped = fine_lines.find(ruled_out)
    return FirstLook(grey, flat, ink, remove_specks(ruled_out if stripped is None else stripped), dark_ink,
                     stripped is not None, rim, stretch_from, ruled)
