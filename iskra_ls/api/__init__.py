"""Talking to Iskra: the HTTP client (:mod:`.client`) and account handling (:mod:`.auth`)."""
