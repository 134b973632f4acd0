"""``isotopy untangle`` end to end, and the search behind it (budgets kept tiny)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from _gif import read_gif
from isotopy.cli import main
from isotopy.errors import InputError
from isotopy.untangle.certificate import edge_fractions
from isotopy.untangle.families import make_link
from isotopy.untangle.link import save_link
from isotopy.untangle.search import SearchConfig, search
from isotopy.untangle.verify import verify

SMALL = ["--networks", "16", "--steps", "500"]


def _out(capsys) -> str:
    return capsys.readouterr().out.strip()


def test_a_threaded_unlink_is_certified_and_its_certificate_rechecked(tmp_path, capsys):
    out = tmp_path / "cert"
    rc = main(["untangle", "--family", "threaded", "--seed", "3", "--out", str(out), *SMALL])
    line = _out(capsys)
    assert rc == 0
    assert line.startswith("split: certified (depth ") and "networks tried, verified in" in line
    assert len(line.splitlines()) == 1
    gif = read_gif(out / "untangle.gif")  # the report's encoding: 640 px, 6 s, end held
    assert gif["size"][0] == 640 and gif["seconds"] >= 6 and gif["last_held_s"] >= 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == {
        "network.json",
        "network.safetensors",
        "link.json",
        "verification.json",
        "untangle.gif",
    }
    log = json.loads((out / "verification.json").read_text())
    assert log["result"]["verified"] and log["search"]["tried"] >= 1
    assert main(["untangle", "--verify", str(out)]) == 0
    assert _out(capsys).startswith("split: certified (depth ")
    # weights changed: the manifest no longer matches, --verify refuses
    data = bytearray((out / "network.safetensors").read_bytes())
    data[-1] ^= 0x40  # a bit of the read-out's bias
    (out / "network.safetensors").write_bytes(bytes(data))
    assert main(["untangle", "--verify", str(out)]) == 1
    assert _out(capsys) == (
        "certificate rejected: the SHA-256 of 'network.safetensors' does not match the manifest"
    )


def test_the_edge_penalty_keeps_the_curves_off_the_edges_of_the_tanh_cube():
    # plain search: the certified network presses the curves into the cube's edges; with the
    # edge penalty (the CLI's default) the same instance certifies with them in the middle
    link = make_link("threaded", 3)
    plain = search(link, SearchConfig(networks=16, steps=500))
    kept = search(link, SearchConfig(networks=16, steps=500, edge_penalty=1.0))
    assert plain.certified and kept.certified
    assert max(edge_fractions(plain.network, link)) > 0.2
    assert max(edge_fractions(kept.network, link)) <= 0.2
    assert verify(kept.network, link).verified
    with pytest.raises(InputError, match="edge_penalty must be a number >= 0"):
        SearchConfig(edge_penalty=-1.0)


def test_a_link_file_is_read_and_certified(tmp_path, capsys):
    path = tmp_path / "nested.json"
    save_link(make_link("nested", 1), path)
    rc = main(["untangle", "--link", str(path), "--no-animation", *SMALL])
    assert rc == 0 and _out(capsys).startswith("split: certified")


def test_the_hopf_link_is_refused_by_its_linking_number(capsys):
    assert main(["untangle", "--family", "hopf", "--seed", "2"]) == 0
    line = _out(capsys)
    assert line.startswith("not split: linking number ") and "between components" in line


def test_unknown_when_no_network_verifies(monkeypatch, capsys):
    # without its obstructions, the Whitehead link goes to the search, which cannot succeed
    import isotopy.untangle.obstruct as obstruct

    monkeypatch.setattr(obstruct, "obstruction", lambda link: None)
    rc = main(["untangle", "--family", "whitehead", "--networks", "16", "--steps", "200"])
    assert rc == 0 and _out(capsys) == "unknown after 16 networks"


@pytest.mark.parametrize("family", ["whitehead", "borromean"])
def test_non_split_controls_are_never_certified(family):
    for seed in range(3):
        found = search(make_link(family, seed), SearchConfig(networks=16, steps=300, seed=seed))
        assert not found.certified and found.tried == 16 and found.network is None


def test_the_search_is_deterministic_and_its_network_verifies():
    link = make_link("threaded", 5)
    config = SearchConfig(networks=16, steps=500, seed=4)
    a, b = search(link, config), search(link, config)
    assert a.certified and b.certified and a.tried == b.tried
    for sa, sb in zip(a.network.affines(), b.network.affines()):
        assert np.array_equal(sa.weight, sb.weight) and np.array_equal(sa.bias, sb.bias)
    assert np.array_equal(a.network.readout_weight, b.network.readout_weight)
    assert verify(a.network, link).verified  # in the link's own coordinates
    assert a.verification.depth == a.batches[-1]["depth"]


def test_search_settings_are_checked():
    with pytest.raises(InputError, match="depths"):
        SearchConfig(depths=(0,))
    with pytest.raises(InputError, match="tube must be below 0.5"):
        SearchConfig(tube=0.6)
    with pytest.raises(InputError, match="networks"):
        SearchConfig(networks=0)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--family", "nope"], "unknown link family 'nope'"),
        (["--family", "threaded", "--complexity", "0"], "--complexity must be an integer >= 1"),
        (["--family", "threaded", "--networks", "0"], "--networks must be an integer >= 1"),
        (["--family", "threaded", "--depths", "1,x"], "--depths must be comma-separated"),
        (["--family", "threaded", "--depths", "0"], "every entry of --depths must be"),
        (["--link", "missing.json"], "does not exist"),
        (["--verify", "."], "is not a certificate"),
        (["--verify", ".", "--out", "x"], "--verify only reads one"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["untangle", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_an_unusable_output_is_refused_before_the_search(tmp_path, capsys, monkeypatch):
    import isotopy.untangle.search as search_module

    (tmp_path / "file").write_text("x")
    monkeypatch.setattr(search_module, "search", lambda *a, **k: pytest.fail("searched"))
    rc = main(["untangle", "--family", "threaded", "--out", str(tmp_path / "file")])
    assert rc == 2 and "is a file, not a folder" in capsys.readouterr().err
