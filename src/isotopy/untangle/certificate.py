"""The certificate: a folder from which anyone can re-check that a link is split.

``isotopy untangle ... --out DIR`` writes, whole or not at all (:class:`isotopy.files.atomic_dir`):

=======================  ================================================================
``network.json``         the network's structure (:mod:`.verify` defines the format)
``network.safetensors``  its weights, float64 (``stage{k}.weight``, ``stage{k}.bias``,
                         ``readout.weight``, ``readout.bias``)
``link.json``            the curves (:class:`~.link.Link` as JSON)
``verification.json``    the verification log: the verifier's result, the search that found
                         the network, the rounding constants
``untangle.gif``         the network's stages applied gradually to the curves (the isotopy)
``manifest.json``        the SHA-256 and size of every other file
=======================  ================================================================

:func:`check_certificate` (``isotopy untangle --verify DIR``) trusts nothing in the folder
but the verifier's code: it checks that the folder holds exactly the files the manifest
names, each with its SHA-256, then loads the network and the curves from their files and
reruns :func:`~.verify.verify`. The manifest guards against accidents and edits of single
files; the proof itself is the rerun, which a manifest made up to match changed files cannot
pass unless the changed network still separates the changed curves (and then the folder
still proves what it says).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from .verify import FORMAT, VERSION, Affine, PlainNetwork, VerifyResult, load_network, verify

__all__ = [
    "CERTIFICATE_FORMAT",
    "CertificateCheck",
    "write_certificate",
    "check_certificate",
    "edge_fractions",
    "is_certificate",
    "network_files",
    "to_network",
    "write_animation",
]

CERTIFICATE_FORMAT = "isotopy-untangle-certificate"
MANIFEST = "manifest.json"
ANIMATION = "untangle.gif"
_MAX_BYTES = 256 * 2**20  # a certificate file larger than this is refused unread


def network_files(net: PlainNetwork) -> tuple[dict, bytes]:
    """(the structure for ``network.json``, the bytes of ``network.safetensors``)."""
    from safetensors.numpy import save

    tensors, stages = {}, []
    for k, s in enumerate(net.stages, start=1):
        if s == "tanh":
            stages.append({"type": "tanh"})
            continue
        tensors[f"stage{k}.weight"] = np.ascontiguousarray(s.weight, dtype=np.float64)
        tensors[f"stage{k}.bias"] = np.ascontiguousarray(s.bias, dtype=np.float64)
        stages.append({"type": "affine", "weight": f"stage{k}.weight", "bias": f"stage{k}.bias"})
    tensors["readout.weight"] = np.ascontiguousarray(net.readout_weight, dtype=np.float64)
    tensors["readout.bias"] = np.array([net.readout_bias], dtype=np.float64)
    structure = {
        "format": FORMAT,
        "version": VERSION,
        "tensors": "network.safetensors",
        "stages": stages,
        "readout": {"weight": "readout.weight", "bias": "readout.bias"},
    }
    return structure, save(tensors, metadata={"format": FORMAT})


def to_network(net: PlainNetwork):
    """The network as an :class:`isotopy.nn.Network` (float32), to draw it like any other."""
    import torch

    from ..nn import Activation, Network
    from ..nn import Affine as TorchAffine

    stages, names, k = [], [], 0
    for s in net.stages:
        if s == "tanh":
            stages.append(Activation("tanh", 3))
            names.append(f"tanh{k}")
        else:
            k += 1
            stages.append(TorchAffine(3, 3))
            names.append(f"affine{k}")
    if not stages:  # a plane alone: the identity map before it
        stages, names = [TorchAffine(3, 3)], ["affine1"]
    out = Network.from_stages(stages, 2, names=names)
    with torch.no_grad():
        affines = [s for s in net.stages if s != "tanh"] or [Affine(np.eye(3), np.zeros(3))]
        torch_affines = [s for s in out.stages[:-1] if isinstance(s, TorchAffine)]
        for mine, theirs in zip(affines, torch_affines, strict=True):
            theirs.weight[0] = torch.tensor(np.array(mine.weight))
            theirs.bias[0] = torch.tensor(np.array(mine.bias))
        out.stages[-1].weight[0, 0] = torch.tensor(np.array(net.readout_weight))
        out.stages[-1].bias[0, 0] = net.readout_bias
    return out


def _curve_points(link, per_component: int = 600):
    """Points along every component (for drawing), with the component's class."""
    pts, labels = [], []
    for c, k in zip(link.components, link.classes):
        c = np.asarray(c, dtype=np.float64)
        q = np.roll(c, -1, axis=0)
        per_edge = max(1, per_component // len(c))
        t = (np.arange(per_edge) / per_edge)[None, :, None]
        p = (c[:, None, :] + t * (q - c)[:, None, :]).reshape(-1, 3)
        pts.append(p)
        labels.append(np.full(len(p), int(k)))
    return np.concatenate(pts), np.concatenate(labels)


def edge_fractions(net: PlainNetwork, link) -> list[float]:
    """Share of the curves' points on an edge of the tanh cube (any unit within 0.05 of ±1,
    :func:`isotopy.topology.saturation.edge_fraction`) after each tanh stage of ``net``."""
    from ..topology.saturation import edge_fraction

    h, out = _curve_points(link)[0], []
    for s in net.stages:
        if s == "tanh":
            h = np.tanh(h)
            out.append(edge_fraction(h))
        else:
            h = h @ np.asarray(s.weight).T + np.asarray(s.bias)
    return out


def write_animation(
    net: PlainNetwork,
    link,
    path,
    *,
    frames: int = 96,
    size: int = 640,
    fps: float = 16,
    hold: float = 1.5,
):
    """The network's stages applied gradually to the curves, as a GIF (the project's morph
    animation: :func:`isotopy.animate.morph_frames`): by default the report's encoding, 96
    frames at 16 a second (6 s), the end held 1.5 s more, 640 px wide."""
    from ..animate import Animation, morph_frames

    X, y = _curve_points(link)
    frames_ = morph_frames(to_network(net), X, y, frames=frames)
    Animation(frames_, fps=fps, size=size, hold=hold).save(str(path), "gif")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_certificate(path) -> bool:
    """Whether the folder ``path`` looks like a certificate (so a new one may replace it)."""
    try:
        return json.loads((Path(path) / MANIFEST).read_text())["format"] == CERTIFICATE_FORMAT
    except (OSError, ValueError, KeyError, TypeError):
        return False


def write_certificate(
    path, link, net: PlainNetwork, result: VerifyResult, log: dict, *, animation: bool = True
) -> Path:
    """Write the certificate folder ``path`` (see the module docstring); returns it.

    ``result`` must be a verified result of ``net`` on ``link``; ``log`` (JSON-able) is kept
    in ``verification.json`` beside it (the search's numbers).
    """
    from ..files import atomic_dir

    if not result.verified:
        raise InputError("only a verified network makes a certificate")
    path = Path(path)
    with atomic_dir(path, replace_if=is_certificate, what="certificate folder") as tmp:
        structure, weights = network_files(net)
        (tmp / "network.json").write_text(json.dumps(structure, indent=2) + "\n")
        (tmp / "network.safetensors").write_bytes(weights)
        (tmp / "link.json").write_text(json.dumps(link.to_json(), separators=(",", ":")) + "\n")
        from .verify import TANH_ABS, TANH_ULPS

        record = {
            "verifier": "isotopy.untangle.verify",
            "claim": f"the link {link.name!r} is split",
            "result": result.to_dict(),
            "rounding": {"tanh_ulps": TANH_ULPS, "tanh_abs": TANH_ABS, "nextafter": True},
            **log,
        }
        (tmp / "verification.json").write_text(json.dumps(record, indent=2) + "\n")
        if animation:
            write_animation(net, link, tmp / ANIMATION)
        files = sorted(p.name for p in tmp.iterdir())
        manifest = {
            "format": CERTIFICATE_FORMAT,
            "version": 1,
            "files": {
                name: {"sha256": _sha256(tmp / name), "bytes": (tmp / name).stat().st_size}
                for name in files
            },
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return path


@dataclass
class CertificateCheck:
    """What :func:`check_certificate` found: ``accepted``, the ``reason`` when not, the
    rerun's ``result`` (None when the files were refused before it), the folder's ``log``
    (``verification.json``, as written: informative only, nothing is taken from it)."""

    accepted: bool
    reason: str | None
    result: VerifyResult | None
    log: dict


def _manifest(folder: Path) -> dict:
    if not folder.is_dir():
        raise InputError(f"certificate {str(folder)!r} is not a folder")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{str(folder)!r} is not a certificate: it has no {MANIFEST}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{str(folder / MANIFEST)!r} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != CERTIFICATE_FORMAT:
        raise InputError(f"{str(folder)!r} is not a certificate: its manifest's format differs")
    return manifest


def _files_problem(folder: Path, manifest: dict) -> str | None:
    """Why the folder's files do not match the manifest, or None."""
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        return "the manifest lists no files"
    present = {p.name for p in folder.iterdir()} - {MANIFEST}
    extra = sorted(present - set(listed))
    if extra:
        return f"the folder holds {extra[0]!r}, which the manifest does not list"
    for name in ("network.json", "network.safetensors", "link.json"):
        if name not in listed:
            return f"the manifest does not list {name!r}"
    for name, entry in sorted(listed.items()):
        if not isinstance(name, str) or "/" in name or name in ("", ".", "..", MANIFEST):
            return f"the manifest lists {name!r}, which is not a file name of the folder"
        p = folder / name
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            return f"{name!r} is missing"
        if not stat.S_ISREG(st.st_mode):
            return f"{name!r} is not a regular file"
        if st.st_size > _MAX_BYTES:
            return f"{name!r} is larger than {_MAX_BYTES >> 20} MiB"
        if not isinstance(entry, dict) or _sha256(p) != entry.get("sha256"):
            return f"the SHA-256 of {name!r} does not match the manifest"
    return None


def check_certificate(path) -> CertificateCheck:
    """Check a certificate folder from its files only (see the module docstring).

    A folder that is not a certificate at all (no folder, no manifest) is an InputError; a
    certificate whose files or proof fail is returned with ``accepted`` False and the reason.
    """
    from .link import load_link

    folder = Path(path)
    manifest = _manifest(folder)
    problem = _files_problem(folder, manifest)
    if problem is not None:
        return CertificateCheck(False, problem, None, {})
    try:
        log = json.loads((folder / "verification.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log = {}
    log = log if isinstance(log, dict) else {}
    try:
        structure = json.loads((folder / "network.json").read_text(encoding="utf-8"))
        if structure.get("tensors") != "network.safetensors":
            return CertificateCheck(False, "network.json names another tensors file", None, log)
        net, link = load_network(folder / "network.json"), load_link(folder / "link.json")
    except (InputError, ValueError, AttributeError) as e:
        return CertificateCheck(False, f"its files cannot be read: {e}", None, log)
    result = verify(net, link)
    return CertificateCheck(result.verified, result.reason, result, log)
