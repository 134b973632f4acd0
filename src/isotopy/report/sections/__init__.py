"""Report sections, in report order. Each is a module here with ``TITLE`` and ``build(ctx)``."""

SECTIONS = ["first_examples", "animations", "topology", "open_question", "vector_fields", "knn"]
