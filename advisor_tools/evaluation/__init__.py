"""Offline grounding evaluation: golden set, metrics, the naive baseline pipeline and reports.

`advisor eval` runs it; tests/test_eval_gate.py fails CI when it drops below the floors.
"""
