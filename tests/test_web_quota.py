"""Export quotas: what one tab and the server may hold for download and write to the export
folder; the oldest of a tab's exports go first, and no tab's exports push out another's."""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("fastapi")

from isotopy.errors import InputError  # noqa: E402
from isotopy.web.downloads import DownloadStore, ExportQuota  # noqa: E402

KB = 1024


def held(store, url):
    return store.get(url.rsplit("/", 1)[1]) is not None


def test_a_tabs_oldest_downloads_are_dropped_first_and_never_another_tabs():
    store = DownloadStore(quota=ExportQuota(tab_files=3, tab_bytes=10 * KB, server_bytes=25 * KB))
    a, b = store.tab(), store.tab()
    b_url = store.put(b, b"b" * KB, "b.csv", "text/csv")
    a_urls = [store.put(a, bytes([i]) * KB, f"a{i}.csv", "text/csv") for i in range(5)]
    # three files per tab: a's two oldest went, b's stays
    assert [held(store, u) for u in a_urls] == [False, False, True, True, True]
    assert held(store, b_url)
    # a 6 KB export: a's oldest makes room for a third file
    big = store.put(a, b"x" * 6 * KB, "big.gif", "image/gif")
    assert [held(store, u) for u in a_urls] == [False, False, False, True, True]
    # bytes per tab: another 6 KB export leaves only itself (12 KB would pass 10 KB)
    big2 = store.put(a, b"y" * 6 * KB, "big2.gif", "image/gif")
    assert [held(store, u) for u in a_urls + [big]] == [False] * 6
    assert held(store, big2) and held(store, b_url) and store.total == 7 * KB
    with pytest.raises(InputError, match="export is 11 KB, more than the 10 KB a tab may hold"):
        store.put(a, b"x" * 11 * KB, "huge.gif", "image/gif")


def test_the_server_limit_refuses_rather_than_drop_another_tabs_download():
    store = DownloadStore(quota=ExportQuota(tab_files=8, tab_bytes=10 * KB, server_bytes=20 * KB))
    a, b, c = store.tab(), store.tab(), store.tab()
    a_url = store.put(a, b"a" * 9 * KB, "a.gif", "image/gif")
    b_url = store.put(b, b"b" * 9 * KB, "b.gif", "image/gif")
    with pytest.raises(InputError, match="the server already holds .* of other tabs' downloads"):
        store.put(c, b"c" * 5 * KB, "c.gif", "image/gif")
    assert held(store, a_url) and held(store, b_url)
    # a tab over the server's limit makes room from its own exports first
    a2 = store.put(a, b"A" * 9 * KB, "a2.gif", "image/gif")
    assert held(store, a2) and not held(store, a_url) and held(store, b_url)
    # a tab that leaves frees its part
    store.close(b)
    assert not held(store, b_url) and store.total == 9 * KB
    store.put(c, b"c" * 5 * KB, "c.gif", "image/gif")


def test_downloads_expire():
    now = [1000.0]
    store = DownloadStore(quota=ExportQuota(keep_s=60), now=lambda: now[0])
    tab = store.tab()
    url = store.put(tab, b"data", "d.csv", "text/csv")
    now[0] += 59
    assert held(store, url)
    now[0] += 2
    assert not held(store, url) and store.total == 0 and tab.bytes == 0


def test_the_export_folder_quota_refuses_a_tab_then_the_server(tmp_path):
    q = ExportQuota(folder_tab_files=3, folder_tab_bytes=10 * KB, folder_server_files=5)
    store = DownloadStore(export_dir=tmp_path, quota=q)
    a, b = store.tab(), store.tab()
    for _ in range(3):
        store.check(a)
        store.put(a, b"a" * KB, "a.csv", "text/csv")
    with pytest.raises(InputError, match=r"this tab has used its export quota: it wrote 3 files"):
        store.check(a)  # before any rendering
    with pytest.raises(InputError, match="this tab has used its export quota"):
        store.put(a, b"a", "a.csv", "text/csv")
    store.put(b, b"b" * KB, "b.csv", "text/csv")
    store.put(b, b"b" * KB, "b.csv", "text/csv")
    with pytest.raises(InputError, match=r"the server has used its export quota: it wrote 5 files"):
        store.check(b)
    assert len(list(tmp_path.iterdir())) == 5  # nothing in the folder was removed
    # bytes per tab count too
    c = DownloadStore(export_dir=tmp_path / "c", quota=q)
    (tmp_path / "c").mkdir()
    t = c.tab()
    c.put(t, b"x" * 9 * KB, "x.csv", "text/csv")
    with pytest.raises(InputError, match="this tab has used its export quota"):
        c.put(t, b"x" * 2 * KB, "x.csv", "text/csv")


# ------------------------------------------------------------------------ over the socket
@pytest.fixture
def small_quota_client(tmp_path):
    from fastapi.testclient import TestClient

    from isotopy.web import create_app

    quota = ExportQuota(tab_files=2, folder_tab_files=4, folder_server_files=50)
    app = create_app(export_dir=tmp_path / "exports", allowed_hosts=["testserver"], quota=quota)
    with TestClient(app) as c:
        c.exports = tmp_path / "exports"
        yield c


def _reply(ws, request_id):
    while True:
        m = json.loads(ws.receive_text())
        if m.get("id") == request_id and m["type"] in ("download", "error"):
            return m


def test_a_tab_exporting_in_a_loop_is_refused_and_another_tabs_download_works(
    small_quota_client,
):
    client = small_quota_client
    hdr = {"origin": "http://testserver"}
    with client.websocket_connect("/ws", headers=hdr) as a:
        with client.websocket_connect("/ws", headers=hdr) as b:
            b.send_text(json.dumps({"type": "export", "what": "weights", "id": 1}))
            b_dl = _reply(b, 1)
            assert b_dl["type"] == "download"
            replies = []
            for i in range(10, 16):  # a loop of data exports
                a.send_text(json.dumps({"type": "export", "what": "data", "id": i}))
                replies.append(_reply(a, i))
            assert [r["type"] for r in replies] == ["download"] * 4 + ["error"] * 2
            err = replies[-1]
            assert err["request"] == "export" and err["id"] == 15
            assert err["message"].startswith("this tab has used its export quota")
            assert "\n" not in err["message"] and "Traceback" not in err["message"]
            # a GIF is refused before it is rendered
            a.send_text(json.dumps({"type": "export", "what": "gif", "frames": 2, "id": 20}))
            gif = _reply(a, 20)
            assert gif["type"] == "error" and "export quota" in gif["message"]
            # a's oldest downloads gave way to its newer ones; b's is untouched and works
            assert client.get(replies[0]["url"]).status_code == 404
            assert client.get(replies[3]["url"]).status_code == 200
            r = client.get(b_dl["url"])
            assert r.status_code == 200 and len(r.content) == b_dl["size"]
            assert r.headers["content-length"] == str(b_dl["size"])
        # b left: once the server has closed its session, its download is gone; a's stay
        deadline = time.time() + 20
        while client.get("/api/health").json()["sessions"] > 1 and time.time() < deadline:
            time.sleep(0.05)
        assert client.get(b_dl["url"]).status_code == 404
        assert client.get(replies[3]["url"]).status_code == 200
    assert len(list(client.exports.iterdir())) == 5  # four of a's, one of b's
