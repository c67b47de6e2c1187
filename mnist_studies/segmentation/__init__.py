"""The page reader of paper 004 (M. Lu, N. Ke, §1 and §4): a page binarized, segmented into digits, each digit read.

``pipeline.recognize_page`` runs the stages, one module each, data flowing down this list: ``loading`` (any image as a
float page), ``light`` and ``geometry`` (the photo method's sheet, ink channel, flattened light, working scale and
deskew), ``patterns`` and ``screens`` (a printed pattern or halftone screen behind the writing), ``binarization``,
``lines`` (ruled lines and forms' boxes removed), ``preparation`` (all of those: the ink mask), ``rows``, ``splitting``
(digit boxes by directional projection), ``recognition`` (the digit model), ``sequence`` and ``touching`` (touching
digits read whole or split by recognition), ``conventions`` (writers' crossed 7s: asked for with ``crossed_sevens``, or
judged on the pages read together), ``result`` (``PageResult``, ``annotate``).

``benchmark/`` holds the page families and ``make bench-pages``; ``train/`` the training code of the models in
``shipped/``; ``__main__`` the command line (``mnist-read-digits``). How each stage works: docs/page-reader.md; what
was tried and measured: docs/experiments.md.
"""

from mnist_studies.segmentation.backends import BACKENDS, OnnxModel, load_network, shipped_path
from mnist_studies.segmentation.binarization import MIN_CONTRAST, binarize, ink_is_dark, lighter_ink, remove_specks
from mnist_studies.segmentation.geometry import (
                                                 DIGIT_HEIGHT,
                                                 MAX_WORKING_PIXELS,
                                                 deskew,
                                                 digit_height,
                                                 rescale,
                                                 skew_angle,
                                                 working_scale,
)
from mnist_studies.segmentation.light import (
                                                 flatten_illumination,
                                                 framed_middle,
                                                 ink_contrast,
                                                 ink_is_dark_locally,
                                                 only_paper,
                                                 paper_region,
)
from mnist_studies.segmentation.lines import remove_bars, remove_frames, remove_rules
from mnist_studies.segmentation.loading import MAX_PIXELS, page_size, read_page
from mnist_studies.segmentation.pipeline import INK, LARGE_PIXELS, SECOND_LOOK_BELOW, read_photo, recognize_page
from mnist_studies.segmentation.preparation import METHODS, FirstLook, PreparedPage, first_look, ink_mask, prepare_page
from mnist_studies.segmentation.recognition import digit_probabilities, load_digit_model, normalize_digit
from mnist_studies.segmentation.result import UNCERTAIN, Digit, PageError, PageResult, annotate
from mnist_studies.segmentation.rows import find_rows, ink_runs, rows_of_blobs
from mnist_studies.segmentation.sequence import load_row_model
from mnist_studies.segmentation.splitting import (
                                                 ONE_WIDE_DIGIT,
                                                 ROW_FINDERS,
                                                 SLANTS,
                                                 TOUCHING,
                                                 Boxes,
                                                 digit_width_share,
                                                 merge_fragments,
                                                 segment,
                                                 shrink_to_ink,
                                                 slanted_pieces,
                                                 split_row,
)
from mnist_studies.segmentation.touching import (
                                                 SEQUENCE_FROM,
                                                 TWO_STROKES,
                                                 candidate_stretches,
                                                 merge_by_recognition,
                                                 split_by_recognition,
                                                 split_touching,
                                                 split_two_strokes,
)

__all__ = [
    "BACKENDS", "Boxes", "DIGIT_HEIGHT", "Digit", "FirstLook", "LARGE_PIXELS", "MAX_PIXELS", "MAX_WORKING_PIXELS",
    "INK", "METHODS", "MIN_CONTRAST", "ONE_WIDE_DIGIT", "OnnxModel", "PageError", "PageResult", "PreparedPage",
    "ROW_FINDERS", "SECOND_LOOK_BELOW", "SEQUENCE_FROM", "SLANTS", "TOUCHING", "TWO_STROKES", "UNCERTAIN",
    "annotate", "binarize", "candidate_stretches", "deskew", "digit_height", "digit_probabilities",
    "digit_width_share", "find_rows", "first_look", "flatten_illumination", "framed_middle",
    "ink_contrast", "ink_is_dark", "ink_is_dark_locally", "ink_mask",
    "ink_runs", "lighter_ink", "load_digit_model", "load_network", "load_row_model", "merge_by_recognition",
    "merge_fragments", "normalize_digit", "only_paper", "page_size", "paper_region", "prepare_page", "read_page",
    "read_photo", "recognize_page", "remove_bars", "remove_frames", "remove_rules", "remove_specks", "rescale",
    "rows_of_blobs", "segment", "shipped_path", "shrink_to_ink", "skew_angle", "slanted_pieces",
    "split_by_recognition", "split_row", "split_touching", "split_two_strokes", "working_scale",
]
