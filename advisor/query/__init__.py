"""Query understanding: turn a raw question (and its conversation) into one `Query` value."""
