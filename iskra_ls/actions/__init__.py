"""Code actions: the model edits files through tools; the edits become one WorkspaceEdit.

Pure parts: which paths are allowed (:mod:`.paths`), the tool schemas and
argument parsing (:mod:`.tools`), tolerant search-and-replace (:mod:`.matching`),
the catalogue (:mod:`.catalog`) and command arguments (:mod:`.request`). The
model's view of the files (:mod:`.vfs`, disk access in :mod:`.fileio`) and the
action's pending changes (:mod:`.changeset`) become a ``WorkspaceEdit`` through
:mod:`iskra_ls.edits`, after the apply-time check of :mod:`.snapshot`. The tool
loop (:mod:`.runner`) runs each tool in a worker thread (:mod:`.worker`) and
hands the result to :mod:`.apply`, which sends it and reports what happened.
"""
