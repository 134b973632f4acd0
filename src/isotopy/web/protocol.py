"""The explorer's messages from the page, as pydantic models with bounds.

Every WebSocket message from a page is one JSON object with a ``type``; :func:`parse_message`
turns the raw text into one of the models below or raises :class:`~isotopy.errors.InputError`
with one sentence (unknown type, unknown field, wrong type, out-of-bounds value, oversized
text). Nothing a page sends is ever used as a file path: uploads arrive as text and are
parsed in memory; exports are written under names the server makes.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..errors import InputError

__all__ = ["LIMITS", "parse_message", "MESSAGE_TYPES"]

# Bounds on everything a page may ask for. They keep one session's work and memory small
# enough that twenty tabs share two cores, and they are sent to the page for its inputs.
LIMITS = {
    # a message's JSON text, as the page sends it: a CSV of max_csv_chars characters fits
    # even with every character escaped in two ("\\n", "\\r", "\\t", '\\"', "\\\\")
    "max_message_chars": 5_010_000,
    # a message's size on the wire (UTF-8): larger frames are refused by the WebSocket layer
    # itself (the connection is closed), so the page checks this before sending
    "max_message_bytes": 8 * 2**20,
    "max_csv_chars": 2_500_000,
    "max_classes": 10,  # classes of uploaded data: the page colours, names and clicks 10
    "max_points": 5000,  # generated or uploaded; pictures of low-dimensional data need fewer
    "max_width": 16,  # units per hidden layer
    "max_depth": 8,  # hidden layers
    "max_step": 20000,  # steps one "step" message may ask for
    "max_frames": 240,  # frames of an isotopy or replay animation
    "max_total_steps": 500_000,  # training stops (pauses) there
    "max_dim": 8,  # input dimension of generated or uploaded data
    "max_seed": 2**31 - 1,
    "max_export_size": 1000,  # pixels of an exported GIF / MP4 frame
    "max_noise": 0.5,  # the data's noise (std, in data units), as Playground's slider
    "max_reg_rate": 10.0,  # L1 / L2 regularization rate, as Playground's largest
    "min_unit_resolution": 8,  # lattice points per axis of a unit view
    "max_unit_resolution": 64,
}

_Seed = Annotated[int, Field(ge=0, le=LIMITS["max_seed"])]
_Num = Annotated[float, Field(allow_inf_nan=False, ge=-1e4, le=1e4)]


def _test_share(v: float) -> float:
    if 0 < v < 0.1:
        raise ValueError("must be 0 or between 0.1 and 0.9")
    return v


# the share of points held out for testing: none, or 10 to 90 % (Playground's split slider)
_TestShare = Annotated[
    float, Field(ge=0.0, le=0.9, allow_inf_nan=False), AfterValidator(_test_share)
]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)
    id: Annotated[int, Field(ge=0, le=2**53)] | None = None  # echoed in the reply


class SetData(_Msg):
    """Generate a registered dataset."""

    type: Literal["set_data"]
    dataset: Annotated[str, Field(max_length=64)]
    params: Annotated[dict[Annotated[str, Field(max_length=64)], _Num], Field(max_length=16)] = {}
    n: Annotated[int, Field(ge=2, le=LIMITS["max_points"])] | None = None
    seed: _Seed = 0
    test_size: _TestShare = 0.25
    # the data's noise (std, in data units); None: the dataset's default. A dataset without
    # noise refuses it (the library's sentence).
    noise: Annotated[float, Field(ge=0.0, le=LIMITS["max_noise"], allow_inf_nan=False)] | None = (
        None
    )


class UploadCSV(_Msg):
    """Points from CSV text (feature columns then an integer label column)."""

    type: Literal["upload_csv"]
    text: Annotated[str, Field(max_length=LIMITS["max_csv_chars"])]
    seed: _Seed = 0
    test_size: _TestShare = 0.25


class AddPoint(_Msg):
    type: Literal["add_point"]
    x: Annotated[list[_Num], Field(min_length=1, max_length=LIMITS["max_dim"])]
    label: Annotated[int, Field(ge=0, le=LIMITS["max_classes"] - 1)]


class RemovePoint(_Msg):
    """Remove the data point nearest to ``x`` if it lies within ``radius``."""

    type: Literal["remove_point"]
    x: Annotated[list[_Num], Field(min_length=1, max_length=LIMITS["max_dim"])]
    radius: Annotated[float, Field(gt=0, le=1e4)] = 0.05


class SetNetwork(_Msg):
    """Rebuild the network (this resets training)."""

    type: Literal["set_network"]
    hidden: Annotated[
        list[Annotated[int, Field(ge=1, le=LIMITS["max_width"])]],
        Field(max_length=LIMITS["max_depth"]),
    ]
    activation: Annotated[str, Field(max_length=32)] = "tanh"
    seed: _Seed = 0
    # input features as the network's first stage (names of isotopy.nn.FEATURE_NAMES, checked
    # by the library); None: the network reads (x1, x2) itself. 2-D data only.
    features: Annotated[list[Annotated[str, Field(max_length=16)]], Field(max_length=8)] | None = (
        None
    )


class SetTrain(_Msg):
    """Training settings that apply at once, without a reset."""

    type: Literal["set_train"]
    lr: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] | None = None
    batch_size: Annotated[int, Field(ge=0, le=LIMITS["max_points"])] | None = None  # 0: all
    optimizer: Annotated[str, Field(max_length=32)] | None = None
    penalty: Annotated[str, Field(max_length=32)] | None = None
    penalty_weight: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    speed: Annotated[int, Field(ge=1, le=1000)] | None = None  # steps per 10 ms of training
    # Playground's regularization: L1 (rate · Σ|w|) or L2 (rate · Σw²/2) over the weights,
    # added to the penalty above
    regularization: Literal["none", "l1", "l2"] | None = None
    reg_rate: (
        Annotated[float, Field(ge=0, le=LIMITS["max_reg_rate"], allow_inf_nan=False)] | None
    ) = None


class Play(_Msg):
    type: Literal["play"]


class Pause(_Msg):
    type: Literal["pause"]


class Step(_Msg):
    type: Literal["step"]
    steps: Annotated[int, Field(ge=1, le=LIMITS["max_step"])] = 1


class Reset(_Msg):
    """Re-initialise the network's parameters (same architecture, same data)."""

    type: Literal["reset"]
    seed: _Seed | None = None


