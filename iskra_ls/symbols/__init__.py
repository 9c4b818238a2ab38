"""The workspace's definitions: tags queries per language, an index built off the event
loop and kept current by a file watcher (issue 22)."""
