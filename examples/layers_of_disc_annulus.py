"""Train 2- and 3-unit networks on a disc inside an annulus and save every layer's picture.

Run: python examples/layers_of_disc_annulus.py  (writes disc_annulus_h2.png, _h3.png)

``train_run`` trains as ``isotopy train`` does, with the edge penalty that keeps the hidden
points off the edges of the tanh square, so the final state is drawn (edge fraction printed).
"""

import matplotlib

matplotlib.use("Agg")

from isotopy import train_run  # noqa: E402
from isotopy.render import plot_layer_strip  # noqa: E402
from isotopy.train.readable import state_at  # noqa: E402

for width in (2, 3):
    run = train_run("disc_annulus", hidden=(width,), seed=0)
    state = state_at(run.net, run.history, run.X_train, run.y_train, "final", X_edge=run.X)
    print(run)
    print(state.describe())  # edge fraction: share of points on an edge of the tanh cube
    fig = plot_layer_strip(state.net, run.X, run.y, state=state.describe())
    fig.savefig(f"disc_annulus_h{width}.png", dpi=110)
