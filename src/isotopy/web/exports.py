"""What a tab exports: the current animation as GIF / MP4, the shown network's weights, the
points. Each is made in memory and handed to the server as a ``download`` reply (its bytes,
media type and a file name the server made; :mod:`.downloads` keeps it within quotas)."""

from __future__ import annotations

import json

__all__ = ["export_message", "weights_bytes"]


def weights_bytes(session) -> bytes:
    """The shown network's parameters as safetensors, with its config, step and state as
    metadata."""
    from safetensors.torch import save

    net, state = session.view_net(), session.shown_state()
    meta = {
        "network": json.dumps(net.config()),
        "step": str(state["step"]),
        "state": state["label"],
        "data": json.dumps(session.data.info),
    }
    return save({k: v.contiguous() for k, v in net.state_dict().items()}, meta)


def export_message(session, msg) -> dict:
    """The ``download`` reply to an ``export`` message. File names say what they hold:
    ``isotopy-isotopy-step120.gif``, ``isotopy-weights-readable-step40.safetensors``,
    ``isotopy-data.csv``."""
    if msg.what in ("gif", "mp4"):
        from .animation import animation_bytes

        data = animation_bytes(
            session,
            msg.kind,
            msg.what,
            frames=msg.frames,
            fps=msg.fps,
            size=msg.size,
            progress=session.progress,
        )
        media = "image/gif" if msg.what == "gif" else "video/mp4"
        name = f"isotopy-{msg.kind}-{session.shown.file_tag()}.{msg.what}"
    elif msg.what == "weights":
        data, media = weights_bytes(session), "application/octet-stream"
        name = f"isotopy-weights-{session.shown.file_tag()}.safetensors"
    else:
        data, media = session.data.csv().encode(), "text/csv"
        name = "isotopy-data.csv"
    return {"type": "download", "what": msg.what, "filename": name, "media": media, "bytes": data}
