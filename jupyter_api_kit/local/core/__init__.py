"""What every feature of the local server shares: the database and its numbered migrations (`db`),
the HTTP errors (`errors`), reading requests (`raw_request` for the JSON body, `request_models` for the
declared models every request is checked against, `metadata` for metadata outside a model), ids and
time (`ids`), cursor paging (`paging`), authentication (`auth`), the one runner of background jobs
(`jobs`), the typed app state (`state`) and the usage record of every request served (`usage_log`).
It imports no feature.
"""
