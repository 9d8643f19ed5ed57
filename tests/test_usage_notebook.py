"""notebooks/usage_analysis.ipynb runs top to bottom offline in a real kernel and answers its five
questions: tokens per model per day, the busiest project, cached vs uncached input, cost per
project and the audit trail."""

from __future__ import annotations

import pytest

from tests.notebook_support import assert_ran_cleanly, code_cell_containing, executed_once, shown

executed = executed_once("usage_analysis.ipynb")


@pytest.mark.notebook
@pytest.mark.slow
def test_usage_analysis_runs_offline_and_answers_its_questions(executed):
    nb, _ = executed
    assert_ran_cleanly(nb)
    everything = "\n".join(shown(c) for c in nb.cells if c.cell_type == "code")
    assert "sk-admin-" not in everything and "sk-svcacct-" not in everything  # no key is ever shown

    users = shown(code_cell_containing(nb, "org.users.frame()"))
    assert "owner@localhost" in users and "teacher@example.org" in users and "reader" in users
    assert "analyst@example.org" in shown(code_cell_containing(nb, "org.invites.frame()"))
    per_day = shown(code_cell_containing(nb, "tokens_per_day ="))
    assert "local-ngram" in per_day and "local-ngram-small" in per_day and "text/html" in per_day
    assert "image/png" in shown(code_cell_containing(nb, "%usage --days 7"))
    assert "busiest project: Research" in shown(code_cell_containing(nb, "busiest ="))
    cache = shown(code_cell_containing(nb, "cached_share"))
    assert "input_cached_tokens" in cache and "Research" in cache
    costs = shown(code_cell_containing(nb, "spend = org.costs"))
    assert "not OpenAI's prices" in costs and "Research" in costs and "Teaching" in costs
    assert "local-ngram, output" in shown(code_cell_containing(nb, "line_item\", \"quantity\""))
    trail = shown(code_cell_containing(nb, "trail = org.audit_logs.frame()"))
    for event in ("project.created", "service_account.created", "api_key.created", "user.added",
                  "invite.sent", "rate_limit.updated"):
        assert event in trail
    assert "max_requests_per_1_minute" in shown(code_cell_containing(nb, "rate_limit.updated\"][\"details\"]"))
    assert "application/vnd.jupyter.widget-view+json" in shown(code_cell_containing(nb, "UsageDashboard(admin"))
