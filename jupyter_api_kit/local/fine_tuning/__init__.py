"""Fine-tuning: `routes` (jobs, events, checkpoints, checkpoint permissions), `store` (SQLite) and
`engine` (jobs that really train the local language model in the background).
"""