class View(_Msg):
    """Which representation the stage view shows (index into ``Network.trace``)."""

    type: Literal["view"]
    stage: Annotated[int, Field(ge=0, le=2 * LIMITS["max_depth"] + 2)]


class Show(_Msg):
    """What the views show: the live network, or the run's readable state (recomputed each
    time it is asked for); "final" is the live network."""

    type: Literal["show"]
    state: Literal["live", "readable", "final"]


class Animate(_Msg):
    """Frames of an animation: the isotopy of the whole network, or training replayed."""

    type: Literal["animate"]
    kind: Literal["isotopy", "replay"]
    frames: Annotated[int, Field(ge=2, le=LIMITS["max_frames"])] = 60
    stage: Annotated[int, Field(ge=0, le=2 * LIMITS["max_depth"] + 2)] | None = None


class Diagnostics(_Msg):
    type: Literal["diagnostics"]


class Export(_Msg):
    """Make a file for download: the current animation, the weights or the data."""

    type: Literal["export"]
    what: Literal["gif", "mp4", "weights", "data"]
    kind: Literal["isotopy", "replay"] = "isotopy"
    frames: Annotated[int, Field(ge=2, le=LIMITS["max_frames"])] = 60
    fps: Annotated[int, Field(ge=1, le=60)] = 20
    size: Annotated[int, Field(ge=100, le=LIMITS["max_export_size"])] = 480


class Ping(_Msg):
    type: Literal["ping"]


class UnitViews(_Msg):
    """Every unit's value over the input box (answered at once); with ``live``, again after
    every view update until a request with ``live: false``."""

    type: Literal["unit_views"]
    resolution: Annotated[
        int, Field(ge=LIMITS["min_unit_resolution"], le=LIMITS["max_unit_resolution"])
    ] = 32
    live: bool = False


class SetParam(_Msg):
    """Set one entry of one parameter of the live network (names as in its state dict)."""

    type: Literal["set_param"]
    name: Annotated[str, Field(max_length=64)]
    index: Annotated[list[Annotated[int, Field(ge=0, le=10_000)]], Field(max_length=4)]
    value: _Num


_MODELS = [
    SetData,
    UploadCSV,
    AddPoint,
    RemovePoint,
    SetNetwork,
    SetTrain,
    Play,
    Pause,
    Step,
    Reset,
    View,
    Show,
    Animate,
    Diagnostics,
    Export,
    Ping,
    UnitViews,
    SetParam,
]
MESSAGE_TYPES = [m.model_fields["type"].annotation.__args__[0] for m in _MODELS]
_ADAPTER = TypeAdapter(
    Annotated[
        SetData
        | UploadCSV
        | AddPoint
        | RemovePoint
        | SetNetwork
        | SetTrain
        | Play
        | Pause
        | Step
        | Reset
        | View
        | Show
        | Animate
        | Diagnostics
        | Export
        | Ping
        | UnitViews
        | SetParam,
        Field(discriminator="type"),
    ]
)


