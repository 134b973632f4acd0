// The form controls of the left column: the menus filled from the server's registry, the data
// set's parameters, the network and training fields, the click-class radios, and the messages
// each sends. Every field is sent as typed: the server refuses what it cannot use with one
// sentence, and its replies put the values in use back into the fields.
import { $, COLORS, intOr, numField } from "./util.js";
import { showError } from "./notice.js";
import { send } from "./transport.js";
import { animFrames, closeAnimation } from "./animation.js";
import { showStatus } from "./header.js";
import { buildFeatures, defaultNoise, featuresInUse, readFeatures, readNoise, readRegularization,
  readTestShare, showFeatures, showNoise, showTestShare } from "./playground.js";

// the page's state: registry, data, network, status, edits, csv, sentTrain
let S = null;

export function initControls(state) { S = state; }

// the menus and limits from the server's registry
export function buildControls() {
  const r = S.registry;
  const ds = $("dataset"); ds.innerHTML = "";
  for (const d of r.datasets) ds.add(new Option(d.name.replace(/_/g, " "), d.name));
  const act = $("activation"); act.innerHTML = "";
  for (const a of r.activations) {
    act.add(new Option(a.name + (a.homeomorphism ? "" : " (not injective)"), a.name));
  }
  const opt = $("optimizer"); opt.innerHTML = "";
  for (const o of r.optimizers) opt.add(new Option(o, o));
  // L1 and L2 have their own control (regularization and rate), as in Playground
  const penalties = r.penalties.filter((name) => name !== "l1" && name !== "l2");
  if (penalties.length) {
    const p = $("penalty"); p.innerHTML = ""; p.add(new Option("none", "none"));
    for (const name of penalties) p.add(new Option(name, name));
    $("penalty-row").hidden = false; $("penalty-weight-row").hidden = false;
  }
  if (r.features) buildFeatures(r.features);
  $("n").max = r.limits.max_points;
  $("anim-frames").max = r.limits.max_frames;
}

export function datasetSpec(name) { return S.registry.datasets.find((d) => d.name === name); }

// one field per parameter of data set `name`, holding `values` (or the defaults); the noise
// has its slider (off for data sets without one)
export function showParams(name, values) {
  const spec = datasetSpec(name);
  $("dataset-summary").textContent = spec.summary;
  const noise = defaultNoise(spec);
  showNoise(noise === null ? null : values && values.noise !== undefined ? values.noise : noise);
  const box = $("params"); box.innerHTML = "";
  for (const [k, def] of Object.entries(spec.params)) {
    if (k === "noise") continue;
    const lab = document.createElement("label");
    lab.textContent = k.replace(/_/g, " ");
    const inp = document.createElement("input");
    inp.type = "number"; inp.dataset.param = k;
    inp.step = Number.isInteger(def) ? "1" : "0.01";
    inp.value = values && values[k] !== undefined ? values[k] : def;
    inp.addEventListener("change", regenerate);
    lab.appendChild(inp); box.appendChild(lab);
  }
}

export function readParams() {
  const out = {};
  for (const inp of $("params").querySelectorAll("input")) {
    const v = parseFloat(inp.value);
    if (Number.isFinite(v)) out[inp.dataset.param] = v;
  }
  return out;
}

// a new sample of the chosen data set (point edits and an uploaded file are dropped)
export function regenerate() {
  S.edits = []; S.csv = null;
  const seed = numField("data-seed");
  const msg = { type: "set_data", dataset: $("dataset").value, params: readParams(),
    n: numField("n"), seed: seed === null ? 0 : seed, test_size: readTestShare() };
  const noise = readNoise();
  if (noise !== null) msg.noise = noise;
  send(msg);
}

// after a refused message, show again the values the server uses
export function restoreFields(request) {
  if (request === "set_network" && S.network) {
    $("hidden").value = S.network.hidden.join(",");
    $("activation").value = S.network.activation; $("net-seed").value = S.network.seed;
    showFeatures(featuresInUse());
  } else if ((request === "set_data" || request === "upload_csv") && S.data &&
      S.data.info.dataset) {
    const info = S.data.info;
    $("dataset").value = info.dataset;
    showParams(info.dataset, { ...datasetSpec(info.dataset).params, ...info.params,
      ...(info.noise !== undefined && info.noise !== null ? { noise: info.noise } : {}) });
    $("n").value = info.n; $("data-seed").value = info.seed;
    showTestShare(info.test_size);
  } else if (request === "upload_csv" && S.data) {
    setUploadedMenu();
  } else if (request === "animate" || request === "export") {
    $("anim-frames").value = animFrames();
  }
  if (S.status) showStatus(S.status, true);
}

