"""Indexing: load files, chunk them, and write them to a store as one unit per document."""
