"""Evals: `routes`, `store` (evals, runs and output items in SQLite), `engine` (eval runs in the
background), `sources` (data sources), `graders` (testing criteria) and `metrics` (text similarity).
"""
