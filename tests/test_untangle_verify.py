"""The verifier of ``isotopy untangle``: what it accepts, what it must refuse, and the
certificate folder around it."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from isotopy.errors import InputError
from isotopy.untangle.certificate import check_certificate, network_files, write_certificate
from isotopy.untangle.link import Link
from isotopy.untangle.verify import (
    Affine,
    PlainNetwork,
    exact_det,
    load_network,
    read_safetensors,
    verify,
    verify_curves,
)


def ring(centre, radius=1.0, m=48):
    a = np.linspace(0.0, 2 * np.pi, m, endpoint=False)
    return np.stack([radius * np.cos(a), radius * np.sin(a), np.zeros(m)], 1) + centre


def far_pair() -> Link:
    """Two rings far apart along x: class 1 on the right, class 0 on the left."""
    return Link((ring([3.0, 0, 0]), ring([-3.0, 0, 0])), (1, 0), "far pair")


def identity_ish() -> PlainNetwork:
    """Two tanh layers with diagonal maps, then the plane x = 0 (read-out f = first unit)."""
    return PlainNetwork(
        (
            Affine(np.diag([0.5, 0.4, 0.6]), np.zeros(3)),
            "tanh",
            Affine(np.array([[2.0, 0.1, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]), np.zeros(3)),
            "tanh",
        ),
        np.array([1.0, 0.0, 0.0]),
        0.0,
    )


def well_network(x0=0.1, half=0.05, k=50.0) -> PlainNetwork:
    """f = tanh(k(x − x0 − half)) − tanh(k(x − x0 + half) + y) + 2 tanh(k z) + 0.5:
    about 0.5 or more everywhere on the square of :func:`well_square`, except in a well
    |x − x0| < half of the bottom edge (z = 0), where it is about −1.5."""
    w = np.array([[k, 0, 0], [k, 1, 0], [0, 0, k]], dtype=float)
    b = np.array([-k * (x0 + half), -k * (x0 - half), 0.0])
    return PlainNetwork((Affine(w, b), "tanh"), np.array([1.0, -1.0, 2.0]), 0.5)


def well_square():
    a = np.array([[-1, 0, 0], [1, 0, 0], [1, 0, 1], [-1, 0, 1.0]])  # class 1; edge 0 at z = 0
    b = np.array([[2, 0, -5], [4, 0, -5], [4, 1, -5.0]])  # class 0, far below
    return a, b


# ------------------------------------------------------------------------------ accepting
def test_accepts_a_hand_built_network_that_separates_a_split_pair():
    result = verify(identity_ish(), far_pair())
    assert result.verified, result.reason
    assert result.reason is None and result.depth == 2 and result.edges == 96
    assert result.margin > 0 and result.boxes >= result.edges
    assert result.determinants == [pytest.approx(0.12), pytest.approx(8.0)]
    # the certified least margin is a lower bound of the least margin on the vertices
    f = identity_ish()(np.concatenate(far_pair().components))
    assert result.margin <= np.min(np.abs(f))


def test_a_plane_alone_is_a_network_of_depth_zero():
    net = PlainNetwork((), np.array([1.0, 0.0, 0.0]), 0.0)
    assert verify(net, far_pair()).verified
    swapped = Link(far_pair().components, (0, 1))  # the same plane, the classes swapped
    result = verify(net, swapped)
    assert not result.verified and "wrong sign" in result.reason


# ------------------------------------------------------------------------------ refusing
def test_rejects_a_singular_affine_map():
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [5.0, 7.0, 9.0]])  # row 3 = row 1 + row 2
    assert exact_det(w) == 0
    net = PlainNetwork((Affine(w, np.zeros(3)), "tanh"), np.array([1.0, 0, 0]), 0.0)
    result = verify(net, far_pair())
    assert not result.verified
    assert "affine map 1 is singular" in result.reason
    # a determinant that float64 rounding makes zero but is not: exact arithmetic sees it
    w2 = w.copy()
    w2[2, 2] = 9.0 + 2.0**-40
    assert exact_det(w2) == -3 * Fraction(2.0**-40)  # det w + ε · (1·5 − 2·4)
    assert verify(PlainNetwork((Affine(w2, np.zeros(3)),), np.ones(3), 0.0), far_pair()).reason != (
        "affine map 1 is singular (its determinant is exactly 0)"
    )


def test_rejects_a_zero_read_out():
    net = PlainNetwork((Affine(np.eye(3), np.zeros(3)), "tanh"), np.zeros(3), 1.0)
    result = verify(net, far_pair())
    assert not result.verified and result.reason == "the read-out vector is zero"


def test_rejects_a_read_out_that_misclassifies_a_short_piece_inside_an_edge():
    net = well_network()
    a, b = well_square()
    # every vertex, and nine points along the bottom edge, are on the right side ...
    assert (net(a) > 0.4).all() and (net(b) < -1).all()
    along = np.stack([np.linspace(-1, 1, 9), np.zeros(9), np.zeros(9)], 1)
    assert (net(along) > 0.4).all()
    # ... but a piece of the edge around x = 0.1 is not
    assert net(np.array([[0.1, 0.0, 0.0]]))[0] < -1
    result = verify_curves(net, [a, b], [1, 0])
    assert not result.verified
    assert "wrong sign" in result.reason and "component 0 (class 1), edge 0" in result.reason
    where = result.where
    assert where["component"] == 0 and where["edge"] == 0 and where["f"][1] < 0
    x_lo, x_hi = -1 + 2 * where["t"][0], -1 + 2 * where["t"][1]
    assert 0.05 <= x_lo < x_hi <= 0.15  # inside the well
    # moved off the edge (z = 0.2 everywhere on the bottom), the same network verifies
    a2 = a.copy()
    a2[:2, 2] = 0.2
    assert verify_curves(net, [a2, b], [1, 0]).verified


def test_a_sign_that_cannot_be_decided_is_not_verified():
    # the plane x = 3 passes through a vertex of the class-1 ring: f = 0 there
    net = PlainNetwork((), np.array([1.0, 0.0, 0.0]), -2.0)
    result = verify(net, far_pair(), max_halvings=12)
    assert not result.verified and "undecided after 12 halvings" in result.reason
    small = verify(net, far_pair(), max_boxes=120)
    assert not small.verified and "boxes" in small.reason


def test_bounds_enclose_the_exact_read_out():
    """Random networks and segments: f at points of a piece (computed with 60 digits)
    always lies within the verifier's bounds for that piece."""
    mpmath = pytest.importorskip("mpmath")
    from isotopy.untangle import verify as v

    mpmath.mp.dps = 60
    rng = np.random.default_rng(5)
    for trial in range(6):
        stages = []
        for _ in range(trial % 3 + 1):
            stages += [Affine(rng.normal(0, 2, (3, 3)), rng.normal(0, 1, 3)), "tanh"]
        net = PlainNetwork(tuple(stages), rng.normal(0, 1, 3), float(rng.normal()))
        comp = rng.normal(0, 1, (5, 3))
        edges = v._edges(net, [comp, comp + 5], [1, 0])
        e = np.arange(5)
        t0 = np.sort(rng.uniform(0, 1, (2, 5)), 0)
        flo, fhi = v._bounds(net, edges, e, t0[0], t0[1])
        for k in range(5):
            p, q = comp[k], comp[(k + 1) % 5]
            for t in np.linspace(t0[0, k], t0[1, k], 4):
                x = [
                    mpmath.mpf(float(pi)) + mpmath.mpf(t) * (mpmath.mpf(float(qi)) - float(pi))
                    for pi, qi in zip(p, q)
                ]
                for s in net.stages:
                    if s == "tanh":
                        x = [mpmath.tanh(xi) for xi in x]
                    else:
                        x = [
                            sum(mpmath.mpf(float(s.weight[i, j])) * x[j] for j in range(3))
                            + mpmath.mpf(float(s.bias[i]))
                            for i in range(3)
                        ]
                f = sum(mpmath.mpf(float(net.readout_weight[j])) * x[j] for j in range(3))
                f += mpmath.mpf(net.readout_bias)
                assert flo[k] <= f <= fhi[k]


