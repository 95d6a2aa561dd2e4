"""Gradio chat UI and the workshop embed."""
