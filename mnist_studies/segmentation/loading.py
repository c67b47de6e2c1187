"""Stage 1, loading: any image file Pillow reads as a float page in [0, 1]."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnist_studies.segmentation.result import PageError

MAX_PIXELS = 40_000_000  # larger pages are refused (about 6,300 × 6,300)


def read_page(path: str | Path, *, max_pixels: int = MAX_PIXELS, colour: bool = False) -> np.ndarray:
    """Read any image Pillow reads as a float grey image in [0, 1] (RGBA is composited on white, 16-bit scaled),
    turned as its EXIF orientation says (a phone's portrait photo); with ``colour``, a colour page comes back as
    (H, W, 3) RGB in [0, 1] (for ``light.ink_contrast``).

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
            image.load()
            # a phone stores a portrait photo's pixels sideways with an EXIF Orientation tag: read it as it is seen
            image = ImageOps.exif_transpose(image)
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                rgba = image.convert("RGBA")
                background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, rgba)
            if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                grey = np.asarray(image, dtype=np.float64)
                top = 65535.0 if image.mode.startswith("I;16") or grey.max() > 255 else 255.0
                return np.clip(grey / top, 0.0, 1.0)
            if colour and image.mode not in ("L", "1", "LA"):
                return np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
            return np.asarray(image.convert("L"), dtype=np.float64) / 255.0
    except PageError:
        raise
    except UnidentifiedImageError:
        raise PageError("not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data
        raise PageError(f"unreadable image ({error})") from None
    except Image.DecompressionBombError:
        raise PageError(f"page too large (over Pillow's limit of {Image.MAX_IMAGE_PIXELS:,} pixels)") from None
