"""Helpers of the explorer's protocol tests: a page's message, and an array the server sent."""

from __future__ import annotations

import base64
import json

import numpy as np

from isotopy.web.protocol import parse_message


def msg(**kw):
    """The message ``kw`` as the server reads it from a page (checked like any other)."""
    return parse_message(json.dumps(kw))


def decode(a):
    """An array as the server encodes it (base64 of uint8 or float32, with its shape)."""
    dt = np.uint8 if a["dtype"] == "uint8" else np.float32
    return np.frombuffer(base64.b64decode(a["b64"]), dtype=dt).reshape(a["shape"])
