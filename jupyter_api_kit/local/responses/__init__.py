"""The Responses API: `routes` (create, plain, streamed or in the background; retrieve, delete,
cancel, input items, input tokens, compact), `request` (input items and tools), `engine` (making a
response) and `store` (stored responses and the conversations they chain).
"""
