"""Code actions: the model edits files through tools; the edits become one WorkspaceEdit.

The pure parts live here: which paths are allowed (:mod:`.paths`), the tool
schemas and argument parsing (:mod:`.tools`), tolerant search-and-replace
(:mod:`.matching`) and the action's pending changes (:mod:`.changeset`),
turned into a ``WorkspaceEdit`` by :mod:`iskra_ls.edits`.
"""
