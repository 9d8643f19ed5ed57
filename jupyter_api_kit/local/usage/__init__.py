"""Organization usage and costs: `routes`, `buckets` (recorded usage aggregated into time buckets)
and `costs` (usage priced with the shared price table).
"""
