"""Stage 1, loading: any image file Pillow reads as a float page in [0, 1]."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnist_studies.segmentation.result import PageError

MAX_PIXELS = 40_000_000  # larger pages are refused (about 6,300 × 6,300)


def read_page(path: str | Path, *, max_pixels: int = MAX_PIXELS, colour: bool = False, reduce: int = 1) -> np.ndarray:
    """Read any image Pillow reads as a float grey image in [0, 1] (RGBA is composited on white, 16-bit scaled),
    turned as its EXIF orientation says (a phone's portrait photo); with ``colour``, a colour page comes back as
    (H, W, 3) RGB in [0, 1] (for ``light.ink_contrast``). With ``reduce`` k > 1, reduced k-fold (each k × k block
    averaged; a JPEG is decoded at 1/2, 1/4 or 1/8 of its size first, so it may be reduced a little less, never more),
    never holding the full image as floats.

    Raises:
        PageError: missing path, a folder, an empty, truncated or non-image file, or a page over ``max_pixels``.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise PageError("no such file")
    if path.is_dir():
        raise PageError("is a folder, not an image")
    if path.stat().st_size == 0:
        raise PageError("empty file")
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise PageError(f"page too large: {width}×{height} pixels, the limit is {max_pixels:,} pixels")
            if reduce > 1:  # a JPEG decodes at 1/2, 1/4 or 1/8 of its size, no smaller than asked (fast, little memory)
                image.draft(image.mode, (-(-width // reduce), -(-height // reduce)))
            image.load()
            left = max(1, int(image.size[0] * reduce / width + 1e-9))  # what the JPEG's draft left to do, rounded down
            # a phone stores a portrait photo's pixels sideways with an EXIF Orientation tag: read it as it is seen
            image = ImageOps.exif_transpose(image)
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                rgba = image.convert("RGBA")
                background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, rgba)
            if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                grey = _block_mean(np.asarray(image, dtype=np.float64), left)
                top = 65535.0 if image.mode.startswith("I;16") or grey.max() > 255 else 255.0
                return np.clip(grey / top, 0.0, 1.0)
            image = image.convert("RGB" if colour and image.mode not in ("L", "1", "LA") else "L")
            return np.asarray(image.reduce(left) if left > 1 else image, dtype=np.float64) / 255.0
    except PageError:
        raise
    except UnidentifiedImageError:
        raise PageError("not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data
        raise PageError(f"unreadable image ({error})") from None
    except Image.DecompressionBombError:
        raise PageError(f"page too large (over Pillow's limit of {Image.MAX_IMAGE_PIXELS:,} pixels)") from None


def _block_mean(array: np.ndarray, k: int) -> np.ndarray:
    """``array`` (H, W) with each k × k block averaged (the last row and column of blocks may be partial)."""
    if k <= 1:
        return array
    height, width = array.shape
    padded = np.pad(array, ((0, -height % k), (0, -width % k)), mode="edge")
    return padded.reshape(padded.shape[0] // k, k, padded.shape[1] // k, k).mean(axis=(1, 3))


def page_size(path: str | Path) -> tuple[int, int]:
    """(rows, columns) of the image in ``path`` as a person sees it (EXIF orientation applied), without decoding it;
    ``read_page`` says what is wrong with a file that cannot be opened."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
            turned = image.getexif().get(0x0112) in (5, 6, 7, 8)  # Orientation: a quarter turn
    except Exception:  # noqa: BLE001 (read_page gives the one-line reason)
        read_page(path)
        raise
    return (width, height) if turned else (height, width)
