// The network drawn unit by unit, as TensorFlow Playground draws it: every unit of every
// layer (the inputs, the features, each hidden unit, the output) a small heatmap of its value
// over the input box, the layers in columns, the weights as lines (blue positive, red
// negative, thicker is larger) and each bias a small square on its unit. The server sends the
// values (`unit_views` messages, asked for with live: true while the panel is on screen);
// this module draws them, names each value on hover, opens a unit large on a click and hands
// clicks on a weight or a bias to the editor (diagram_edit.js).
import { $, COLORS, decode } from "./util.js";
import { markPoint, setupCanvas, view2d } from "./canvas.js";
import { send } from "./transport.js";
import { openEditor } from "./diagram_edit.js";

const SVG = "http://www.w3.org/2000/svg";
const RESOLUTION = 32;  // pixels a side of each unit's heatmap (as the server computes them)
const NEG = [214, 39, 40], POS = [31, 119, 180];  // class A red, class B blue (util.COLORS)
const HEAD = 16;  // pixels above the columns for their titles

// the page's state: data, network, status, units (the last unit_views, decoded), unitBig
// (the unit shown large, "layer:unit"), unitsLive (live views asked for)
let S = null;
let built = "";      // the structure the elements were made for (layers, units, weights)
let visible = false;

export function initDiagram(state) {
  S = state;
  const panel = $("diagram-panel");
  if ("IntersectionObserver" in window) {
    new IntersectionObserver((seen) => {
      visible = seen.some((e) => e.isIntersecting);
      askUnits();
    }).observe(panel);
  } else {
    visible = true;
  }
  $("diagram").addEventListener("click", onClick);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeBig(); });
}

// whether the unit views can be drawn for the present data (the heatmaps are over a plane)
function planar() { return !!S.data && S.data.d === 2; }

// asks the server for the unit views, live while the panel is on screen (again after a new
// network or data: the answer comes at once)
export function askUnits() {
  if (!S.ws || !S.data) return;
  const live = visible && planar();
  if (!live && !S.unitsLive) return;
  S.unitsLive = live;
  send({ type: "unit_views", resolution: RESOLUTION, live });
}

// a unit_views message from the server, its arrays decoded
export function onUnitViews(m) {
  const R = m.resolution;
  S.units = { ...m, layers: m.layers.map((l) => ({ ...l, vals: decode(l.values).data,
    n: l.ranges.length })), R };
  drawDiagram();
}

// ---------------------------------------------------------------------- words and colours
// a layer's name in words ("hidden 2 (tanh)"), or `short` ("h2") where columns are narrow
export function layerTitle(layer, k, short = false) {
  const words = { input: ["input", "in"], features: ["features", "feat"],
    output: ["output", "out"] }[layer.kind];
  if (words) return words[short ? 1 : 0];
  const hidden = S.units.layers.slice(0, k).filter((l) => l.kind === "hidden").length + 1;
  if (short) return `h${hidden}`;
  return `hidden ${hidden}${layer.activation ? ` (${layer.activation})` : ""}`;
}

export function unitName(k, u) {
  const layer = S.units.layers[k];
  const label = layer.labels && layer.labels[u] !== undefined ? layer.labels[u] : `unit ${u + 1}`;
  return layer.kind === "input" || layer.kind === "features" ? label
    : `${layerTitle(layer, k)}, ${label}`;
}

export const fmt = (v) => (Math.abs(v) >= 1e3 || (Math.abs(v) < 1e-3 && v !== 0)
  ? v.toExponential(2) : v.toFixed(3));

// the colour of t in [-1, 1]: white at 0, red toward -1, blue toward +1
function diverging(t) {
  const a = Math.min(1, Math.abs(t)), end = t < 0 ? NEG : POS;
  return end.map((c) => Math.round(255 + (c - 255) * a));
}

const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;

// the index of a layer's representation in the stage menu (by its stage name), or null
function layerStage(layer) {
  if (layer.stage !== undefined) return layer.stage;
  const st = S.network ? S.network.stages.find((s) => s.name === layer.name) : null;
  return st ? st.index : null;
}

// the largest |value| of a layer's units: one scale for the layer, so its units compare
function layerScale(layer) {
  let m = 0;
  for (const [lo, hi] of layer.ranges) m = Math.max(m, Math.abs(lo), Math.abs(hi));
  return m || 1;
}

