"""The 1-D interval: one hidden layer of two units bends the line into a curve.

Run: python examples/interval_curve.py  (writes interval_h2.png)
"""

import matplotlib

matplotlib.use("Agg")

from isotopy import train_run  # noqa: E402
from isotopy.render import draw_scene  # noqa: E402
from isotopy.scene import stage_scene  # noqa: E402
from isotopy.topology.saturation import saturation_by_stage  # noqa: E402

run = train_run("interval", hidden=(2,), seed=0)  # with the edge penalty, as isotopy train
print(run, "edge fraction", saturation_by_stage(run.net, run.X))
scene = stage_scene(run.net, run.X, run.y, "tanh1", samples=400)
draw_scene(scene, figsize=(5, 5)).savefig("interval_h2.png", dpi=110)
