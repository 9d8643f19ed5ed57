"""The Conversations API: `routes` (conversations and their items), `request` (the checked request
bodies and queries) and `store` (conversations and items in SQLite). Responses read and append to a
conversation through `store`.
"""
