"""Fine-tuning requests as declared models (after the API's `CreateFineTuningJobRequest`,
`FineTuneMethod`, `FineTuneSupervisedHyperparameters` and
`CreateFineTuningCheckpointPermissionRequest`), checked before a handler runs. What stays with the
handlers: whether the model and files exist and suit, the method the local server trains with
(supervised), and that hyperparameters are given in one place only.

Example:
    >>> from jupyter_api_kit.local.core.request_models import read
    >>> read(JobBody, {"model": "local-ngram", "training_file": "file-1",
    ...                "hyperparameters": {"n_epochs": 3}}).hyperparameters.n_epochs
    3
    >>> read(JobBody, {"model": "local-ngram", "training_file": "file-1",
    ...                "hyperparameters": {"batch_size": "big"}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid ... 'hyperparameters.batch_size': ...
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from jupyter_api_kit.local.core.request_models import BodyModel, LenientModel, Metadata, QueryModel

#: at most this many projects in one permission request
MAX_PROJECTS = 100


class Hyperparameters(BodyModel):
    """Each "auto" or a value in the API's range; the learning rate multiplier is also at most 10
    (a local bound: larger ones only make the local model diverge)."""

    n_epochs: Literal["auto"] | Annotated[int, Field(ge=1, le=50)] | None = None
    learning_rate_multiplier: Literal["auto"] | Annotated[float, Field(gt=0, le=10)] | None = None
    batch_size: Literal["auto"] | Annotated[int, Field(ge=1, le=256)] | None = None


class Supervised(BodyModel):
    hyperparameters: Hyperparameters | None = None


class Method(BodyModel):
    """The training method; `dpo` and `reinforcement` are declared and refused by the handler."""

    type: Literal["supervised", "dpo", "reinforcement"]
    supervised: Supervised | None = None
    dpo: LenientModel | None = None
    reinforcement: LenientModel | None = None


class JobBody(BodyModel):
    """`POST /fine_tuning/jobs`."""

    model: str
    training_file: str
    validation_file: str | None = None
    hyperparameters: Hyperparameters | None = None  # deprecated by the API for `method`
    method: Method | None = None
    suffix: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")] | None = None
    seed: Annotated[int, Field(ge=0, le=2147483647)] | None = None
    integrations: list[LenientModel] | None = None
    metadata: Metadata | None = None


class PermissionsBody(BodyModel):
    """`POST /fine_tuning/checkpoints/{name}/permissions` (the API sets no lower bound; an empty
    list grants nothing, so the local server asks for at least one project)."""

    project_ids: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1, max_length=MAX_PROJECTS)]


class PermissionsQuery(QueryModel):
    """`GET /fine_tuning/checkpoints/{name}/permissions`."""

    limit: Annotated[int, Field(ge=1, le=100)] = 10
    order: Literal["ascending", "descending"] = "descending"
    after: str | None = None
    project_id: str | None = None
