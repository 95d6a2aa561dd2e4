"""The optional LLM backend: chains, local model, prompt packing and the validator."""
