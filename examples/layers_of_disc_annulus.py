"""Train 2- and 3-unit networks on a disc inside an annulus and save every layer's picture.

Run: python examples/layers_of_disc_annulus.py  (writes disc_annulus_h2.png, _h3.png)
"""

import matplotlib

matplotlib.use("Agg")

from isotopy import train_run  # noqa: E402
from isotopy.render import plot_layer_strip  # noqa: E402

for width in (2, 3):
    run = train_run("disc_annulus", hidden=(width,), seed=0)
    print(run)
    fig = plot_layer_strip(run.net, run.X, run.y)
    fig.savefig(f"disc_annulus_h{width}.png", dpi=110)