def test_tanh_bounds_hold_the_exact_value():
    mpmath = pytest.importorskip("mpmath")
    from isotopy.untangle import verify as v

    mpmath.mp.dps = 40
    x = np.concatenate([np.random.default_rng(0).normal(0, 3, 300), [0.0, 1e-310, -20.0, 30.0]])
    lo, hi = v._tanh(x, x)
    for xi, a, b in zip(x, lo, hi):
        exact = mpmath.tanh(mpmath.mpf(float(xi)))
        assert a <= exact <= b
        assert -1.0 <= a <= b <= 1.0


def test_network_checks_are_one_sentence():
    with pytest.raises(InputError, match="must have shape"):
        PlainNetwork((Affine(np.eye(2), np.zeros(2)),), np.ones(3), 0.0)
    with pytest.raises(InputError, match="NaN or infinite"):
        PlainNetwork((), np.array([np.nan, 0, 0]), 0.0)
    with pytest.raises(InputError, match="affine map or 'tanh'"):
        PlainNetwork(("relu",), np.ones(3), 0.0)
    with pytest.raises(InputError, match="both classes"):
        verify_curves(identity_ish(), [ring([0, 0, 0])] * 2, [1, 1])
    # verify() checks that the curves form a link: two rings through one point do not
    touching = Link((ring([0.0, 0, 0]), ring([2.0, 0, 0])), (1, 0))
    with pytest.raises(InputError, match="components 0 and 1 meet"):
        verify(identity_ish(), touching)


