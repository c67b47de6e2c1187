"""What the reader returns: the digits of a page with their boxes and probabilities, and the page drawn with them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np


class PageError(ValueError):
    """A page that cannot be processed; the message is one line that names the problem."""


UNCERTAIN = "?"  # shown instead of a digit read with less than the asked confidence


@dataclass
class Digit:
    label: int
    probability: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)
    row: int
    top3: list[tuple[int, float]] = field(default_factory=list)  # the three most probable labels, best first


@dataclass
class PageResult:
    image: str
    text: str
    digits: list[Digit] = field(default_factory=list)  # boxes in the input image's pixels
    sevens: tuple[int, int] = (0, 0)  # digits read as 7: (with a crossbar, without one; ``conventions.crossed``)
    # the page as read where its writer crosses 7s: each 7 without a crossbar a 1 (None: it has none to change)
    as_crossing_writer: PageResult | None = field(default=None, repr=False, compare=False)

    def text_at(self, min_confidence: float = 0.0) -> str:
        """The text with ``UNCERTAIN`` ("?") for every digit read with a probability below ``min_confidence``."""
        lines: dict[int, str] = {}
        for digit in self.digits:
            shown = str(digit.label) if digit.probability >= min_confidence else UNCERTAIN
            lines[digit.row] = lines.get(digit.row, "") + shown
        return "\n".join(lines[r] for r in sorted(lines))

    def to_dict(self) -> dict:
        return {"image": self.image, "text": self.text,
                "digits": [{**asdict(d), "box": list(d.box), "top3": [[int(k), float(p)] for k, p in d.top3]}
                           for d in self.digits]}


SURE_COLOUR, UNSURE_COLOUR = (220, 40, 40), (30, 110, 230)  # red boxes; blue for digits under min_confidence


def annotate(grey: np.ndarray, result: PageResult, out_path: str | Path, *, min_confidence: float = 0.0) -> Path:
    """Save the page with a box around each digit and its label at the box's upper left (the paper's Figure 2);
    digits read with a probability below ``min_confidence`` are drawn in blue with their probability."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.fromarray((np.clip(grey, 0, 1) * 255).astype(np.uint8)).convert("RGB")  # grey or RGB pages
    draw = ImageDraw.Draw(image)
    for digit in result.digits:
        x0, y0, x1, y1 = digit.box
        sure = digit.probability >= min_confidence
        colour = SURE_COLOUR if sure else UNSURE_COLOUR
        shown = np.floor(100 * digit.probability) / 100  # rounded down: 0.998 under a 0.999 bar does not show 1.00
        label = str(digit.label) if sure else f"{digit.label}? {shown:.2f}"
        size = max(11, (y1 - y0) // 4)  # labels that stay readable on a phone photo's large digits
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=colour, width=max(2, size // 8))
        draw.text((x0 + 1, max(0, y0 - size - 1)), label, fill=colour, font=ImageFont.load_default(size=size))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    image.save(out_path)
    return out_path
