"""Answering: from a `Query` and its passages to a cited `Answer`, as one event stream."""
