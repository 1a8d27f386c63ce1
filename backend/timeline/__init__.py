"""A case's timeline over HTTP: the generic append and read routes, checked by identity and evidence."""
