"""Cited action plans: steps quoted from the strategy, ordered foundations first (builder), as
Markdown (render), Word and PDF (exports)."""
