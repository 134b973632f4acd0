"""Report sections, in report order. Each is a module here with ``TITLE`` and ``build(ctx)``."""

SECTIONS = [
    "first_examples",
    "animations",
    "links_drawn",
    "topology",
    "vector_fields",
    "knn",
    "naitzat",
    "open_question",
]
