// The loss and accuracy curves: the training loss per step (log scale) over the train and
// test evaluations, train solid and test dashed. drawCurves takes the canvas and the curves
// ({loss, acc, evals}) it draws; nothing here holds state.
import { setupCanvas } from "./canvas.js";

// tick values for [lo, hi]: about `count` round numbers
function niceTicks(lo, hi, count) {
  const span = Math.max(hi - lo, 1e-12), raw = span / Math.max(count, 1);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => st >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
  return out;
}

// a short label: 0.5, 12, 1.2k, 3e-5 (never cut to a tail of digits)
function shortNum(v) {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1e4) return a >= 1e6 ? `${+(v / 1e6).toPrecision(2)}M` : `${+(v / 1e3).toPrecision(3)}k`;
  if (a < 1e-2) return v.toExponential(0).replace("e-", "e−");
  return `${+v.toPrecision(2)}`;
}

// Draws the curves ({loss: per step, evals: [step, train acc, test acc, train loss, test
// loss]}) on canvas c: the loss panel above, the accuracy panel below.
export function drawCurves(c, curves) {
  const ctx = setupCanvas(c);
  const loss = curves.loss, ev = curves.evals;
  const g = layout(c, Math.max(loss.length, ev.length ? ev[ev.length - 1][0] : 1, 1));
  ctx.font = `${Math.round(11 * g.k)}px system-ui`; ctx.textBaseline = "middle";
  drawFrame(ctx, g);
  if (!loss.length && !ev.length) return;
  drawLoss(ctx, g, loss, ev);
  drawAccuracy(ctx, g, ev);
  ctx.textAlign = "left";
}

// where the two panels lie on canvas c, and X: a step to its x, up to `xmax` steps
function layout(c, xmax) {
  const W = c.width, H = c.height, k = window.devicePixelRatio || 1;
  const L = 46 * k, Rm = 10 * k, gap = 30 * k, top1 = 20 * k, bottomAxis = 30 * k;
  const hAll = H - top1 - gap - bottomAxis;
  const h1 = hAll * 0.55, top2 = top1 + h1 + gap, h2 = hAll - h1;
  return { W, k, L, Rm, top1, h1, top2, h2, xmax, X: (s) => L + (W - L - Rm) * s / xmax };
}

// the panels, their names, the step axis and the legend
function drawFrame(ctx, g) {
  const { W, k, L, Rm, top1, h1, top2, h2, X } = g;
  for (const [t, h, name] of [[top1, h1, "loss (log scale)"], [top2, h2, "accuracy"]]) {
    ctx.strokeStyle = "#e2e6ea"; ctx.lineWidth = 1; ctx.strokeRect(L, t, W - L - Rm, h);
    ctx.fillStyle = "#66707c"; ctx.textAlign = "left"; ctx.fillText(name, L, t - 9 * k);
  }
  // x ticks (steps) under both panels, labels under the lower one
  ctx.textAlign = "center";
  for (const v of niceTicks(0, g.xmax, Math.max(2, Math.floor((W - L) / (70 * k))))) {
    if (v !== Math.round(v)) continue;  // steps are whole numbers
    const x = X(v);
    ctx.strokeStyle = "#f0f2f4";
    for (const [t, h] of [[top1, h1], [top2, h2]]) {
      ctx.beginPath(); ctx.moveTo(x, t); ctx.lineTo(x, t + h); ctx.stroke();
    }
    ctx.fillStyle = "#66707c"; ctx.fillText(shortNum(v), x, top2 + h2 + 10 * k);
  }
  ctx.fillText("step", L + (W - L - Rm) / 2, top2 + h2 + 23 * k);
  // legend: train solid, test dashed
  const legend = [["#1d232b", "train", []], ["#e08a00", "test", [5 * k, 3 * k]]];
  ctx.textAlign = "left";
  legend.forEach(([col, name, dash], j) => {
    const x = W - Rm - (100 - j * 50) * k, y = top1 - 9 * k;
    ctx.strokeStyle = col; ctx.lineWidth = 2 * k; ctx.setLineDash(dash);
    ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 14 * k, y); ctx.stroke(); ctx.setLineDash([]);
    ctx.fillStyle = "#1d232b"; ctx.fillText(name, x + 18 * k, y);
  });
}

