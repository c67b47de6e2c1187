"""The page benchmark: synthetic pages (``pages``), the page families (``families``) and ``make bench-pages``
(``evaluate``), ours beside Tesseract; and readings of a user's labelled images scored (``labels``), compared before
and after a change (``labels``), read as copies no reader should tell apart (``perturbed``) and cut into crops that
score digit models alone (``crops``)."""
