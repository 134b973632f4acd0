"""Writing rendered frames: GIF, MP4, a self-contained HTML player, a folder of PNGs.

Every output is written under a temporary name in the target's folder and renamed into
place, so a failure leaves nothing half-written.

- GIF: one palette for the whole animation (adaptive, from a few frames), each frame mapped
  to it through a 32×32×32 lookup table, then LZW-encoded by Pillow (the library imageio's
  GIF writer uses). A shared palette keeps colours steady across frames, and the lookup is
  much faster than quantising every frame.
- MP4: H.264 (yuv420p) through imageio's ffmpeg writer and the ffmpeg binary that the
  imageio-ffmpeg package ships (no system ffmpeg needed).
- HTML: every frame as a base64 PNG inside the page, a slider, play/pause and speed; no
  external URL, so the file works offline and can be mailed.
- PNG: ``frame_0000.png``, ... in a folder.
"""

from __future__ import annotations

import base64
import html as _html
import io
import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..files import atomic_write

__all__ = [
    "FORMATS",
    "save_frames",
    "write_gif",
    "write_mp4",
    "write_html",
    "write_pngs",
    "html_player",
    "check_output",
]


def check_output(path, fmt: str) -> Path:
    """Raise InputError now if ``path`` cannot be written as ``fmt`` (before long work)."""
    from ..train import atomic_dir

    path = Path(path)
    if fmt == "png":
        atomic_dir(path, replace_if=_is_png_folder, what="PNG frame folder").check()
        return path
    if path.is_dir():
        raise InputError(f"output {str(path)!r} is a folder; give a file name ending in .{fmt}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"cannot write {str(path)!r}: folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write {str(path)!r}: folder {str(parent)!r} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"cannot write {str(path)!r}: the file is not writable")
    return path


def _is_png_folder(path: Path) -> bool:
    names = os.listdir(path)
    return bool(names) and all(n.startswith("frame_") and n.endswith(".png") for n in names)