// unit u of a layer as an R x R image (row 0 of the values at the bottom)
function unitImage(layer, u, R) {
  const img = new ImageData(R, R), [lo, hi] = layer.ranges[u], scale = layerScale(layer);
  const vals = layer.vals, base = u * R * R;
  const lut = [];
  for (let q = 0; q < 256; q++) lut.push(diverging((lo + (hi - lo) * q / 255) / scale));
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < R; c++) {
      const col = lut[vals[base + r * R + c]], k = ((R - 1 - r) * R + c) * 4;
      img.data[k] = col[0]; img.data[k + 1] = col[1]; img.data[k + 2] = col[2];
      img.data[k + 3] = 255;
    }
  }
  return img;
}

// ---------------------------------------------------------------------------- the layout
// where each unit lies in a box of w x h pixels: {s (its side), at[k][u] = [x, y] (top left)}
function layout(w, h) {
  const layers = S.units.layers, L = layers.length;
  const most = Math.max(...layers.map((l) => l.n));
  const s = Math.max(10, Math.floor(Math.min(84, (h - HEAD - 6) / (most * 1.22),
    w / (L * 1.9))));
  const span = L > 1 ? (w - 12 - s) / (L - 1) : 0;
  const at = layers.map((l, k) => {
    const gap = s * 0.22, total = l.n * s + (l.n - 1) * gap;
    const y0 = HEAD + Math.max(0, (h - HEAD - total) / 2);
    const x = Math.round(6 + k * span);
    return [...Array(l.n).keys()].map((u) => [x, Math.round(y0 + u * (s + gap))]);
  });
  return { s, at };
}

// the structure elements are made for: a change of any of it makes them anew
function structure() {
  const u = S.units;
  return u.layers.map((l) => `${l.kind}:${l.n}:${(l.labels || []).join("|")}`).join(";") +
    `/${u.weights.length}/${u.biases.length}/${u.R}`;
}

// ------------------------------------------------------------------------------- drawing
export function drawDiagram() {
  const box = $("diagram");
  if (!S.units || !planar()) {
    built = ""; S.unitBig = null;
    box.replaceChildren(placeholderText());
    $("diagram-scale").textContent = "";
    return;
  }
  const key = structure();
  if (key !== built) { build(box); built = key; S.unitBig = null; }
  place(box);
  paint();
  drawBig();
}

function placeholderText() {
  const p = document.createElement("p");
  p.className = "hint dempty";
  p.textContent = !S.data ? "" : S.data.d !== 2
    ? `The unit heatmaps are drawn over a plane; this data has ${S.data.d} feature` +
      `${S.data.d > 1 ? "s" : ""}: the stage views show each layer.`
    : "waiting for the network's unit views…";
  return p;
}

// the elements: an SVG of lines under one element per unit (a canvas, a bias square, a label)
function build(box) {
  const u = S.units;
  const svg = document.createElementNS(SVG, "svg");
  svg.id = "diagram-lines";
  for (const [k, layer] of u.layers.entries()) {
    if (layer.kind === "features") featureLinks(svg, k);
  }
  for (const w of u.weights) {
    const g = document.createElementNS(SVG, "g");
    g.dataset.weight = `${w.name}:${w.index.join(",")}`;
    g.classList.add("weight");
    const hit = document.createElementNS(SVG, "line"), line = document.createElementNS(SVG, "line");
    hit.classList.add("hit"); line.classList.add("wline");
    const title = document.createElementNS(SVG, "title");
    g.append(hit, line, title);
    svg.appendChild(g);
  }
  const parts = [svg];
  for (const [k, layer] of u.layers.entries()) {
    const head = document.createElement("div");
    head.className = "dhead"; head.dataset.layer = k;
    head.title = `${layerTitle(layer, k)}: click to show this layer in the stage view`;
    parts.push(head);
    for (let i = 0; i < layer.n; i++) parts.push(unitElement(layer, k, i));
  }
  for (const b of u.biases) {
    const el = document.createElement("div");
    el.className = "dbias"; el.dataset.bias = `${b.name}:${b.index.join(",")}`;
    parts.push(el);
  }
  const big = document.createElement("div");
  big.id = "unit-big"; big.hidden = true;
  const bigCanvas = document.createElement("canvas"); bigCanvas.id = "unit-big-canvas";
  const cap = document.createElement("p"); cap.id = "unit-big-note"; cap.className = "note";
  big.append(bigCanvas, cap);
  parts.push(big);
  box.replaceChildren(...parts);
}

