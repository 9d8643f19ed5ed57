"""The local organization (admin key only): `routes`, `store` (projects and their users), `users`
(the organization's users), `invites`, `keys` (the admin key, project keys as API keys),
`service_accounts`, `certificates`, `audit` (the audit log) and `rate_limits` (per-project limits,
enforced on the model endpoints).
"""
