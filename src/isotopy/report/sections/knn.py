"""k-NN in place of softmax on digits: test-time k-NN and a network trained for k-NN.

Runs :func:`isotopy.experiments.knn.knn_experiment` on scikit-learn's digits and reports
the test errors (mean ± sd over seeds), McNemar's test between the softmax read-out and
k-NN on the same network, and the targets.
"""

from __future__ import annotations

TITLE = "k-nearest-neighbour layers"


def build(ctx) -> str:
    from ...experiments.knn import knn_experiment, summary_rows

    seeds = 1 if ctx.quick else 3
    ctx.say(f"training conv nets on digits ({seeds} seeds)")
    res = knn_experiment("digits", seeds=seeds, seed=ctx.seed, quick=ctx.quick)
    for k, v in res["errors"].items():
        ctx.record(f"{k}.test_error", v)
        ctx.record(f"{k}.mean", res["mean"][k])
        ctx.record(f"{k}.sd", res["sd"][k])
    pooled = res["mcnemar"]["pooled"]
    ctx.record("mcnemar_pooled_p", pooled["p"])
    ctx.record("mcnemar_per_seed", res["mcnemar"]["per_seed"])
    m = res["mean"]
    ctx.claim("dropping the softmax and classifying the penultimate representation by k-NN "
              "does not hurt (the essay: 0.1-0.2% less error on MNIST)",
              f"digits: softmax {100 * m['softmax']:.2f}%, k-NN {100 * m['knn_penultimate']:.2f}%"
              f" (McNemar p = {pooled['p']:.2g})",
              None if ctx.quick else bool(m["knn_penultimate"] <= m["softmax"]))
    ctx.claim("a network can be trained directly for k-NN classification within the "
              "mini-batch (the essay reached 4-5% on MNIST)",
              f"digits: NCA-form k-NN head {100 * m['knn_trained']:.2f}%"
              + (f", essay's 1/distance head {100 * m['knn_trained_essay']:.2f}%"
                 if "knn_trained_essay" in m else ""),
              None if ctx.quick else bool(m["knn_trained"] - m["softmax"] <= 0.01))
    table = ctx.table(["classifier", "test error % (mean ± sd)", "per seed"],
                      summary_rows(res))
    seeds_p = "; ".join(f"seed {s}: {r['only_a']} vs {r['only_b']}, p = {r['p']:.3g}"
                        for s, r in zip(res["seeds"], res["mcnemar"]["per_seed"], strict=True))
    cfg = res["config"]
    return (f"<p>A small conv net (two 3x3 conv layers with {cfg['channels'][0]} and "
            f"{cfg['channels'][1]} channels, each followed by relu and 2x2 max-pooling, a "
            f"hidden fully connected layer of {cfg['hidden']} relu units, no dropout) on "
            f"scikit-learn's 8x8 digits: {res['n_train']} training and {res['n_test']} test "
            f"images, {cfg['steps']} Adam steps at batch {cfg['batch_size']}, seeds "
            f"{res['seeds']}. k-NN uses k = {res['k']} neighbour(s) (chosen on validation runs "
            f"with other splits and seeds) among the training images; (c) is trained with "
            f"the k-NN head in its neighbourhood-components form (temperature "
            f"{cfg['temperature']}), (c') with the essay's 1/distance in-batch form, "
            f"softened to 1/sqrt(d² + ε²) with ε 1% of the root-mean-square distance (with "
            f"plain 1/d the loss does not come down: near-coincident points get unbounded "
            f"weights and gradients).</p>{table}"
            f"<p>McNemar's exact test, (a) vs (b), images only (a) gets right vs only (b): "
            f"{seeds_p}; pooled over seeds {pooled['only_a']} vs {pooled['only_b']}, "
            f"p = {pooled['p']:.3g}.</p>")
