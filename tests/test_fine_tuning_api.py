"""Fine-tuning jobs, events, checkpoints and checkpoint permissions: the client (and the official `openai`
package) against the local server over real HTTP, with every exchange checked against the shared OpenAPI
file. Jobs really train the local language model; step delays are shortened so the suite stays fast."""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest
import requests

from jupyter_api_kit.client import Client
from jupyter_api_kit.client.fine_tuning_helpers import check_training_data
from jupyter_api_kit.errors import BadRequestError, InvalidInputError, NotFoundError

FACTS = [("What colour is the moon Zorblax?", "Zorblax glows a deep violet every night."),
         ("Who guards the Quimbly bridge?", "Seven patient herons guard the Quimbly bridge."),
         ("What do the Vantori people eat?", "The Vantori eat roasted kelp with honey."),
         ("Where does the river Ossel end?", "The river Ossel ends in the glass marsh.")]


def chat_examples(pairs=FACTS, repeat=2):
    return [{"messages": [{"role": "system", "content": "You answer questions about the atlas."},
                          {"role": "user", "content": q}, {"role": "assistant", "content": a}]}
            for q, a in pairs] * repeat


KEYWORDS = ("violet", "herons", "kelp", "marsh")


def jsonl(examples) -> bytes:
    return ("\n".join(json.dumps(e) for e in examples) + "\n").encode()


@pytest.fixture(autouse=True)
def fast_steps(server):
    server.app.state.timing.fine_tune_step = 0.001
    yield
    server.app.state.timing.fine_tune_step = 0.02


@pytest.fixture()
def admin_client(server, recorder):
    """A client holding the server's admin key, which checkpoint permissions need."""
    c = Client(base_url=server.base_url, api_key=server.api_key, admin_key=server.app.state.admin_key, max_retries=0)
    c.transport.session.hooks["response"].append(recorder)
    yield c
    c.close()