# --------------------------------------------------------------------------- file format
def test_network_files_round_trip_exactly(tmp_path):
    net = identity_ish()
    structure, weights = network_files(net)
    (tmp_path / "network.json").write_text(json.dumps(structure))
    (tmp_path / "network.safetensors").write_bytes(weights)
    back = load_network(tmp_path)
    assert back.depth == 2 and back.readout_bias == net.readout_bias
    for a, b in zip(back.affines(), net.affines()):
        assert np.array_equal(a.weight, b.weight) and np.array_equal(a.bias, b.bias)
    # the stdlib reader agrees with the safetensors library
    from safetensors.numpy import load_file

    theirs = load_file(str(tmp_path / "network.safetensors"))
    mine = read_safetensors(tmp_path / "network.safetensors")
    assert set(mine) == set(theirs)
    assert all(np.array_equal(mine[k], theirs[k]) for k in mine)


def test_a_network_with_inline_numbers_needs_no_tensors_file(tmp_path):
    doc = {
        "format": "isotopy-untangle-network",
        "version": 1,
        "stages": [{"type": "affine", "weight": np.eye(3).tolist(), "bias": [0, 0, 0]}],
        "readout": {"weight": [1, 0, 0], "bias": 0.0},
    }
    (tmp_path / "n.json").write_text(json.dumps(doc))
    assert verify(load_network(tmp_path / "n.json"), far_pair()).verified
    doc["stages"][0]["weight"] = "stage1.weight"
    (tmp_path / "n.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="gives no tensors file"):
        load_network(tmp_path / "n.json")
    doc["tensors"] = "../elsewhere.safetensors"
    (tmp_path / "n.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="must be a name beside"):
        load_network(tmp_path / "n.json")


def test_a_broken_safetensors_file_is_refused(tmp_path):
    p = tmp_path / "w.safetensors"
    p.write_bytes(b"\x05")
    with pytest.raises(InputError, match="too short"):
        read_safetensors(p)
    header = json.dumps({"a": {"dtype": "F64", "shape": [3], "data_offsets": [0, 32]}}).encode()
    p.write_bytes(len(header).to_bytes(8, "little") + header + bytes(24))
    with pytest.raises(InputError, match="inconsistent offsets"):
        read_safetensors(p)
    p.write_bytes((10**9).to_bytes(8, "little") + b"{}")
    with pytest.raises(InputError, match="header length"):
        read_safetensors(p)


# ---------------------------------------------------------------------------- certificate
def _certificate(tmp_path):
    link, net = far_pair(), identity_ish()
    result = verify(net, link)
    out = tmp_path / "cert"
    write_certificate(out, link, net, result, {"search": {"tried": 7}}, animation=False)
    return out


def _rewrite_manifest(folder):
    import hashlib

    m = json.loads((folder / "manifest.json").read_text())
    for name in m["files"]:
        m["files"][name]["sha256"] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(m))


def test_a_certificate_is_accepted_from_its_files(tmp_path, capsys):
    out = _certificate(tmp_path)
    names = {p.name for p in out.iterdir()}
    assert names == {
        "manifest.json",
        "network.json",
        "network.safetensors",
        "link.json",
        "verification.json",
    }
    check = check_certificate(out)
    assert check.accepted and check.result.verified and check.log["search"]["tried"] == 7
    # the verifier's own command line reads the same two files
    from isotopy.untangle.verify import main

    assert main([str(out / "network.json"), str(out / "link.json")]) == 0
    assert capsys.readouterr().out.startswith("verified: 96 edges")


def test_changed_weights_are_rejected(tmp_path):
    out = _certificate(tmp_path)
    tensors = read_safetensors(out / "network.safetensors")
    from safetensors.numpy import save

    tensors["readout.weight"] = -tensors["readout.weight"]  # the classes' sides swapped
    (out / "network.safetensors").write_bytes(save(tensors))
    check = check_certificate(out)
    assert not check.accepted
    assert check.reason == "the SHA-256 of 'network.safetensors' does not match the manifest"
    _rewrite_manifest(out)  # a manifest made up to match: the rerun still refuses it
    check = check_certificate(out)
    assert not check.accepted and "wrong sign" in check.reason


def test_changed_curves_are_rejected(tmp_path):
    out = _certificate(tmp_path)
    doc = json.loads((out / "link.json").read_text())
    doc["components"][0] = (np.array(doc["components"][0]) + [-6.0, 0, 3]).tolist()  # to x < 0
    (out / "link.json").write_text(json.dumps(doc))
    assert "'link.json' does not match" in check_certificate(out).reason
    _rewrite_manifest(out)
    check = check_certificate(out)
    assert not check.accepted and "wrong sign" in check.reason


def test_a_manifest_mismatch_is_rejected(tmp_path):
    out = _certificate(tmp_path)
    (out / "extra.txt").write_text("hello")
    assert "does not list" in check_certificate(out).reason
    (out / "extra.txt").unlink()
    (out / "verification.json").unlink()
    assert check_certificate(out).reason == "'verification.json' is missing"
    (out / "manifest.json").unlink()
    with pytest.raises(InputError, match="has no manifest.json"):
        check_certificate(out)
