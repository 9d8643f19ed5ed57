"""What every feature of the local server shares: the database and its numbered migrations (`db`),
the HTTP errors (`errors`), request parsing (`params`), ids and time (`ids`), cursor paging (`paging`),
authentication (`auth`), the one runner of background jobs (`jobs`), the typed app state (`state`)
and the usage record of every request served (`usage_log`). It imports no feature.
"""
