"""Training code of the page reader's shipped models (``make reader-model``): the digit model, a mean (``ensemble``)
of digit readers (``digit_reader``), the row reader of touching digits (``row_reader``) and the crops and rows both
learn from (``strips``, ``styles``)."""
