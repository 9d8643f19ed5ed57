"""Training data in, fine-tuned model out: check a chat-format JSONL dataset before anything is sent
(every problem names its line), upload it, start a job and follow it with a progress bar.

Example:
    >>> examples = [{"messages": [{"role": "user", "content": "Capital of Peru?"},
    ...                           {"role": "assistant", "content": "Lima."}]}]
    >>> len(check_training_data(examples))
    1
    >>> check_training_data('{"messages": []}\\n')
    Traceback (most recent call last):
    ...
    jupyter_api_kit.errors.InvalidInputError: training data has 1 invalid line: line 1: 'messages' must be a non-empty list
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from jupyter_api_kit.errors import InvalidInputError
from jupyter_api_kit.spec.training_format import check_lines, summarize


def _jsonl_text(data) -> tuple[str, str]:
    """(JSONL text, filename) of a path, JSONL text/bytes, or a list of example dicts."""
    # a string is JSONL text when it starts like a JSON object, else a path
    if isinstance(data, os.PathLike) or (isinstance(data, str) and not data.lstrip().startswith("{")):
        path = Path(data).expanduser()
        if not path.is_file():
            raise InvalidInputError(f"no training file at {str(path)!r}", param="training_file")
        return path.read_text(encoding="utf-8"), path.name
    if isinstance(data, (bytes, bytearray)):
        try:
            return bytes(data).decode("utf-8"), "training.jsonl"
        except UnicodeDecodeError:
            raise InvalidInputError("training data must be UTF-8 text", param="training_file") from None
    if isinstance(data, str):
        return data, "training.jsonl"
    if isinstance(data, (list, tuple)):
        lines = []
        for i, example in enumerate(data):
            if not isinstance(example, Mapping):
                raise InvalidInputError(f"training data has 1 invalid line: line {i + 1}: expected a dict, got "
                                        f"{type(example).__name__}", param="training_file")
            lines.append(json.dumps(example, ensure_ascii=False))
        return "\n".join(lines) + "\n", "training.jsonl"
    raise InvalidInputError("training data must be a .jsonl path, JSONL text or bytes, or a list of example dicts",
                            param="training_file")


def check_training_data(data, label: str = "training data") -> list[dict]:
    """The examples of a dataset (path, JSONL text/bytes or list of dicts), or InvalidInputError
    naming every bad line (chat format: roles, content, an assistant answer; empty lines).

    Example:
        >>> check_training_data([{"prompt": "2+2=", "completion": "4"}])
        [{'prompt': '2+2=', 'completion': '4'}]
    """
    text, _ = _jsonl_text(data)
    examples, problems = check_lines(text)
    if problems:
        raise InvalidInputError(f"{label} has {summarize(problems)}", param="training_file")
    return examples


def upload_training_data(client, data, label: str = "training data") -> str:
    """Check and upload a dataset with purpose `fine-tune`; returns the file id."""
    text, name = _jsonl_text(data)
    examples, problems = check_lines(text)
    if problems:
        raise InvalidInputError(f"{label} has {summarize(problems)}", param="training_file")
    return client.files.create(file=text.encode("utf-8"), filename=name, purpose="fine-tune").id


def fine_tune(client, training_data, *, model: str = "local-ngram", validation_data=None, n_epochs="auto",
              learning_rate_multiplier="auto", batch_size="auto", suffix: str | None = None, seed: int | None = None,
              metadata: dict | None = None, follow: bool = True, progress: bool = True,
              poll_interval: float = 0.2, timeout: float | None = None):
    """Check, upload, start a supervised job and (with `follow`) watch it to the end; returns the job.

    Nothing is uploaded when a line is bad: the error names every bad line (up to ten).

    Example:
        >>> faq = '{"messages": [{"role": "user", "content": "Opening hours?"}, {"role": "assistant", "content": "9 to 5."}]}\\n'
        >>> job = fine_tune(client, faq, suffix="faq", n_epochs=3, progress=False)   # or a .jsonl path
        >>> answer = client.chat.completions.create(model=job.fine_tuned_model,
        ...                                         messages=[{"role": "user", "content": "Opening hours?"}])
        >>> answer.model == job.fine_tuned_model
        True
    """
    check_training_data(training_data)
    if validation_data is not None:
        check_training_data(validation_data, "validation data")
    training_file = upload_training_data(client, training_data)
    validation_file = (upload_training_data(client, validation_data, "validation data")
                       if validation_data is not None else None)
    hyperparameters = {"n_epochs": n_epochs, "learning_rate_multiplier": learning_rate_multiplier,
                       "batch_size": batch_size}
    job = client.fine_tuning.jobs.create(
        model=model, training_file=training_file, validation_file=validation_file, suffix=suffix, seed=seed,
        metadata=metadata, method={"type": "supervised", "supervised": {"hyperparameters": hyperparameters}})
    if not follow:
        return job
    return client.fine_tuning.jobs.follow(job.id, progress=progress, poll_interval=poll_interval, timeout=timeout)
