"""Chat completions: `routes` (create, plain or streamed, and the stored-completion operations),
`request` (the checked request), `engine` (completion objects and stream chunks from the model's
output) and `store` (stored completions, their messages and metadata).
"""