// the upper panel: the training loss per step and the test loss, on a log scale
function drawLoss(ctx, g, loss, ev) {
  const { W, k, L, Rm, top1, h1, X } = g;
  const n = loss.length;
  let lo = Infinity, hi = -Infinity;
  for (const v of loss) { if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
  for (const e of ev) {
    for (const v of [e[3], e[4]]) if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  }
  if (!Number.isFinite(lo)) { lo = 1e-3; hi = 1; }
  const span = Math.max(Math.log10(hi) - Math.log10(lo), 0.3);  // at least a factor of two
  const mid = (Math.log10(hi) + Math.log10(lo)) / 2;
  const llo = mid - span / 2 - 0.05, lhi = mid + span / 2 + 0.05;
  const Y1 = (v) => top1 + h1 * (1 - (Math.log10(Math.max(v, 1e-12)) - llo) /
    Math.max(lhi - llo, 1e-9));
  // y ticks of the loss: decades when the range is wide, else round values in between
  let ticks = [];
  for (let d = Math.ceil(llo); d <= Math.floor(lhi); d++) ticks.push(Math.pow(10, d));
  if (ticks.length < 2) {
    ticks = niceTicks(Math.pow(10, llo), Math.pow(10, lhi), 3).filter((v) => v > 0);
  }
  ctx.textAlign = "right";
  for (const v of ticks) {
    const y = Y1(v);
    ctx.strokeStyle = "#f0f2f4";
    ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(W - Rm, y); ctx.stroke();
    ctx.fillStyle = "#66707c"; ctx.fillText(shortNum(v), L - 4 * k, y);
  }
  const stride = Math.max(1, Math.floor(n / 800));
  // train under test: train solid and wider, test dashed on top, so both show where they meet
  ctx.lineWidth = 2.2 * k;
  line(ctx, n, stride, (i) => X(i + 1), (i) => Y1(loss[i]), "#1d232b");
  ctx.lineWidth = 1.6 * k; ctx.setLineDash([5 * k, 3 * k]);
  line(ctx, ev.length, 1, (i) => X(ev[i][0]), (i) => Y1(ev[i][4]), "#e08a00",
    (i) => ev[i][4] !== null);
  ctx.setLineDash([]);
}

// the lower panel: train and test accuracy at each evaluation
function drawAccuracy(ctx, g, ev) {
  const { W, k, L, Rm, top2, h2, X } = g;
  const Y2 = (v) => top2 + h2 * (1 - v);
  for (const v of [0, 0.5, 1]) {
    ctx.strokeStyle = "#f0f2f4";
    ctx.beginPath(); ctx.moveTo(L, Y2(v)); ctx.lineTo(W - Rm, Y2(v)); ctx.stroke();
    ctx.fillStyle = "#66707c"; ctx.fillText(v.toFixed(1), L - 4 * k, Y2(v));
  }
  ctx.lineWidth = 2.2 * k;
  line(ctx, ev.length, 1, (i) => X(ev[i][0]), (i) => Y2(ev[i][1]), "#1d232b");
  ctx.lineWidth = 1.6 * k; ctx.setLineDash([5 * k, 3 * k]);
  line(ctx, ev.length, 1, (i) => X(ev[i][0]), (i) => Y2(ev[i][2]), "#e08a00",
    (i) => ev[i][2] !== null);
  ctx.setLineDash([]);
}

function line(ctx, n, stride, fx, fy, color, ok) {
  ctx.strokeStyle = color; ctx.beginPath();
  let started = false;
  for (let i = 0; i < n; i += stride) {
    if (ok && !ok(i)) continue;
    const x = fx(i), y = fy(i);
    if (!started) { ctx.moveTo(x, y); started = true; } else ctx.lineTo(x, y);
  }
  ctx.stroke();
}
