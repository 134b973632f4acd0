"""Cameras that show what a 3-D picture must show: the read-out's plane between the classes."""

import numpy as np
import pytest
import torch

from isotopy import Network, fit, make_dataset
from isotopy.scene.camera import (
    broad_camera,
    camera,
    plane_separates_projection,
    projected_area,
    separating_camera,
)


def _two_blobs(gap=0.6, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(200, 3)) * [1.0, 1.0, 0.1] + [0, 0, gap]
    B = rng.normal(size=(200, 3)) * [1.0, 1.0, 0.1] - [0, 0, gap]
    Q = np.linalg.qr(rng.normal(size=(3, 3)))[0]  # the scene turned at random
    plane = np.array([[-3, -3, 0], [3, -3, 0], [3, 3, 0], [-3, 3, 0.0]])
    return np.concatenate([A, B]) @ Q, np.repeat([0, 1], 200), plane @ Q


def test_camera_matches_the_screen_axes_and_roll_turns_the_picture():
    c = camera(20, 40)
    assert np.allclose(c @ c.T, np.eye(3))  # orthonormal
    assert np.allclose(c[0], [-np.sin(np.radians(40)), np.cos(np.radians(40)), 0])
    turned = camera(20, 40, 90)
    assert np.allclose(turned[1], c[0]) and np.allclose(turned[0], -c[1])


def test_separating_camera_shows_class_a_above_the_plane():
    P, y, plane = _two_blobs()
    cam = separating_camera(P, y, plane)
    assert cam is not None and plane_separates_projection(P, y, plane, cam)
    up = camera(*cam)[1]
    assert (P[y == 0] @ up).min() > (plane @ up).max() > (P[y == 1] @ up).max()
    # a random view of the same scene does not show the separation
    assert not plane_separates_projection(P, y, plane, (60, 10, 0))


def test_no_camera_when_the_plane_does_not_separate():
    P, y, plane = _two_blobs()
    y = np.random.default_rng(1).permutation(y)  # classes mixed on both sides
    assert separating_camera(P, y, plane) is None


def test_broad_camera_sees_a_flat_cloud_face_on_and_a_segment_at_full_length():
    rng = np.random.default_rng(0)
    flat = rng.normal(size=(300, 3)) * [1, 1, 0.01]
    cam = broad_camera([flat])
    assert projected_area(flat, cam) > 0.8 * projected_area(flat, (90, 0, 0))
    seg = np.array([0.0, 0.0, 1.0])
    cam = broad_camera([flat], across=seg)
    assert abs(camera(*cam)[2] @ seg) <= np.sin(np.radians(15)) + 1e-9


@pytest.fixture(scope="module")
def lifted():
    """A 2-3-1 tanh network trained with the edge penalty on the disc in an annulus."""
    torch.manual_seed(0)
    X, y = make_dataset("disc_annulus", 300, seed=0)
    net = Network(2, (3,), "tanh", seed=0)
    hist = fit(net, X, y, steps=1500, lr=0.02, record_every=1500, edge_penalty=1.0)
    assert hist.final_train_accuracy[0] == 1.0
    return net, X, y


def test_the_static_lift_shows_the_plane_between_disc_and_annulus(lifted):
    from isotopy.scene import stage_scene

    net, X, y = lifted
    sc = stage_scene(net, X, y, 2)
    assert sc.meta["camera_shows_separation"]
    assert plane_separates_projection(sc.points, sc.labels, sc.separator, sc.meta["camera"])
    up = camera(*sc.meta["camera"])[1]
    assert (sc.points[y == 0] @ up).mean() > (sc.points[y == 1] @ up).mean()  # disc above
    assert sc.meta["axes"] == ("unit 1", "unit 2", "unit 3")


def test_the_morphs_last_frame_is_separated_on_the_projection_and_no_frame_is_edge_on(lifted):
    from isotopy.animate import morph_frames

    net, X, y = lifted
    fr = morph_frames(net, X, y, frames=40)
    cam = fr.meta["camera"]
    assert fr.meta["camera_shows_separation"]
    assert plane_separates_projection(fr.points[-1], y, fr.separators[-1], cam)
    up = camera(*cam)[1]
    assert (fr.points[-1][y == 0] @ up).mean() > (fr.points[-1][y == 1] @ up).mean()
    cams = fr.meta.get("cameras")
    if cams is not None:  # the view turns to the plane's during the last stage
        assert np.allclose(cams[-1], camera(*cam), atol=1e-6)
        views = [fr.points[i] @ cams[i][:2].T for i in range(len(fr))]
    else:
        views = [fr.points[i] @ camera(*cam)[:2].T for i in range(len(fr))]
    areas = np.array([np.sqrt(max(np.linalg.det(np.cov(v.T)), 0)) for v in views])
    assert areas.min() > 0.1 * areas.max()  # no frame collapses into a sliver