export function parseHidden(text) {
  const t = text.trim();
  if (!t) return [];
  return t.split(/[ ,]+/).map((s) =>
    (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) ? Number(s) : NaN));
}

export function buildNetwork() {
  S.widthsTyped = false;  // sent: the reply's widths are these
  const hidden = parseHidden($("hidden").value);
  if (hidden.some((w) => Number.isNaN(w))) {
    showError("hidden widths must be whole numbers separated by commas, such as 2,2,2");
    return;
  }
  closeAnimation();
  const seed = numField("net-seed");
  const msg = { type: "set_network", hidden, activation: $("activation").value,
    seed: seed === null ? 0 : seed };
  const features = readFeatures();  // absent: the plain (x1, x2) input
  if (features) msg.features = features;
  send(msg);
}

// one more hidden layer (as wide as the last), up to the server's depth limit
export function addLayer() {
  const h = parseHidden($("hidden").value);
  if (h.length >= S.registry.limits.max_depth) return;
  h.push(h.length ? h[h.length - 1] : 2); $("hidden").value = h.join(","); buildNetwork();
}

export function removeLayer() {
  const h = parseHidden($("hidden").value); h.pop();
  $("hidden").value = h.join(","); buildNetwork();
}

export function resetNetwork() {
  closeAnimation(); send({ type: "reset", seed: intOr($("net-seed").value, 0) });
}

export function sendTrain() {
  // every field as typed: the server refuses what it cannot use, and its status reply puts
  // the values in use back into the fields
  const msg = { type: "set_train", optimizer: $("optimizer").value,
    speed: parseInt($("speed").value, 10) };
  const lr = numField("lr"), batch = numField("batch");
  if (lr !== null) msg.lr = lr; else if (S.status) $("lr").value = S.status.lr;
  msg.batch_size = batch === null ? 0 : batch;
  if (!$("penalty-row").hidden) {
    msg.penalty = $("penalty").value;
    const w = numField("penalty-weight");
    msg.penalty_weight = w === null ? 0 : w;
  }
  Object.assign(msg, readRegularization());
  S.sentTrain = { lr: msg.lr, batch: msg.batch_size, optimizer: msg.optimizer,
    speed: msg.speed, penalty: msg.penalty, "penalty-weight": msg.penalty_weight,
    reg: msg.regularization, "reg-rate": msg.reg_rate };
  for (const k of Object.keys(S.sentTrain)) if (S.sentTrain[k] === undefined) delete S.sentTrain[k];
  send(msg);
}

// one radio per class of the data (at most max_classes, 10: the page colours and names that
// many), for the class a click adds
export function setClassChoices(n) {
  const row = $("click-classes");
  const have = row.querySelectorAll("input[name=cls]");
  if (have.length === n) return;
  const checked = row.querySelector("input[name=cls]:checked");
  const keep = checked ? Math.min(parseInt(checked.value, 10), n - 1) : 0;
  for (const lab of row.querySelectorAll("label.cls")) lab.remove();
  for (let c = 0; c < n; c++) {
    const lab = document.createElement("label");
    lab.className = "cls";
    lab.style.color = COLORS[c % COLORS.length];
    const inp = document.createElement("input");
    inp.type = "radio"; inp.name = "cls"; inp.value = String(c); inp.checked = c === keep;
    lab.append(inp, ` ${String.fromCharCode(65 + c)}`);
    row.appendChild(lab);
  }
}

export function setUploadedMenu() {  // the menu names the uploaded file while its points are shown
  const ds = $("dataset");
  let up = ds.querySelector("option[value='__csv']");
  if (!up) { up = new Option("", "__csv"); ds.add(up, 0); }
  up.textContent = `uploaded: ${S.csv ? S.csv.name : "CSV"}`;
  ds.value = "__csv";
  $("params").innerHTML = "";
  const n = S.data ? S.data.n_train + (S.data.labels.length - S.data.n_train) : "";
  $("dataset-summary").textContent = `${n} points from an uploaded CSV file`;
}
