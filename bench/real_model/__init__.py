"""A real (tiny) chat model in the loop: set-up, Iskra-shaped proxy, recorder, corpus, figures.

See ``bench/real_model/README.md``. Nothing here runs in CI except what the corpus
test imports (``corpus``, ``invariants``), which needs no model.
"""
