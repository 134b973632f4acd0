"""k-NN in place of softmax: test-time k-NN and a network trained for k-NN.

Runs :func:`isotopy.experiments.knn.knn_experiment` on MNIST where it is present (the folder
in ``$ISOTOPY_MNIST_DIR``, which ``isotopy reproduce --mnist-dir DIR`` sets: 8,000 training and
2,000 test images) and on scikit-learn's digits otherwise, and reports the test errors
(mean ± sd over seeds), McNemar's test between the softmax read-out and k-NN on the same
network, and the verdict of :func:`~isotopy.experiments.verdicts.difference_verdict`: on
digits one test image is 0.22 points, more than the essay's effect, so the verdict there is
"not resolved" unless the effect is larger than that.
"""

from __future__ import annotations

TITLE = "k-nearest-neighbour layers"


def build(ctx) -> str:
    import os

    from ...experiments.knn import knn_experiment, summary_rows
    from ...experiments.verdicts import Verdict

    seeds = 1 if ctx.quick else 3
    mnist = os.environ.get("ISOTOPY_MNIST_DIR")
    data = "mnist" if mnist and not ctx.quick else "digits"
    extra = {"mnist_dir": mnist, "n_train": 8000, "n_test": 2000} if data == "mnist" else {}
    ctx.say(f"training conv nets on {data} ({seeds} seeds)")
    res = knn_experiment(data, seeds=seeds, seed=ctx.seed, quick=ctx.quick, **extra)
    ctx.record("data", data)
    for k, v in res["errors"].items():
        ctx.record(f"{k}.test_error", v)
        ctx.record(f"{k}.mean", res["mean"][k])
        ctx.record(f"{k}.sd", res["sd"][k])
    pooled = res["mcnemar"]["pooled"]
    ctx.record("mcnemar_pooled_p", pooled["p"])
    ctx.record("mcnemar_per_seed", res["mcnemar"]["per_seed"])
    m, sd = res["mean"], res["sd"]
    v = Verdict(**res["verdict"])
    cfg = res["config"]
    setting = (
        f"{data}, {res['n_train']} training / {res['n_test']} test images, conv net, "
        f"{res['epochs']:.0f} passes over the training set, {len(res['seeds'])} "
        f"seeds, k = {res['k']}"
    )
    ctx.claim(
        'Dropping the final softmax layer and using k-NN "consistently" reduces test '
        "error by 0.1-0.2% (the essay, on MNIST nets at ~1%)",
        f"softmax {100 * m['softmax']:.2f}% ± {100 * sd['softmax']:.2f}, k-NN "
        f"{100 * m['knn_penultimate']:.2f}% ± {100 * sd['knn_penultimate']:.2f}; "
        f"{v.measured}",
        None if ctx.quick else v.agrees,
        verdict=v,
        setting=setting,
    )
    ctx.record("verdict", res["verdict"])
    ctx.record("seconds", res["seconds"])
    ctx.record("seconds_per_seed", res["seconds_per_seed"])
    ctx.record("cpu_seconds", res["cpu_seconds"])
    resolution = 100 / res["n_test"]
    err = 100 * m["knn_trained"]
    gap = 100 * (m["knn_trained"] - m["softmax"])
    ctx.claim(
        "A network can be trained directly for k-NN classification, each mini-batch "
        "element classified by the others (the essay: it works, at 4-5% test error on "
        "MNIST, worse than softmax)",
        f"NCA-form k-NN head {err:.2f}%"
        + (
            f", essay's 1/distance head {100 * m['knn_trained_essay']:.2f}%"
            if "knn_trained_essay" in m
            else ""
        )
        + f"; softmax {100 * m['softmax']:.2f}% (the k-NN head is "
        + ("worse" if gap > resolution else "not worse")
        + " than softmax here)",
        None if ctx.quick else (True if err < 10 else (False if err >= 20 else None)),
        setting=setting,
        resolution=f"one test image = {resolution:.2f} points",
        rule="agrees if the k-NN-trained network's mean test error is below 10% (it "
        "trains and classifies, as the essay found); differs at 20% or more; not "
        "resolved in between",
    )
    table = ctx.table(["classifier", "test error % (mean ± sd)", "per seed"], summary_rows(res))
    seeds_p = "; ".join(
        f"seed {s}: {r['only_a']} vs {r['only_b']}, p = {r['p']:.3g}"
        for s, r in zip(res["seeds"], res["mcnemar"]["per_seed"], strict=True)
    )
    return (
        f"<p>A small conv net (two 3x3 conv layers with {cfg['channels'][0]} and "
        f"{cfg['channels'][1]} channels, each followed by relu and 2x2 max-pooling, a "
        f"hidden fully connected layer of {cfg['hidden']} relu units, no dropout) on "
        f"{'MNIST' if data == 'mnist' else 'scikit-learn' + chr(39) + 's 8x8 digits'}: "
        f"{res['n_train']} training and {res['n_test']} test "
        f"images, {res['epochs']:.0f} passes ({res['steps']} Adam steps) at "
        f"batch {cfg['batch_size']}, seeds "
        f"{res['seeds']}. k-NN uses k = {res['k']} neighbour(s) (chosen on validation runs "
        f"with other splits and seeds) among the training images; (c) is trained with "
        f"the k-NN head in its neighbourhood-components form (temperature "
        f"{cfg['temperature']}), (c'){'' if cfg['essay_head'] else ', when run,'} with "
        f"the essay's 1/distance in-batch form, "
        f"softened to 1/sqrt(d² + ε²) with ε 1% of the root-mean-square distance (with "
        f"plain 1/d the loss does not come down: near-coincident points get unbounded "
        f"weights and gradients).</p>{table}"
        f"<p>McNemar's exact test, (a) vs (b), images only (a) gets right vs only (b): "
        f"{seeds_p}; pooled over seeds {pooled['only_a']} vs {pooled['only_b']}, "
        f"p = {pooled['p']:.3g}.</p>{_settings_note(res, data)}"
    )


