// The input view (the data, its decision regions, clicks) and the stage view (the
// representation chosen in its menu), with their captions; redrawAll draws every panel.
import { $ } from "./util.js";
import { clearCanvas, setupCanvas } from "./canvas.js";
import { drawScene } from "./draw.js";
import { drawCurves } from "./curves.js";
import { drawAnim } from "./animation.js";
import { drawDiagram } from "./diagram.js";

// the page's state: data, inputField, stage, status, shown, inputNote, coarse, rot, showTest
// and discretize (how points and regions are drawn); drawInput sets inputView (the input
// canvas's map, to read clicks)
let S = null;

export function initViews(state) { S = state; }

export const COARSE_NOTE = "(coarser view while many tabs train on this server: fewer grid " +
  "vertices and region pixels; accuracy and edge fractions refreshed about twice a second)";

export function redrawAll() {
  drawInput(); drawStage(); drawAnim(); drawCurves($("curves-canvas"), S.curves);
  drawDiagram();
}

// the data as a scene in its own coordinates, with a regular grid and the decision field
// (1-D to 3-D data; null for wider data or none)
function inputScene() {
  const d = S.data; if (!d) return null;
  const dom = d.domain, dim = d.d;
  const sc = { dim: Math.min(dim, 3), pts: { data: d.pts }, labels: d.labels, bounds: dom,
    separator: null, nTrain: d.n_train, nClasses: d.n_classes, showTest: S.showTest,
    flat: S.discretize };
  if (dim > 3) return null;
  sc.grid = regularGrid(dom, dim);
  if (S.inputField && dim <= 2) sc.fieldData = S.inputField;
  return sc;
}

// grid lines along each axis of box b, as {shape: [lines, 2, dim], data}
function regularGrid(b, dim) {
  const lines = dim === 2 ? 17 : dim === 3 ? 5 : 1, P = 2;
  if (dim === 1) return { shape: [1, 2, 1], data: new Float32Array([b[0][0], b[1][0]]) };
  const out = [];
  const tick = (j, i) => b[0][j] + (b[1][j] - b[0][j]) * i / (lines - 1);
  for (let axis = 0; axis < dim; axis++) {
    const others = [...Array(dim).keys()].filter((j) => j !== axis);
    const combos = dim === 2 ? [...Array(lines).keys()].map((i) => [i])
      : [].concat(...[...Array(lines).keys()].map((i) =>
        [...Array(lines).keys()].map((k) => [i, k])));
    for (const cmb of combos) {
      for (let p = 0; p < P; p++) {
        const v = new Array(dim);
        v[axis] = b[p][axis];
        others.forEach((j, q) => { v[j] = tick(j, cmb[q]); });
        out.push(...v);
      }
    }
  }
  return { shape: [out.length / (P * dim), P, dim], data: new Float32Array(out) };
}

export function drawInput() {
  const c = $("input-canvas");
  const sc = inputScene();
  if (!sc) {
    const ctx = setupCanvas(c);
    if (S.data) {
      ctx.fillStyle = "#66707c"; ctx.font = `${Math.round(14 * c.width / 440)}px system-ui`;
      ctx.textAlign = "center";
      ctx.fillText(`${S.data.d}-D input: see the stage view`, c.width / 2, c.height / 2);
      ctx.textAlign = "left";
    }
    return;
  }
  if (S.data.d === 1) {
    sc.grid = { shape: [1, 2, 1], data: new Float32Array([sc.bounds[0][0], sc.bounds[1][0]]) };
  }
  S.inputView = drawScene(c, sc, S.rot);
}

export function drawStage() {
  const c = $("stage-canvas");
  const st = S.status ? S.status.stage : 0;
  const sc0 = st === 0 && S.data && S.data.d <= 3 ? inputScene() : null;
  if (sc0 || !S.stage) {
    c.classList.toggle("rot", !!sc0 && sc0.dim === 3);
    if (sc0) drawScene(c, sc0, S.rot); else clearCanvas(c);
    $("stage-note").textContent = sc0 ? "the input space (choose a stage above)" : "";
    return;
  }
  const sc = S.stage;
  c.classList.toggle("rot", sc.dim === 3);
  drawScene(c, { dim: sc.dim, pts: sc.pts, labels: S.data.labels, grid: sc.grid,
    bounds: sc.bounds, separator: sc.separator, fieldData: sc.fieldData,
    nTrain: S.data.n_train, nClasses: S.data.n_classes, showTest: S.showTest,
    flat: S.discretize }, S.rot);
  const notes = [];
  if (sc.edge !== undefined && sc.edge !== null) {
    notes.push(`edge fraction ${sc.edge.toFixed(2)}`);
  }
  if (sc.meta && sc.meta.swapped) {
    notes.push("units swapped where det W < 0, as in the animations and static views");
  }
  if (sc.separator) notes.push("black: where the read-out changes its answer");
  if (sc.meta && sc.meta.projection) notes.push(`shown through the ${sc.meta.projection}`);
  if (S.coarse) notes.push(COARSE_NOTE);
  const title = sc.title.replace(/\n/g, " — ");
  $("stage-note").textContent = `${title}${notes.length ? " — " + notes.join("; ") : ""}`;
  $("stage-note").title = $("stage-note").textContent;
}

// the input view's caption: the state its decisions come from, what it shows, and a note
// when the server sends coarser views
export function setInputNote() {
  const st = S.shown && S.data && S.data.dim <= 2 ? `Decisions of the ${S.shown.label}. ` : "";
  $("input-note").textContent = st + (S.inputNote || "") + (S.coarse ? " " + COARSE_NOTE : "");
  $("input-note").title = $("input-note").textContent;
}