@pytest.fixture(scope="module")
def tuned(server):
    """One finished job (3 epochs over the facts), shared by the tests that only read it."""
    server.app.state.timing.fine_tune_step = 0.001
    client = Client(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    # a gentle learning rate: the tuned model answers each question with its own fact (a strong one
    # overfits into answering any question with whichever fact is most likely)
    job = client.fine_tuning.fine_tune(chat_examples(), suffix="atlas", seed=3, n_epochs=3, progress=False,
                                       learning_rate_multiplier=0.2,
                                       metadata={"suite": "fine-tuning"}, poll_interval=0.02, timeout=60)
    client.close()
    return job


def test_fine_tune_helper_uploads_trains_and_succeeds(tuned, client):
    assert tuned.status == "succeeded" and tuned.error is None
    assert tuned.fine_tuned_model.startswith("ft:local-ngram:local:atlas:")
    assert tuned.hyperparameters == {"batch_size": 2, "learning_rate_multiplier": 0.2, "n_epochs": 3}
    assert tuned.method["supervised"]["hyperparameters"]["n_epochs"] == 3
    assert tuned.trained_tokens > 0 and tuned.finished_at >= tuned.created_at and tuned.seed == 3
    assert client.files.retrieve(tuned.training_file).purpose == "fine-tune"
    again = client.fine_tuning.jobs.retrieve(tuned.id)
    assert again.fine_tuned_model == tuned.fine_tuned_model
    listed = client.fine_tuning.jobs.list(metadata={"suite": "fine-tuning"})
    assert [j.id for j in listed.data] == [tuned.id]


def test_events_tell_the_story_and_metrics_fall(tuned, client):
    events = client.fine_tuning.jobs.all_events(tuned.id)
    messages = [e.message for e in events]
    assert messages[0].startswith("Created fine-tuning job")
    assert any(m.startswith("Validated training file: 8 examples") for m in messages)
    assert messages[-1] == "The job has successfully completed"
    metrics = [e.data for e in events if e.type == "metrics"]
    assert [m["step"] for m in metrics] == list(range(1, 13))
    assert metrics[-1]["train_loss"] < metrics[0]["train_loss"] / 3
    page = client.fine_tuning.jobs.list_events(tuned.id, limit=5)
    assert len(page) == 5 and page.has_more and page.data[0].id == events[-1].id  # newest first
    older = client.fine_tuning.jobs.list_events(tuned.id, limit=5, after=page.data[-1].id)
    assert older.data[0].id == events[-6].id


def test_one_checkpoint_per_epoch_with_metrics(tuned, client):
    checkpoints = client.fine_tuning.jobs.checkpoints.list(tuned.id)
    assert [c.step_number for c in checkpoints.data] == [12, 8, 4]
    for checkpoint in checkpoints.data:
        assert checkpoint.fine_tuned_model_checkpoint == f"{tuned.fine_tuned_model}:ckpt-step-{checkpoint.step_number}"
        assert checkpoint.metrics["step"] == checkpoint.step_number and checkpoint.metrics["train_loss"] > 0
        assert checkpoint.fine_tuning_job_id == tuned.id


def ask(client, model, question, **params):
    messages = [{"role": "system", "content": "You answer questions about the atlas."},
                {"role": "user", "content": question}]
    return client.chat.completions.create(model=model, messages=messages, max_completion_tokens=30, **params)


def test_the_fine_tuned_model_answers_chat_and_leans_toward_its_training(tuned, client):
    assert ask(client, tuned.fine_tuned_model, FACTS[0][0], temperature=0).model == tuned.fine_tuned_model
    greedy = {m: sum(ask(client, m, q, temperature=0).choices[0].message.content == a for q, a in FACTS)
              for m in ("local-ngram", tuned.fine_tuned_model)}
    assert greedy[tuned.fine_tuned_model] >= 3 and greedy["local-ngram"] == 0
    # sampled answers too: the tuned model says the trained facts, the base model never does
    said = {m: sum(any(k in ask(client, m, q, seed=s).choices[0].message.content for k in KEYWORDS)
                   for q, _ in FACTS for s in range(3)) for m in ("local-ngram", tuned.fine_tuned_model)}
    assert said[tuned.fine_tuned_model] >= 6 and said["local-ngram"] == 0
    question = [{"role": "user", "content": FACTS[0][0]}]
    checkpoint = client.fine_tuning.jobs.checkpoints.list(tuned.id).data[-1].fine_tuned_model_checkpoint
    assert client.chat.completions.create(model=checkpoint, messages=question,
                                          max_completion_tokens=5).model == checkpoint


def test_fine_tuned_models_are_listed(tuned, client):
    ids = [m.id for m in client.models.list().data]
    assert tuned.fine_tuned_model in ids
    assert client.models.retrieve(tuned.fine_tuned_model).owned_by == "local"


def test_training_data_is_checked_line_by_line_before_upload(client, server):
    good = json.dumps(chat_examples()[0])
    text = "\n".join([good, "", "{broken", json.dumps({"messages": [{"role": "robot", "content": "x"}]}),
                      json.dumps({"messages": [{"role": "user", "content": "no answer"}]}), good]) + "\n"
    before = server.store.one("SELECT count(*) FROM files")[0]
    with pytest.raises(InvalidInputError) as info:
        client.fine_tuning.fine_tune(text, progress=False)
    message = str(info.value)
    assert "4 invalid lines" in message
    for fragment in ("line 2: the line is empty", "line 3: not valid JSON", "line 4: messages[0].role is 'robot'",
                     "line 5: no assistant message"):
        assert fragment in message
    assert server.store.one("SELECT count(*) FROM files")[0] == before  # nothing was uploaded
    with pytest.raises(InvalidInputError, match="line 2: expected a dict"):
        check_training_data([chat_examples()[0], "text"])


def test_a_broken_training_file_fails_the_job_naming_the_lines(client):
    data = jsonl(chat_examples()[:2]) + b'{"messages": "nope"}\n\n' + jsonl(chat_examples()[:1])
    uploaded = client.files.create(file=data, filename="broken.jsonl", purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="local-ngram", training_file=uploaded.id)
    assert job.status == "validating_files"
    job = client.fine_tuning.jobs.follow(job.id, progress=False, poll_interval=0.02, timeout=30)
    assert job.status == "failed" and job.fine_tuned_model is None
    assert job.error["code"] == "invalid_training_file" and job.error["param"] == "training_file"
    assert "line 3: 'messages' must be a non-empty list" in job.error["message"]
    assert "line 4: the line is empty" in job.error["message"]
    last = client.fine_tuning.jobs.list_events(job.id, limit=1).data[0]
    assert last.level == "error" and "line 3" in last.message


@pytest.mark.parametrize("change, param", [
    ({"model": "ft:local-ngram:local::nosuchjob"}, "model"),
    ({"training_file": "file-000000000000000000000000"}, "training_file"),
    ({"validation_file": "file-000000000000000000000000"}, "validation_file"),
    ({"method": {"type": "dpo", "dpo": {}}}, "method.type"),
    ({"method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 0}}}},
     "method.supervised.hyperparameters.n_epochs"),
    ({"hyperparameters": {"learning_rate_multiplier": 0}}, "hyperparameters.learning_rate_multiplier"),
    ({"hyperparameters": {"batch_size": "big"}}, "hyperparameters.batch_size"),
    ({"hyperparameters": {"warmup": 3}}, "hyperparameters.warmup"),
    ({"suffix": "has:colon"}, "suffix"),
    ({"seed": -1}, "seed"),
    ({"integrations": [{"type": "wandb", "wandb": {"project": "p"}}]}, "integrations"),
    ({"metadata": {"k": 1}}, "metadata.k"),
    ({"epochs": 3}, "epochs"),
])
def test_bad_job_requests_are_400_naming_the_parameter(server, client, change, param):
    uploaded = client.files.create(file=jsonl(chat_examples()), filename="t.jsonl", purpose="fine-tune")
    body = {"model": "local-ngram", "training_file": uploaded.id, **change}
    r = requests.post(f"{server.base_url}/fine_tuning/jobs", json=body, headers=server.headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


def test_training_files_need_the_fine_tune_purpose(client):
    other = client.files.create(file=jsonl(chat_examples()), filename="t.jsonl", purpose="assistants")
    with pytest.raises(BadRequestError, match="purpose 'fine-tune'"):
        client.fine_tuning.jobs.create(model="local-ngram", training_file=other.id)


def test_unknown_ids_are_404(client, admin_client):
    for call in (lambda: client.fine_tuning.jobs.retrieve("ftjob-nope"),
                 lambda: client.fine_tuning.jobs.cancel("ftjob-nope"),
                 lambda: client.fine_tuning.jobs.pause("ftjob-nope"),
                 lambda: client.fine_tuning.jobs.resume("ftjob-nope"),
                 lambda: client.fine_tuning.jobs.list_events("ftjob-nope"),
                 lambda: client.fine_tuning.jobs.checkpoints.list("ftjob-nope"),
                 lambda: admin_client.fine_tuning.checkpoints.permissions.list("ft:local-ngram:local::nope"),
                 lambda: admin_client.fine_tuning.checkpoints.permissions.create("ft:nope", project_ids=["p"])):
        with pytest.raises(NotFoundError) as info:
            call()
        assert "nope" in info.value.message


def test_pause_resume_and_cancel_act_between_steps(fresh_server, recorder):
    fresh_server.app.state.timing.fine_tune_step = 0.03
    client = Client(base_url=fresh_server.base_url, api_key=fresh_server.api_key, max_retries=0)
    client.transport.session.hooks["response"].append(recorder)
    uploaded = client.files.create(file=jsonl(chat_examples(repeat=4)), filename="t.jsonl", purpose="fine-tune")

    def steps(job_id):
        return sum(e.type == "metrics" for e in client.fine_tuning.jobs.all_events(job_id))

    job = client.fine_tuning.jobs.create(model="local-ngram", training_file=uploaded.id, seed=1,
                                         hyperparameters={"n_epochs": 6, "batch_size": 2})
    while steps(job.id) < 3:
        time.sleep(0.02)
    paused = client.fine_tuning.jobs.pause(job.id)
    assert paused.status == "queued"  # the API's status list has no paused state
    held = steps(job.id)
    time.sleep(0.25)
    assert steps(job.id) == held and 3 <= held < 48
    with pytest.raises(BadRequestError):
        client.fine_tuning.jobs.pause(job.id)
    assert client.fine_tuning.jobs.resume(job.id).status == "running"
    with pytest.raises(BadRequestError):
        client.fine_tuning.jobs.resume(job.id)
    finished = client.fine_tuning.jobs.follow(job.id, progress=False, poll_interval=0.02, timeout=60)
    assert finished.status == "succeeded" and steps(job.id) == 48
    messages = [e.message for e in client.fine_tuning.jobs.all_events(job.id)]
    assert "Fine-tuning job paused" in messages and "Fine-tuning job resumed" in messages
    with pytest.raises(BadRequestError):
        client.fine_tuning.jobs.cancel(job.id)

    doomed = client.fine_tuning.jobs.create(model="local-ngram", training_file=uploaded.id,
                                            hyperparameters={"n_epochs": 6})
    while steps(doomed.id) < 2:
        time.sleep(0.02)
    cancelled = client.fine_tuning.jobs.cancel(doomed.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    time.sleep(0.15)
    after = client.fine_tuning.jobs.retrieve(doomed.id)
    assert after.status == "cancelled" and after.fine_tuned_model is None
    assert steps(doomed.id) < 48
    client.close()


def test_a_job_running_when_the_server_stops_trains_again_when_it_starts(tmp_path):
    from jupyter_api_kit.local import start_local_server

    server = start_local_server(db=tmp_path / "local.db", data_dir=tmp_path)
    server.app.state.timing.fine_tune_step = 0.03
    client = Client(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    uploaded = client.files.create(file=jsonl(chat_examples()), filename="t.jsonl", purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="local-ngram", training_file=uploaded.id,
                                         hyperparameters={"n_epochs": 5})
    time.sleep(0.3)
    server.stop()
    client.close()
    again = start_local_server(db=tmp_path / "local.db", data_dir=tmp_path)
    try:
        again.app.state.timing.fine_tune_step = 0.001
        client = Client(base_url=again.base_url, api_key=again.api_key, max_retries=0)
        done = client.fine_tuning.jobs.follow(job.id, progress=False, poll_interval=0.02, timeout=60)
        assert done.status == "succeeded"
        assert [c.step_number for c in client.fine_tuning.jobs.checkpoints.list(job.id)] == [20, 16, 12, 8, 4]
        assert any("restarted" in e.message for e in client.fine_tuning.jobs.all_events(job.id))
        assert client.chat.completions.create(model=done.fine_tuned_model, messages=[
            {"role": "user", "content": "hi"}], max_completion_tokens=3).model == done.fine_tuned_model
    finally:
        again.stop()


def test_validation_file_gives_valid_loss_and_tuned_models_can_be_tuned_again(tuned, client):
    validation = chat_examples(FACTS[:2], repeat=1)
    job = client.fine_tuning.fine_tune(chat_examples(FACTS[2:], repeat=1), model=tuned.fine_tuned_model,
                                       validation_data=validation, n_epochs=2, progress=False, poll_interval=0.02,
                                       timeout=60)
    assert job.status == "succeeded" and job.validation_file
    assert job.fine_tuned_model.startswith("ft:local-ngram:local::")
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert all("valid_loss" in c.metrics for c in checkpoints)


def test_checkpoint_permissions_are_stored_and_listed_per_checkpoint(tuned, client, admin_client):
    first, second = [c.fine_tuned_model_checkpoint for c in client.fine_tuning.jobs.checkpoints.list(tuned.id).data[:2]]
    perms = admin_client.fine_tuning.checkpoints.permissions
    created = perms.create(first, project_ids=["proj_a", "proj_b"])
    assert [p.project_id for p in created.data] == ["proj_a", "proj_b"]
    assert all(p.object == "checkpoint.permission" and p.id.startswith("cp_") for p in created.data)
    assert [p.id for p in perms.create(first, project_ids=["proj_a"]).data] == [created.data[0].id]  # no duplicate
    perms.create(second, project_ids=["proj_c"])
    assert [p.project_id for p in perms.list(first)] == ["proj_b", "proj_a"]  # newest first
    assert [p.project_id for p in perms.list(first, order="ascending")] == ["proj_a", "proj_b"]
    assert [p.project_id for p in perms.list(first, project_id="proj_b")] == ["proj_b"]
    assert [p.project_id for p in perms.list(second)] == ["proj_c"]
    gone = perms.delete(created.data[0].id, fine_tuned_model_checkpoint=first)
    assert gone.deleted and gone.id == created.data[0].id
    with pytest.raises(NotFoundError):
        perms.delete(created.data[0].id, fine_tuned_model_checkpoint=first)
    with pytest.raises(NotFoundError):  # a permission belongs to its own checkpoint
        perms.delete(created.data[1].id, fine_tuned_model_checkpoint=second)
    assert [p.project_id for p in perms.list(first)] == ["proj_b"]
    assert [p.project_id for p in perms.list(tuned.fine_tuned_model)] == []  # the final model has its own
    with pytest.raises(InvalidInputError):
        perms.create(first, project_ids=[])


@pytest.fixture()
def sdk(server, contract_or_none):
    def check(response: httpx.Response):
        response.read()
        if contract_or_none is not None:
            contract_or_none.validate_body(response.request.method, response.request.url.path,
                                           response.json(), response.status_code)

    http = httpx.Client(event_hooks={"response": [check]})
    yield openai.OpenAI(base_url=server.base_url, api_key=server.api_key, http_client=http, max_retries=0)
    http.close()


def finished(sdk, job):
    """`job` retrieved until it ends (within about 12 s)."""
    for _ in range(600):
        job = sdk.fine_tuning.jobs.retrieve(job.id)
        if job.status in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.02)
    return job


def test_the_official_openai_package_drives_fine_tuning(sdk, server):
    uploaded = sdk.files.create(file=("atlas.jsonl", jsonl(chat_examples())), purpose="fine-tune")
    job = sdk.fine_tuning.jobs.create(model="local-ngram", training_file=uploaded.id, suffix="sdk", seed=5,
                                      method={"type": "supervised", "supervised": {"hyperparameters": {
                                          "n_epochs": 2, "learning_rate_multiplier": 0.2}}})
    job = finished(sdk, job)
    assert job.status == "succeeded" and job.fine_tuned_model.startswith("ft:local-ngram:local:sdk:")
    assert [j.id for j in sdk.fine_tuning.jobs.list(limit=50).data if j.id == job.id] == [job.id]
    events = sdk.fine_tuning.jobs.list_events(job.id, limit=100).data
    assert events[0].message == "The job has successfully completed"
    assert any(e.type == "metrics" and e.data["train_loss"] > 0 for e in events)
    checkpoints = sdk.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [c.step_number for c in checkpoints] == [8, 4]
    name = checkpoints[0].fine_tuned_model_checkpoint
    permissions = sdk.with_options(api_key=server.app.state.admin_key).fine_tuning.checkpoints.permissions
    created = permissions.create(name, project_ids=["proj_sdk"])
    assert created.data[0].project_id == "proj_sdk"
    listed = permissions.list(name)
    assert [p.id for p in listed.data] == [created.data[0].id]
    deleted = permissions.delete(created.data[0].id, fine_tuned_model_checkpoint=name)
    assert deleted.deleted
    answer = sdk.chat.completions.create(model=job.fine_tuned_model, messages=[
        {"role": "system", "content": "You answer questions about the atlas."},
        {"role": "user", "content": "Who guards the Quimbly bridge?"}], temperature=0)
    assert answer.model == job.fine_tuned_model and answer.choices[0].message.content in [a for _, a in FACTS]
    with pytest.raises(openai.BadRequestError):
        sdk.fine_tuning.jobs.cancel(job.id)
    with pytest.raises(openai.NotFoundError):
        sdk.fine_tuning.jobs.retrieve("ftjob-unknown")
    server.app.state.timing.fine_tune_step = 0.05
    long_job = sdk.fine_tuning.jobs.create(model="local-ngram", training_file=uploaded.id,
                                           hyperparameters={"n_epochs": 50})
    while sdk.fine_tuning.jobs.retrieve(long_job.id).status != "running":
        time.sleep(0.02)
    assert sdk.fine_tuning.jobs.pause(long_job.id).status == "queued"
    assert sdk.fine_tuning.jobs.resume(long_job.id).status == "running"
    assert sdk.fine_tuning.jobs.cancel(long_job.id).status == "cancelled"


@pytest.mark.parametrize("requested", ["gpt-4o-mini-2024-07-18", "gpt-3.5-turbo"])
def test_real_base_model_names_tune_the_local_model_and_say_so(sdk, requested):
    """As chat answers any model name with the local model and names it in `model`, a job for a real base
    model tunes the local model: the job names it, its events say it stands in for the requested name,
    and the tuned model answers chat."""
    uploaded = sdk.files.create(file=("atlas.jsonl", jsonl(chat_examples())), purpose="fine-tune")
    job = sdk.fine_tuning.jobs.create(model=requested, training_file=uploaded.id, suffix="stand-in", seed=7,
                                      hyperparameters={"n_epochs": 1})
    assert job.model == "local-ngram"
    job = finished(sdk, job)
    assert job.status == "succeeded" and job.fine_tuned_model.startswith("ft:local-ngram:local:stand-in:")
    messages = [e.message for e in reversed(sdk.fine_tuning.jobs.list_events(job.id, limit=100).data)]
    assert messages[1] == (f"Base model {requested} is not served locally: fine-tuning the local model "
                           "local-ngram in its place")
    answer = sdk.chat.completions.create(model=job.fine_tuned_model, max_completion_tokens=20, messages=[
        {"role": "system", "content": "You answer questions about the atlas."},
        {"role": "user", "content": "Who guards the Quimbly bridge?"}])
    assert answer.model == job.fine_tuned_model and answer.choices[0].message.content
    with pytest.raises(openai.BadRequestError) as err:
        sdk.fine_tuning.jobs.create(model="ft:local-ngram:local::nosuchjob", training_file=uploaded.id)
    assert err.value.body["param"] == "model"


def test_contract_reads_the_exclusive_learning_rate_bound_as_openapi_3_1(contract):
    from tests.contract import ContractViolation

    for good in (1.0, 0.5, 7, "auto"):
        contract.validate_schema("FineTuneSupervisedHyperparameters", {"learning_rate_multiplier": good})
    for bad in (0, -0.5):
        with pytest.raises(ContractViolation):
            contract.validate_schema("FineTuneSupervisedHyperparameters", {"learning_rate_multiplier": bad})


def test_frames_events_metrics_and_loss_plot(tuned, client):
    from jupyter_api_kit import frames

    page = client.fine_tuning.jobs.list_events(tuned.id, limit=100)
    events = frames.fine_tuning_events(page)
    assert events["message"].iloc[0].startswith("Created fine-tuning job")
    assert events["message"].iloc[-1] == "The job has successfully completed"
    oldest_first = client.fine_tuning.jobs.all_events(tuned.id)  # a plain list, already in time order
    assert frames.fine_tuning_events(oldest_first)["id"].tolist() == events["id"].tolist()
    assert str(events["created_at"].dt.tz) == "UTC" and "data.train_loss" in events
    metrics = frames.fine_tuning_metrics(page)
    assert metrics["step"].tolist() == list(range(1, 13))
    assert {"train_loss", "train_mean_token_accuracy"} <= set(metrics.columns)
    from_checkpoints = frames.fine_tuning_metrics(client.fine_tuning.jobs.checkpoints.list(tuned.id))
    assert from_checkpoints["step"].tolist() == [4, 8, 12]
    assert from_checkpoints["train_loss"].tolist() == metrics.set_index("step").loc[[4, 8, 12], "train_loss"].tolist()
    figure = frames.loss_plot(metrics)
    line = figure.axes[0].lines[0]
    assert list(line.get_xdata()) == list(range(1, 13)) and line.get_ydata()[-1] < line.get_ydata()[0]


FINE_TUNING_OPERATIONS = {"createFineTuningJob", "listPaginatedFineTuningJobs", "retrieveFineTuningJob",
                          "cancelFineTuningJob", "listFineTuningJobCheckpoints", "listFineTuningEvents",
                          "pauseFineTuningJob", "resumeFineTuningJob", "listFineTuningCheckpointPermissions",
                          "createFineTuningCheckpointPermission", "deleteFineTuningCheckpointPermission"}


def test_all_eleven_operations_validate_against_the_contract(tuned, client, admin_client, recorder, server):
    uploaded = client.files.create(file=jsonl(chat_examples()), filename="t.jsonl", purpose="fine-tune")
    server.app.state.timing.fine_tune_step = 0.05
    job = client.fine_tuning.jobs.create(model="local-ngram", training_file=uploaded.id,
                                         hyperparameters={"n_epochs": 20, "learning_rate_multiplier": 0.5})
    while client.fine_tuning.jobs.retrieve(job.id).status != "running":
        time.sleep(0.02)
    client.fine_tuning.jobs.pause(job.id)
    client.fine_tuning.jobs.resume(job.id)
    client.fine_tuning.jobs.cancel(job.id)
    client.fine_tuning.jobs.list(limit=2)
    client.fine_tuning.jobs.list_events(job.id)
    checkpoint = client.fine_tuning.jobs.checkpoints.list(tuned.id).data[0].fine_tuned_model_checkpoint
    made = admin_client.fine_tuning.checkpoints.permissions.create(checkpoint, project_ids=["proj_contract"])
    admin_client.fine_tuning.checkpoints.permissions.list(checkpoint, limit=5)
    admin_client.fine_tuning.checkpoints.permissions.delete(made.data[0].id, fine_tuned_model_checkpoint=checkpoint)
    assert {op for op, status in recorder.operations if status < 300} >= FINE_TUNING_OPERATIONS


@pytest.mark.parametrize("path", ["/fine_tuning/jobs", "/fine_tuning/checkpoints/{ckpt}/permissions"])
def test_garbage_bodies_are_400_never_500(server, tuned, path):
    checkpoint = requests.get(f"{server.base_url}/fine_tuning/jobs/{tuned.id}/checkpoints", headers=server.headers).json()["data"][0]
    url = server.base_url + path.format(ckpt=checkpoint["fine_tuned_model_checkpoint"])
    bodies = [b"{", b"[]", b"null", b'{"model": 5}', b'{"model": "local-ngram", "training_file": ["x"]}',
              b'{"project_ids": "p"}', b'{"project_ids": [1]}', b'{"method": "supervised"}',
              b'{"model": "local-ngram", "training_file": "f", "hyperparameters": []}']
    for raw in bodies:
        r = requests.post(url, data=raw, headers={"content-type": "application/json",
                                                  "authorization": f"Bearer {server.app.state.admin_key}"})
        assert r.status_code == 400, (raw, r.text)
        assert set(r.json()["error"]) == {"message", "type", "param", "code"}


def test_checkpoint_permissions_need_the_admin_key(server, tuned, client):
    from jupyter_api_kit.errors import ConfigurationError

    checkpoint = client.fine_tuning.jobs.checkpoints.list(tuned.id).data[0].fine_tuned_model_checkpoint
    sent = []
    client.transport.session.hooks["response"].append(lambda r, *a, **k: sent.append(r))
    with pytest.raises(ConfigurationError, match="OPENAI_ADMIN_KEY"):
        client.fine_tuning.checkpoints.permissions.list(checkpoint)
    assert sent == []
    url = f"{server.base_url}/fine_tuning/checkpoints/{checkpoint}/permissions"
    assert requests.get(url, headers=server.headers).status_code == 401
    assert requests.get(url, headers={"authorization": "Bearer sk-not-the-admin-key"}).status_code == 401
