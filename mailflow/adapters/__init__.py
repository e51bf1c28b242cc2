"""Edges: the only modules that talk to servers, files, libraries with I/O and the database."""
