"""The Responses API: `routes` (create, plain, streamed or in the background; retrieve, delete,
cancel, input items, input tokens, compact), `request` (input items and tools), `engine` (reading a
request into a response to make), `run` (making it: tools, answer, stream events), `background`
(background responses as jobs; storing and accounting a finished response) and `store` (stored
responses and the conversations they chain).
"""
