"""Benchmark: render a 60-frame layer morph (1,000 points, 30×30 grid) to GIF and MP4.

Compares isotopy's renderer (one reused figure, data swapped per frame, shared-palette GIF,
H.264 through imageio-ffmpeg) with a naive matplotlib ``FuncAnimation`` that clears the axes
and redraws each frame with ``draw_scene``, saved with matplotlib's Pillow / FFmpeg writers,
on the same frames in the same run. Run by hand:

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_animate.py [--repeat 3]

It prints frames per second of each pipeline (best of the repeats) and the ratios.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def naive(frames, path, fmt, fps):
    import imageio_ffmpeg
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter

    from isotopy.render import draw_scene

    matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    fig, ax = plt.subplots(figsize=(4.8, 5.44), dpi=100)

    def update(i):
        ax.clear()
        draw_scene(frames.scene(i), ax, point_size=6)
        return []

    anim = FuncAnimation(fig, update, frames=len(frames), blit=False)
    writer = PillowWriter(fps=fps) if fmt == "gif" else FFMpegWriter(fps=fps, codec="libx264")
    anim.save(path, writer=writer)
    plt.close(fig)


def fast(frames, path, fmt, fps):
    from isotopy.animate import Animation

    Animation(frames, fps=fps, size=480).save(path, fmt)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--frames", type=int, default=60)
    args = ap.parse_args()

    from isotopy.animate import morph_frames
    from isotopy.datasets import make_dataset
    from isotopy.nn import Network

    X, y = make_dataset("disc_annulus", args.points, seed=0)
    net = Network(2, (2,), "tanh", seed=1)
    t0 = time.perf_counter()
    frames = morph_frames(net, X, y, frames=args.frames, lines=30)
    t_frames = time.perf_counter() - t0
    print(
        f"scene: {args.points} points, 30x30 grid ({frames.grid.shape[1]} polylines of "
        f"{frames.grid.shape[2]} vertices), {len(frames)} frames; computing the frames "
        f"took {t_frames:.2f} s"
    )
    print(f"cores available: {os.cpu_count()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("gif", "mp4"):
            best = {}
            for name, fn in (("isotopy", fast), ("naive FuncAnimation", naive)):
                times = []
                for r in range(args.repeat):
                    path = os.path.join(tmp, f"{name[:5]}{r}.{fmt}")
                    t0 = time.perf_counter()
                    fn(frames, path, fmt, 20)
                    times.append(time.perf_counter() - t0)
                best[name] = min(times)
            fps_fast = len(frames) / best["isotopy"]
            fps_naive = len(frames) / best["naive FuncAnimation"]
            rows.append((fmt, fps_fast, fps_naive, fps_fast / fps_naive))
    print(f"{'format':<7}{'isotopy fps':>13}{'naive fps':>11}{'ratio':>8}")
    for fmt, a, b, r in rows:
        print(f"{fmt:<7}{a:>13.1f}{b:>11.1f}{r:>8.2f}")


if __name__ == "__main__":
    main()
