"""The account: one quota ledger per account on the machine, and what keeps it right.

``budget`` (the day's arithmetic, pure), ``ledger`` (SQLite, shared by every process),
``quota`` (this process's reservations, off the event loop), ``chat`` (the narrow
chat interface features get), ``monitor`` (``/auth/me``), ``token_binding`` (which token,
which API root) and ``settings_store`` (the settings layers). ``iskra_ls.session``
composes them.
"""