function unitElement(layer, k, i) {
  const el = document.createElement("div");
  el.className = `dunit ${layer.kind}`; el.dataset.unit = `${k}:${i}`;
  const c = document.createElement("canvas");
  c.width = S.units.R; c.height = S.units.R;
  el.appendChild(c);
  if (layer.kind === "input" || layer.kind === "features") {
    const lab = document.createElement("span");
    lab.className = "dlabel"; lab.textContent = layer.labels[i];
    el.appendChild(lab);
  }
  return el;
}

// grey lines from the inputs to the features each reads (fixed maps, nothing to edit)
function featureLinks(svg, k) {
  const feats = S.units.layers[k], inputs = S.units.layers[k - 1];
  if (!inputs) return;
  feats.labels.forEach((label, i) => {
    inputs.labels.forEach((name, j) => {
      if (!new RegExp(`${name}(?![0-9])`).test(label)) return;
      const line = document.createElementNS(SVG, "line");
      line.classList.add("flink");
      line.dataset.from = `${k - 1}:${j}`; line.dataset.to = `${k}:${i}`;
      svg.appendChild(line);
    });
  });
}

// puts every element where the layout says (the panel's size may have changed)
function place(box) {
  const w = box.clientWidth, h = box.clientHeight;
  if (w <= 0 || h <= 0) return;
  const { s, at } = layout(w, h);
  const svg = $("diagram-lines");
  svg.setAttribute("width", w); svg.setAttribute("height", h);
  const end = (ku, right) => {
    const [k, u] = ku; const [x, y] = at[k][u];
    return [right ? x + s : x, y + s / 2];
  };
  const setLine = (line, a, b) => {
    line.setAttribute("x1", a[0]); line.setAttribute("y1", a[1]);
    line.setAttribute("x2", b[0]); line.setAttribute("y2", b[1]);
  };
  for (const line of svg.querySelectorAll("line.flink")) {
    setLine(line, end(line.dataset.from.split(":").map(Number), true),
      end(line.dataset.to.split(":").map(Number), false));
  }
  const groups = svg.querySelectorAll("g.weight");
  S.units.weights.forEach((wt, n) => {
    const a = end(wt.from, true), b = end(wt.to, false);
    for (const line of groups[n].querySelectorAll("line")) setLine(line, a, b);
  });
  const narrow = at.length > 1 && at[1][0][0] - at[0][0][0] < 96;
  for (const head of box.querySelectorAll(".dhead")) {
    const k = Number(head.dataset.layer);
    head.textContent = layerTitle(S.units.layers[k], k, narrow);
    head.style.left = `${at[k][0][0] + s / 2}px`;
  }
  for (const el of box.querySelectorAll(".dunit")) {
    const [k, u] = el.dataset.unit.split(":").map(Number);
    const [x, y] = at[k][u];
    Object.assign(el.style, { left: `${x}px`, top: `${y}px`, width: `${s}px`, height: `${s}px` });
  }
  const bs = Math.max(5, Math.round(s / 6));
  box.querySelectorAll(".dbias").forEach((el, n) => {
    const b = S.units.biases[n]; const [x, y] = at[b.layer][b.unit];
    Object.assign(el.style, { left: `${x - bs / 2}px`, top: `${y + s - bs / 2}px`,
      width: `${bs}px`, height: `${bs}px` });
  });
}

// the values: each unit's heatmap, each weight's line and each bias's square, with their titles
function paint() {
  const u = S.units, box = $("diagram");
  const units = box.querySelectorAll(".dunit");
  let n = 0;
  for (const [k, layer] of u.layers.entries()) {
    for (let i = 0; i < layer.n; i++, n++) {
      const el = units[n];
      el.firstChild.getContext("2d").putImageData(unitImage(layer, i, u.R), 0, 0);
      const [lo, hi] = layer.ranges[i];
      el.title = `${unitName(k, i)}: from ${fmt(lo)} to ${fmt(hi)} over the input box ` +
        "(click to enlarge)";
    }
  }
  paintWeights(box);
  const shown = S.status ? S.status.stage : null;
  for (const head of box.querySelectorAll(".dhead")) {
    const stage = layerStage(u.layers[Number(head.dataset.layer)]);
    head.classList.toggle("shown", stage !== null && stage === shown);
  }
  $("diagram-scale").textContent = `step ${u.step}`;
}