# ------------------------------------------------------------------------------------ GIF
def _palette(frames: list[np.ndarray]) -> np.ndarray:
    """An adaptive 256-colour palette (256, 3) from a few frames."""
    from PIL import Image

    pick = frames[:: max(1, len(frames) // 6)][:8]
    small = np.concatenate([f[::2, ::2] for f in pick], axis=0)
    q = Image.fromarray(small).quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    pal = np.array(q.getpalette()[: 3 * 255], dtype=np.uint8).reshape(-1, 3)
    return np.concatenate([pal, [[255, 255, 255]]]).astype(np.uint8)


def _codes(frame: np.ndarray) -> np.ndarray:
    """15-bit colour codes (5 bits per channel) of an RGB frame: (H, W) uint16."""
    f = frame >> 3
    return (f[..., 0].astype(np.uint16) << 10) | (f[..., 1].astype(np.uint16) << 5) | f[..., 2]


def _lookup_table(pal: np.ndarray, codes: list[np.ndarray]) -> np.ndarray:
    """Nearest palette entry of every 15-bit colour code that occurs in ``codes``: a
    (32768,) uint8 table (entries of absent codes are 0)."""
    seen = np.zeros(32768, dtype=bool)
    for c in codes:
        seen[c.ravel()] = True
    present = np.flatnonzero(seen)
    rgb = np.stack([(present >> 10) & 31, (present >> 5) & 31, present & 31], -1) * 8 + 4
    p = pal.astype(np.float32)
    d = ((rgb[:, None, :].astype(np.float32) - p[None]) ** 2).sum(-1)  # (U, 256)
    lut = np.zeros(32768, dtype=np.uint8)
    lut[present] = d.argmin(1)
    return lut


def write_gif(
    frames: list[np.ndarray], path, *, fps: float = 20, loop: int = 0, hold: float = 0.0
) -> Path:
    """Animated GIF, one shared palette; the last frame stays ``hold`` seconds longer.

    Returns the path.
    """
    from PIL import Image

    path = Path(path)
    pal = _palette(frames)
    codes = [_codes(f) for f in frames]
    lut = _lookup_table(pal, codes)
    flat = pal.reshape(-1).tolist()
    imgs = []
    for c in codes:
        im = Image.fromarray(lut[c], mode="P")
        im.putpalette(flat)
        imgs.append(im)
    # GIF stores durations in 10 ms units: take frame i's duration from the rounded times
    # of its start and end, so that the error does not add up over the frames
    ends = [int(round(100 * (i + 1) / fps)) * 10 for i in range(len(imgs))]
    durations = [max(b - a, 10) for a, b in zip([0, *ends[:-1]], ends)]
    durations[-1] += int(round(100 * max(float(hold), 0.0))) * 10
    atomic_write(
        path,
        lambda tmp: imgs[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=imgs[1:],
            duration=durations if len(imgs) > 1 else durations[0],
            loop=loop,
            optimize=False,
            disposal=1,
        ),
    )
    return path


# ------------------------------------------------------------------------------------ MP4
def write_mp4(
    frames, path, *, fps: float = 20, quality: float = 5, preset: str = "superfast"
) -> Path:
    """H.264 MP4 through imageio-ffmpeg; frame sizes must be multiples of 16 (the renderer's are).

    ``frames`` may be any iterable (a generator that renders while ffmpeg encodes the
    previous frames in its own process).
    """
    import imageio.v2 as imageio

    def write(tmp):
        w = imageio.get_writer(
            tmp,
            format="FFMPEG",
            mode="I",
            fps=fps,
            codec="libx264",
            quality=quality,
            pixelformat="yuv420p",
            macro_block_size=16,
            output_params=["-preset", preset],
            ffmpeg_log_level="error",
        )
        try:
            for f in frames:
                w.append_data(f)
        finally:
            w.close()  # ffmpeg finishes before the file is renamed, or removed on an error

    # the safe writer's exclusive random name; ffmpeg reads the container from its suffix
    return atomic_write(path, write, suffix=".mp4")


# ----------------------------------------------------------------------------------- HTML
def _png_bytes(frame: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


_PLAYER_JS = """
(function(){
var root=document.getElementById("%(id)s");var img=root.querySelector("img");
var sl=root.querySelector("input[type=range]");var btn=root.querySelector("button");
var lab=root.querySelector(".isotopy-frame");var sp=root.querySelector("select");
var frames=JSON.parse(root.querySelector("script[type='application/json']").textContent);
var i=0,timer=null;
function show(k){i=k;img.src="data:image/png;base64,"+frames[k];sl.value=k;
lab.textContent=(k+1)+" / "+frames.length;}
function stop(){if(timer){clearInterval(timer);timer=null;}btn.textContent="\\u25B6 play";}
function play(){stop();btn.textContent="\\u275A\\u275A pause";
timer=setInterval(function(){show((i+1)%%frames.length);},1000/(%(fps)s*parseFloat(sp.value)));}
btn.onclick=function(){timer?stop():play();};
sl.oninput=function(){stop();show(parseInt(sl.value));};
sp.onchange=function(){if(timer)play();};
show(0);
})();
"""


def html_player(
    frames: list[np.ndarray], *, fps: float = 20, title: str = "", element_id: str | None = None
) -> str:
    """An HTML fragment (a div and its script) that plays ``frames``; no external URL."""
    import json
    import uuid

    eid = element_id or f"isotopy-{uuid.uuid4().hex[:10]}"
    data = json.dumps([base64.b64encode(_png_bytes(f)).decode("ascii") for f in frames])
    h, w = frames[0].shape[:2]
    speeds = "".join(
        f'<option value="{s}"{" selected" if s == 1 else ""}>{s}×</option>'
        for s in (0.25, 0.5, 1, 2)
    )
    cap = (
        f"<div style='font:13px sans-serif;color:#444'>{_html.escape(title)}</div>" if title else ""
    )
    return (
        f'<div id="{eid}" class="isotopy-player" style="display:inline-block">{cap}'
        f'<img width="{w}" height="{h}" alt="animation frame" '
        f'style="display:block;border:1px solid #eee">'
        f'<div style="font:13px sans-serif;margin-top:4px">'
        f'<button type="button">\u25b6 play</button> '
        f'<input type="range" min="0" max="{len(frames) - 1}" value="0" step="1" '
        f'style="width:{max(w - 200, 100)}px;vertical-align:middle"> '
        f'<span class="isotopy-frame"></span> <select>{speeds}</select></div>'
        f'<script type="application/json">{data}</script>'
        f"<script>{_PLAYER_JS % {'id': eid, 'fps': float(fps)}}</script></div>"
    )


def write_html(frames: list[np.ndarray], path, *, fps: float = 20, title: str = "") -> Path:
    """A self-contained HTML page with every frame embedded, a slider and play/pause."""
    path = Path(path)
    body = html_player(frames, fps=fps, title=title)
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{_html.escape(title or 'isotopy animation')}</title></head>"
        f"<body style='margin:1em'>{body}</body></html>\n"
    )
    atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return path


# ----------------------------------------------------------------------------------- PNGs
def write_pngs(frames: list[np.ndarray], path) -> Path:
    """A folder of frame_0000.png, frame_0001.png, ... (an old frame folder is replaced)."""
    from ..train import atomic_dir

    path = Path(path)
    with atomic_dir(path, replace_if=_is_png_folder, what="PNG frame folder") as tmp:
        for i, f in enumerate(frames):
            (tmp / f"frame_{i:04d}.png").write_bytes(_png_bytes(f))
    return path


FORMATS = {"gif": write_gif, "mp4": write_mp4, "html": write_html, "png": write_pngs}


def save_frames(
    frames: list[np.ndarray],
    path,
    fmt: str | None = None,
    *,
    fps: float = 20,
    title: str = "",
    hold: float = 0.0,
) -> Path:
    """Write rendered frames as ``fmt`` (default: from the path's extension; a folder is png).

    ``hold``: seconds the last frame stays on screen beyond its own frame time (GIF: a longer
    last frame; MP4 and HTML: the last frame repeated; PNG folders: ignored).
    """
    path = Path(path)
    if fmt is None:
        fmt = path.suffix.lstrip(".").lower() or "png"
    if fmt not in FORMATS:
        raise InputError(f"unknown animation format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if not frames:
        raise InputError("there are no frames to write")
    if not (np.isfinite(fps) and fps > 0):
        raise InputError(f"frames per second must be a number > 0, got {fps}")
    check_output(path, fmt)
    if fmt == "png":
        return write_pngs(frames, path)
    if hold < 0 or not np.isfinite(hold):
        raise InputError(f"the hold time must be a number >= 0 seconds, got {hold}")
    if fmt == "gif":
        return write_gif(frames, path, fps=fps, hold=hold)
    extra = [frames[-1]] * int(round(hold * fps))
    if fmt == "html":
        return write_html(list(frames) + extra, path, fps=fps, title=title)
    return FORMATS[fmt](list(frames) + extra, path, fps=fps)
