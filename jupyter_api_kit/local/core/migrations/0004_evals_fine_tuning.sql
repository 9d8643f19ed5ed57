-- Evals: the eval (its data source config and testing criteria as given, checked), its runs, and one
-- output item per data source item with every grader's result. Counts on a run are updated as items are
-- graded, so a run being polled shows its progress.
CREATE TABLE evals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    data_source_config TEXT NOT NULL,
    testing_criteria TEXT NOT NULL,
    metadata TEXT
);
CREATE INDEX evals_updated_at ON evals (updated_at, seq);

CREATE TABLE eval_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    eval_id TEXT NOT NULL REFERENCES evals (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    data_source TEXT NOT NULL,
    metadata TEXT,
    report_url TEXT NOT NULL,
    result_counts TEXT NOT NULL,
    per_model_usage TEXT NOT NULL DEFAULT '[]',
    per_testing_criteria_results TEXT NOT NULL DEFAULT '[]',
    error TEXT
);
CREATE INDEX eval_runs_eval ON eval_runs (eval_id, seq);

CREATE TABLE eval_run_output_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    run_id TEXT NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
    eval_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    datasource_item_id INTEGER NOT NULL,
    datasource_item TEXT NOT NULL,
    results TEXT NOT NULL,
    sample TEXT NOT NULL
);
CREATE INDEX eval_run_output_items_run ON eval_run_output_items (run_id, status, seq);

-- Fine-tuning jobs. `status` is the control channel between the routes and the worker: cancel and pause
-- change it and the worker checks it between training steps. 'paused' is stored as such and shown as
-- 'queued' (the API's status list has no paused state).
CREATE TABLE fine_tuning_jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    model TEXT NOT NULL,
    training_file TEXT NOT NULL,
    validation_file TEXT,
    status TEXT NOT NULL,
    hyperparameters TEXT NOT NULL,
    method TEXT NOT NULL,
    seed INTEGER NOT NULL,
    suffix TEXT,
    metadata TEXT,
    fine_tuned_model TEXT,
    finished_at INTEGER,
    trained_tokens INTEGER,
    estimated_finish INTEGER,
    error TEXT
);

CREATE TABLE fine_tuning_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL REFERENCES fine_tuning_jobs (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    level TEXT NOT NULL,
    type TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT
);
CREATE INDEX fine_tuning_events_job ON fine_tuning_events (job_id, seq);

-- Checkpoints keep the model as it was at that step, so a checkpoint id works as a model too.
CREATE TABLE fine_tuning_checkpoints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL REFERENCES fine_tuning_jobs (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    fine_tuned_model_checkpoint TEXT NOT NULL UNIQUE,
    step_number INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    model BLOB NOT NULL
);
CREATE INDEX fine_tuning_checkpoints_job ON fine_tuning_checkpoints (job_id, seq);

-- The finished models: the serialized adapter (a few kilobytes), loaded on first use by chat completions.
CREATE TABLE fine_tuned_models (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES fine_tuning_jobs (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    base_model TEXT NOT NULL,
    model BLOB NOT NULL
);

-- Who may use a checkpoint (or a finished fine-tuned model): one row per project.
CREATE TABLE fine_tuning_checkpoint_permissions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    checkpoint TEXT NOT NULL,
    project_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (checkpoint, project_id)
);
