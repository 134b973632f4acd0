"""Report sections, in report order. Each is a module here with ``TITLE`` and ``build(ctx)``."""

SECTIONS = ["first_examples", "vector_fields", "knn"]
