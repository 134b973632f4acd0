"""Report sections, in report order. Each is a module here with ``TITLE`` and ``build(ctx)``."""

SECTIONS = [
    "first_examples",
    "animations",
    "links_drawn",
    "widths",
    "linking",
    "betti",
    "stretch",
    "vector_fields",
    "knn",
    "naitzat",
    "open_question",
    "untangle",
]
