"""The page benchmark: synthetic pages (``pages``), the page families (``families``) and ``make bench-pages``
(``evaluate``), ours beside Tesseract."""
