"""Retrieval: find the passages that answer a `Query` (dense + lexical, fused)."""
