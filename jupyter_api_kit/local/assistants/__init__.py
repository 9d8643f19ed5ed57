"""Assistants, threads, messages and runs: `routes` (assistants), `thread_routes` (threads and
messages), `run_routes` (runs and steps), `request` (checking what assistants and runs are configured
with), `store` (SQLite), `engine` (runs executed as background jobs), `planning` (what a run sends to
the model) and `events` (the stream of a run's events).
"""
