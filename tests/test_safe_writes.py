"""The one safe writer (isotopy.files): a symbolic link planted at any name a writer could
use as a temporary file, or at the target itself, is left untouched and nothing outside the
target folder changes.

The random part of every temporary name comes from ``isotopy.files._token``; the tests
replace it by a known sequence and plant a link at every name that sequence could give
before the writer reaches a free one (and at the old predictable names, ``.<name>.tmp`` and
``.<name>.old-<pid>``)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import isotopy.files as files
from isotopy.errors import InputError
from isotopy.files import atomic_dir, atomic_write

PLANTED = 5  # names taken by links before the writer's first free one


@pytest.fixture
def outside(tmp_path):
    """A folder outside the target folder, with a file a link points at."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "victim.txt").write_text("precious")
    (out / "victim_dir").mkdir()
    (out / "victim_dir" / "keep.txt").write_text("keep")
    return out


def snapshot(folder: Path) -> dict:
    """Every entry under ``folder`` with its kind and content (links: their target)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_symlink():
            out[str(p)] = ("link", os.readlink(p))
        elif p.is_dir():
            out[str(p)] = ("dir",)
        else:
            out[str(p)] = ("file", p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
    return out


def plant(monkeypatch, folder: Path, name: str, outside: Path, kinds=("tmp",)) -> list[Path]:
    """Make the writer's random names known; put a link at each of the first PLANTED and at
    the old fixed names. Returns the links."""
    tokens = [f"{i:016x}" for i in range(1000)]
    seq = iter(tokens)
    monkeypatch.setattr(files, "_token", lambda: next(seq))
    links = []
    for t in tokens[:PLANTED]:
        for kind in kinds:
            links.append(folder / f".{name}.{t}.{kind}")
    links += [folder / f".{name}.tmp", folder / f".{name}.old-{os.getpid()}"]
    for i, link in enumerate(links):
        target = outside / ("victim_dir" if i % 2 else "victim.txt")
        link.symlink_to(target)
    return links


def assert_untouched(links, outside_before, outside):
    for link in links:
        assert link.is_symlink(), link
    assert snapshot(outside) == outside_before


@pytest.mark.parametrize("how", ["bytes", "text", "callable"])
def test_atomic_write_skips_every_planted_link(tmp_path, outside, monkeypatch, how):
    folder = tmp_path / "target"
    folder.mkdir()
    links = plant(monkeypatch, folder, "out.bin", outside)
    before = snapshot(outside)
    data = {"bytes": b"new bytes", "text": "new bytes", "callable": None}[how]
    if how == "callable":
        data = lambda tmp: Path(tmp).write_bytes(b"new bytes")  # noqa: E731
    atomic_write(folder / "out.bin", data)
    assert (folder / "out.bin").read_bytes() == b"new bytes"
    assert not (folder / "out.bin").is_symlink()
    assert_untouched(links, before, outside)
    # only the planted links and the new file are in the folder: no temporary file is left
    assert sorted(p.name for p in folder.iterdir() if not p.is_symlink()) == ["out.bin"]
    mode = stat.S_IMODE((folder / "out.bin").stat().st_mode)
    assert mode == 0o666 & ~files._umask()  # the usual mode of a new file


def test_a_link_at_the_target_is_replaced_not_written_through(tmp_path, outside):
    link = tmp_path / "out.txt"
    link.symlink_to(outside / "victim.txt")
    before = snapshot(outside)
    atomic_write(link, "mine")
    assert not link.is_symlink() and link.read_text() == "mine"
    assert snapshot(outside) == before


def test_exclusive_never_replaces_a_file_or_a_link(tmp_path, outside):
    (tmp_path / "taken.txt").write_text("old")
    (tmp_path / "linked.txt").symlink_to(outside / "victim.txt")
    before = snapshot(outside)
    with pytest.raises(FileExistsError):
        atomic_write(tmp_path / "taken.txt", b"new", exclusive=True)
    with pytest.raises(FileExistsError):
        atomic_write(tmp_path / "linked.txt", b"new", exclusive=True)
    assert (tmp_path / "taken.txt").read_text() == "old"
    assert (tmp_path / "linked.txt").is_symlink()
    assert snapshot(outside) == before
    atomic_write(tmp_path / "free.txt", b"new", exclusive=True)
    assert (tmp_path / "free.txt").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "free.txt",
        "linked.txt",
        "outside",
        "taken.txt",
    ]


def test_a_temporary_file_swapped_for_a_link_is_not_renamed(tmp_path, outside):
    """A writer that finds a link where its temporary file was (a race with someone who can
    write in the folder) renames nothing, and the link is left where it was."""
    before = snapshot(outside)
    seen = []

    def swap(tmp):
        seen.append(tmp)
        os.unlink(tmp)
        os.symlink(outside / "victim.txt", tmp)

    with pytest.raises(InputError, match="was replaced while it was written"):
        atomic_write(tmp_path / "out.txt", swap)
    assert not os.path.lexists(tmp_path / "out.txt")
    assert seen[0].is_symlink()
    assert snapshot(outside) == before


def test_a_failing_writer_leaves_nothing(tmp_path):
    (tmp_path / "out.txt").write_text("old")

    def boom(tmp):
        Path(tmp).write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(tmp_path / "out.txt", boom)
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    assert (tmp_path / "out.txt").read_text() == "old"


def test_atomic_dir_skips_planted_links_when_creating_and_replacing(tmp_path, outside, monkeypatch):
    folder = tmp_path / "runs"
    folder.mkdir()
    links = plant(monkeypatch, folder, "run", outside, kinds=("tmp", "old"))
    before = snapshot(outside)
    is_old = lambda p: (p / "marker").exists()  # noqa: E731
    for content in ("first", "second"):  # the second replaces the first
        with atomic_dir(folder / "run", replace_if=is_old) as tmp:
            (tmp / "marker").write_text(content)
        assert (folder / "run" / "marker").read_text() == content
        assert not (folder / "run").is_symlink()
        mode = stat.S_IMODE((folder / "run").stat().st_mode)
        assert mode == 0o777 & ~files._umask()
    assert_untouched(links, before, outside)
    assert sorted(p.name for p in folder.iterdir() if not p.is_symlink()) == ["run"]


def test_atomic_dir_refuses_a_link_as_target(tmp_path, outside):
    (tmp_path / "run").symlink_to(outside / "victim_dir")
    before = snapshot(outside)
    with pytest.raises(InputError, match="is a symbolic link"):
        with atomic_dir(tmp_path / "run", replace_if=lambda p: True):
            pass
    assert snapshot(outside) == before and (tmp_path / "run").is_symlink()


def test_a_run_folder_is_written_past_planted_links(tmp_path, outside, monkeypatch):
    from isotopy.train import load_run, save_run, train_run

    run = train_run("interval", n=40, hidden=(2,), steps=5, seed=0)
    links = plant(monkeypatch, tmp_path, "run", outside, kinds=("tmp", "old"))
    before = snapshot(outside)
    save_run(run, tmp_path / "run")
    save_run(run, tmp_path / "run")  # over the old run
    assert load_run(tmp_path / "run").history.record_steps == run.history.record_steps
    assert_untouched(links, before, outside)


def test_the_explorers_export_copies_skip_planted_links(tmp_path, outside, monkeypatch):
    pytest.importorskip("fastapi")
    from isotopy.web.downloads import DownloadStore

    exports = tmp_path / "exports"
    exports.mkdir()
    store = DownloadStore(export_dir=exports, now=lambda: 1_700_000_000.0)
    tab = store.tab()
    # a copy's name is made by the server (date-time, counter, file name): plant links at
    # every temporary name of the first two copies
    names = [store._copy_name(n, "isotopy-data.csv", 0) for n in (1, 2)]
    tokens = [f"{i:016x}" for i in range(1000)]
    seq = iter(tokens)
    monkeypatch.setattr(files, "_token", lambda: next(seq))
    links = []
    for name in names:
        for t in tokens[:PLANTED]:
            links.append(exports / f".{name}.{t}.tmp")
        links.append(exports / f".{name}.tmp")
    for link in links:
        link.symlink_to(outside / "victim.txt")
    before = snapshot(outside)
    store.put(tab, b"a,b\n1,2\n", "isotopy-data.csv", "text/csv")
    store.put(tab, b"a,b\n3,4\n", "isotopy-data.csv", "text/csv")
    copies = sorted(p for p in exports.iterdir() if not p.is_symlink())
    assert [p.read_bytes() for p in copies] == [b"a,b\n1,2\n", b"a,b\n3,4\n"]
    assert_untouched(links, before, outside)
