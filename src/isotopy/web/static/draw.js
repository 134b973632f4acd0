// Drawing a scene (points, the image of the grid, the read-out's boundary, the decision
// field) on a canvas, in 1-D and 2-D here and in 3-D through draw3d.js. The functions take
// everything they draw as arguments; nothing here holds state.
import { COLORS, GRID, REGION } from "./util.js";
import { markPoint, pointRadius, setupCanvas, shownPoints, view2d } from "./canvas.js";
import { draw3d } from "./draw3d.js";

// the colour of a field value p (0..1): the probability of B shaded between the regions'
// colours, or a class; `flat`: the class alone (the probability rounded), in its region colour
function fieldColour(p, kind, labelsN, flat) {
  if (kind === "probability" && !flat) {
    return [0, 1, 2].map((q) => REGION[0][q] * (1 - p) + REGION[1][q] * p);
  }
  if (kind === "probability") return REGION[p >= 0.5 ? 1 : 0];
  const cls = Math.round(p * Math.max(labelsN - 1, 1));
  const hex = COLORS[cls % COLORS.length];
  return [1, 3, 5].map((q) => 255 - 0.25 * (255 - parseInt(hex.substr(q, 2), 16)));
}

function drawField(ctx, v, field, labelsN, flat) {
  const n = field.vals.length, res = Math.round(Math.sqrt(n));
  const img = new ImageData(res, res);
  for (let i = 0; i < res; i++) {      // row i of the field is y index i (bottom to top)
    for (let j = 0; j < res; j++) {
      const c = fieldColour(field.vals[i * res + j] / 255, field.kind, labelsN, flat);
      const k = ((res - 1 - i) * res + j) * 4;
      img.data[k] = c[0]; img.data[k + 1] = c[1]; img.data[k + 2] = c[2]; img.data[k + 3] = 255;
    }
  }
  const off = document.createElement("canvas"); off.width = res; off.height = res;
  off.getContext("2d").putImageData(img, 0, 0);
  const b = field.bounds;
  const [x0, y0] = v.to(b[0][0], b[1][1]), [x1, y1] = v.to(b[1][0], b[0][1]);
  ctx.imageSmoothingEnabled = !flat;  // flat regions keep their edges sharp
  ctx.drawImage(off, x0, y0, x1 - x0, y1 - y0);
  ctx.imageSmoothingEnabled = true;
}

function drawField1d(ctx, v, field, labelsN, flat) {
  const vals = field.vals, n = vals.length, b = field.bounds;
  for (let i = 0; i < n; i++) {
    const x0 = b[0][0] + (b[1][0] - b[0][0]) * i / n;
    const x1 = b[0][0] + (b[1][0] - b[0][0]) * (i + 1) / n;
    const c = fieldColour(vals[i] / 255, field.kind, labelsN, flat).map(Math.round);
    ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`;
    const [px0] = v.to(x0, 0), [px1] = v.to(x1, 0);
    ctx.fillRect(px0, 0, px1 - px0 + 1, ctx.canvas.height);
  }
}

function drawPoints2d(ctx, v, sc, c) {
  // a view computed just before the data changed may be one point short or long: draw both
  const pts = sc.pts.data, labels = sc.labels, d = sc.dim;
  const all = Math.min(labels.length, Math.floor(pts.length / d)), r = pointRadius(c, all);
  const n = shownPoints(sc, all);
  for (let i = 0; i < n; i++) {
    const x = pts[i * d], y = d > 1 ? pts[i * d + 1] : jitter(i, labels[i]);
    const [px, py] = v.to(x, y);
    const test = sc.nTrain !== undefined && i >= sc.nTrain;
    markPoint(ctx, px, py, test ? r * 0.9 : r, COLORS[labels[i] % COLORS.length], test);
  }
}

function jitter(i, lab) {  // 1-D data: each class on its own band, spread for visibility
  const h = Math.sin(i * 12.9898) * 43758.5453;
  return (lab === 0 ? 0.35 : -0.35) + 0.25 * (h - Math.floor(h) - 0.5);
}

function drawGrid2d(ctx, v, grid, d, c) {
  const [L, P] = grid.shape; const g = grid.data;
  ctx.strokeStyle = GRID; ctx.lineWidth = Math.max(0.8, c.width / 600);
  for (let l = 0; l < L; l++) {
    ctx.beginPath();
    for (let p = 0; p < P; p++) {
      const k = (l * P + p) * d;
      const [px, py] = v.to(g[k], g[k + 1]);
      if (p === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    }
    ctx.stroke();
  }
}

function drawGrid1d(ctx, v, grid) {  // the image of evenly spaced input points: ticks show stretch
  const g = grid.data; const P = grid.shape[1];
  ctx.strokeStyle = GRID; ctx.lineWidth = 1;
  for (let p = 0; p < P; p += 2) {
    const [px, py] = v.to(g[p], 0);
    ctx.beginPath(); ctx.moveTo(px, py - 8); ctx.lineTo(px, py + 8); ctx.stroke();
  }
  const [a0, y0] = v.to(g[0], 0), [a1] = v.to(g[P - 1], 0);
  ctx.beginPath(); ctx.moveTo(a0, y0); ctx.lineTo(a1, y0); ctx.stroke();
}

function drawSeparator2d(ctx, v, sep, d) {
  if (!sep) return;
  ctx.strokeStyle = "#111"; ctx.lineWidth = 2.2; ctx.setLineDash([]);
  ctx.beginPath();
  if (d === 1) {
    const [px] = v.to(sep[0], 0);
    ctx.moveTo(px, 0); ctx.lineTo(px, ctx.canvas.height);
  } else {
    const [x0, y0] = v.to(sep[0][0], sep[0][1]), [x1, y1] = v.to(sep[1][0], sep[1][1]);
    ctx.moveTo(x0, y0); ctx.lineTo(x1, y1);
  }
  ctx.stroke();
}

// a box for 1-D scenes: x from the data, y a fixed band for the two classes
function box2(bounds, d) { return d === 1 ? [[bounds[0][0], -0.8], [bounds[1][0], 0.8]] : bounds; }

// Draws sc: {dim, pts:{data}, labels, grid:{shape,data}, bounds, separator, fieldData,
// nTrain, nClasses, showTest, flat}: the points after the first nTrain are test points, drawn
// only when showTest; flat draws the decision field in flat class colours. `rot` holds each
// canvas's 3-D rotation (by canvas id). Returns the 2-D view (to map clicks back to data
// coordinates), or null for a 3-D scene.
export function drawScene(c, sc, rot) {
  const ctx = setupCanvas(c);
  if (sc.dim === 3) return draw3d(c, ctx, sc, rot);
  const v = view2d(c, box2(sc.bounds, sc.dim));
  const classes = sc.nClasses || 2;
  if (sc.fieldData && sc.dim === 2) drawField(ctx, v, sc.fieldData, classes, !!sc.flat);
  if (sc.fieldData && sc.dim === 1) drawField1d(ctx, v, sc.fieldData, classes, !!sc.flat);
  if (sc.dim === 2) drawGrid2d(ctx, v, sc.grid, 2, c); else drawGrid1d(ctx, v, sc.grid);
  drawSeparator2d(ctx, v, sc.separator, sc.dim);
  drawPoints2d(ctx, v, sc, c);
  return v;
}