function paintWeights(box) {
  const u = S.units;
  const wmax = Math.max(1e-9, ...u.weights.map((w) => Math.abs(w.value)));
  const groups = box.querySelectorAll("g.weight");
  u.weights.forEach((w, n) => {
    const line = groups[n].querySelector("line.wline");
    line.setAttribute("stroke", rgb(w.value < 0 ? NEG : POS));
    line.setAttribute("stroke-width", (0.5 + 4.5 * Math.abs(w.value) / wmax).toFixed(2));
    groups[n].querySelector("title").textContent = `weight ${w.name}[${w.index.join(", ")}] = ` +
      `${fmt(w.value)}: ${unitName(...w.from)} → ${unitName(...w.to)} (click to edit)`;
  });
  const bmax = Math.max(1e-9, ...u.biases.map((b) => Math.abs(b.value)));
  box.querySelectorAll(".dbias").forEach((el, n) => {
    const b = u.biases[n];
    el.style.backgroundColor = rgb(diverging(0.25 * Math.sign(b.value) +
      0.75 * b.value / bmax));
    el.title = `bias ${b.name}[${b.index.join(", ")}] = ${fmt(b.value)} of ` +
      `${unitName(b.layer, b.unit)} (click to edit)`;
  });
}

// ------------------------------------------------------------------------------ clicking
function onClick(e) {
  if (!S.units) return;
  const w = e.target.closest("[data-weight]"), b = e.target.closest("[data-bias]");
  const unit = e.target.closest("[data-unit]");
  if (e.target.closest("#unit-big")) { closeBig(); return; }
  const head = e.target.closest(".dhead");
  if (head) {  // that layer in the stage view, beside the diagram
    const stage = layerStage(S.units.layers[Number(head.dataset.layer)]);
    if (stage !== null) send({ type: "view", stage });
    return;
  }
  if (w || b) {
    const el = w || b, name = w ? el.dataset.weight : el.dataset.bias;
    const p = (w ? S.units.weights : S.units.biases).find((q) =>
      `${q.name}:${q.index.join(",")}` === name);
    if (!p) return;
    const r = el.getBoundingClientRect();  // the editor opens below the weight or bias
    openEditor({ kind: w ? "weight" : "bias", name: p.name, index: p.index, value: p.value,
      what: w ? `${unitName(...p.from)} → ${unitName(...p.to)}` : `bias of ${unitName(p.layer,
        p.unit)}` }, r.left + r.width / 2, r.top + r.height / 2);
  } else if (unit) {
    S.unitBig = unit.dataset.unit;
    drawBig();
  }
}

function closeBig() {
  S.unitBig = null;
  const big = document.getElementById("unit-big");
  if (big) big.hidden = true;
}

// the unit opened by a click, over the whole panel, with the training points on it
function drawBig() {
  const big = document.getElementById("unit-big");
  if (!big || !S.unitBig) return;
  const [k, i] = S.unitBig.split(":").map(Number);
  const layer = S.units.layers[k];
  if (!layer || i >= layer.n) { closeBig(); return; }
  big.hidden = false;
  const c = $("unit-big-canvas"), R = S.units.R, box = S.units.box;
  const ctx = setupCanvas(c);
  const v = view2d(c, box, 0.02);
  const off = document.createElement("canvas"); off.width = R; off.height = R;
  off.getContext("2d").putImageData(unitImage(layer, i, R), 0, 0);
  const [x0, y0] = v.to(box[0][0], box[1][1]), [x1, y1] = v.to(box[1][0], box[0][1]);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, x0, y0, x1 - x0, y1 - y0);
  const d = S.data, r = 2.2 * c.width / 440;
  for (let p = 0; p < d.n_train; p++) {
    const [px, py] = v.to(d.pts[2 * p], d.pts[2 * p + 1]);
    markPoint(ctx, px, py, r, COLORS[d.labels[p] % COLORS.length], false);
  }
  const [lo, hi] = layer.ranges[i];
  $("unit-big-note").textContent = `${unitName(k, i)}, step ${S.units.step}: from ${fmt(lo)} ` +
    `to ${fmt(hi)} (red negative, blue positive) over x1 in [${fmt(box[0][0])}, ` +
    `${fmt(box[1][0])}], x2 in [${fmt(box[0][1])}, ${fmt(box[1][1])}], with the training ` +
    "points. Click to close.";
}