def parse_message(text: str | bytes):
    """Validate one message from a page; any problem raises InputError with one sentence."""
    if isinstance(text, bytes):
        raise InputError("messages must be JSON text, not binary")
    if len(text) > LIMITS["max_message_chars"]:
        raise InputError(
            f"message too large: {len(text)} characters, the limit is {LIMITS['max_message_chars']}"
        )
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise InputError("message is not valid JSON") from None
    if not isinstance(obj, dict):
        raise InputError("a message must be a JSON object with a 'type'")
    kind = obj.get("type")
    if kind not in MESSAGE_TYPES:
        raise InputError(
            f"unknown message type {str(kind)[:40]!r}; choose one of: {', '.join(MESSAGE_TYPES)}"
        )
    try:
        return _ADAPTER.validate_python(obj)
    except ValidationError as e:
        raise InputError(_sentence(kind, e.errors()[0])) from None


# what each field is called in sentences shown on the page
_FIELD_NAMES = {
    "hidden": "each hidden layer's width",
    "lr": "the learning rate",
    "batch_size": "the batch size",
    "penalty_weight": "the penalty weight",
    "speed": "the speed",
    "steps": "the number of steps",
    "n": "the number of points",
    "seed": "the seed",
    "test_size": "the test fraction",
    "frames": "the number of frames",
    "fps": "frames per second",
    "size": "the video size",
    "stage": "the stage",
    "x": "a point's coordinates",
    "label": "the class",
    "radius": "the radius",
    "params": "the dataset parameters",
    "text": "the CSV text",
    "dataset": "the dataset name",
    "activation": "the activation",
    "optimizer": "the optimizer",
    "penalty": "the penalty",
    "what": "what to export",
    "kind": "the animation kind",
    "id": "the request id",
    "state": "the state the views show",
    "noise": "the noise",
    "features": "the input features",
    "regularization": "the regularization",
    "reg_rate": "the regularization rate",
    "resolution": "the unit views' resolution",
    "live": "'live'",
    "name": "the parameter's name",
    "index": "the parameter's index",
    "value": "the new value",
}


def _num(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _sentence(kind: str, err: dict) -> str:
    """One pydantic error as a plain sentence ("the learning rate must be more than 0")."""
    loc = [p for p in err["loc"][1:]]
    field = str(loc[0]) if loc else ""
    if kind == "set_network" and field == "hidden" and len(loc) == 1:
        what = "the hidden widths"
    else:
        what = _FIELD_NAMES.get(field, f"field {field!r}" if field else "the message")
    ctx = err.get("ctx") or {}
    t = err["type"]
    got = err.get("input")
    shown = (
        f", got {str(got)[:40]}"
        if isinstance(got, (int, float, str)) and not isinstance(got, bool)
        else ""
    )
    if t == "extra_forbidden":
        return f"a {kind!r} message has no field {field!r}"
    if t == "missing":
        return f"a {kind!r} message needs {what}"
    if t in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }[t]
        bound = next(iter(ctx.values())) if ctx else "?"
        return f"{what} must be {word} {_num(bound)}{shown}"
    if t in ("int_parsing", "int_from_float", "int_type"):
        return f"{what} must be a whole number{shown}"
    if t in ("float_parsing", "float_type"):
        return f"{what} must be a number{shown}"
    if t == "finite_number":
        return f"{what} must be a finite number"
    if t in ("too_long", "too_short"):
        word = "at most" if t == "too_long" else "at least"
        n = ctx.get("max_length", ctx.get("min_length"))
        unit = "characters" if t.startswith("too") and isinstance(got, str) else "entries"
        return (
            f"{what} may have {word} {n} {unit}"
            if t == "too_long"
            else (f"{what} needs {word} {n} {unit}")
        )
    if t in ("string_too_long", "string_too_short"):
        n = ctx.get("max_length", ctx.get("min_length"))
        return (
            f"{what} must have {'at most' if t == 'string_too_long' else 'at least'} {n} characters"
        )
    if t == "literal_error":
        return f"{what} must be one of: {ctx.get('expected', '?').replace(' or ', ', ')}{shown}"
    if t == "list_type":
        return f"{what} must be a list"
    if t in ("string_type", "dict_type", "bool_type"):
        return f"{what} must be a {t.split('_')[0].replace('dict', 'JSON object')}"
    if t == "bool_parsing":
        return f"{what} must be true or false{shown}"
    if t == "value_error":  # the message of a validator above ("must be 0 or between ...")
        return f"{what} {ctx.get('error', err['msg'])}{shown}"
    return f"{what} is not valid here ({err['msg'].lower()})"