def _settings_note(res, data) -> str:
    """Where the number of passes comes from, what was left out, and the time it took."""
    cfg = res["config"]
    n = len(res["seeds"])
    timing = (
        f"Time: {res['seconds']} s for {n} seed{'s' if n > 1 else ''} (trained together as one "
        f"batched program), {res['seconds_per_seed']} s per seed; CPU time "
        f"{res['cpu_seconds']} s on {res['torch_threads']} torch thread(s)."
    )
    if data != "mnist":
        why = (
            f"{res['epochs']:.0f} passes: on digits the test errors of (a) and (b) stopped "
            f"improving by then (validation runs, other split and seeds)."
        )
        return f"<p>{why} {timing}</p>"
    why = (
        f"MNIST settings: {res['n_train']} training / {res['n_test']} test images, "
        f"{res['epochs']:.0f} passes ({res['steps']} Adam steps at batch {cfg['batch_size']}, "
        f"lr {cfg['lr']}), channels {cfg['channels'][0]} and {cfg['channels'][1]}, hidden "
        f"{cfg['hidden']}. The passes come from digits learning curves with these widths and "
        f"this batch (validation split and seeds): the softmax test error came within 0.1 "
        f"point of its final level after 25 passes over 1,347 images and ~50 over 674; a "
        f"larger set needs fewer passes, so 20 passes over 8,000 MNIST images leave margin "
        f"(full-MNIST conv nets level off after about 10). A small conv net without dropout "
        f"on 8,000 MNIST images is expected at roughly 1.5-3% test error, above the essay's "
        f'~1% on the full 60,000, so the target "(a) at most 1.0%" is not expected to hold '
        f"here."
    )
    if not cfg.get("essay_head", True):
        why += (
            " (c') the essay's 1/distance head is not trained on MNIST here (a third "
            "network, half again the time); <code>isotopy experiment knn --data mnist "
            "--essay-head</code> runs it."
        )
    return f"<p>{why} {timing}</p>"
