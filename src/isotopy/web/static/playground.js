// The controls TensorFlow Playground users look for, beside the explorer's own: the input
// features (the network's optional first stage), the data's noise and the share held out for
// testing, L1 / L2 regularization, and two ways of drawing the decision-region view (the test
// points shown or not; the regions in flat class colours). Each travels in the share link
// under its own key (feat, noise, test, reg, rate, showtest, disc).
import { $ } from "./util.js";

// the feature map's names (as the server takes them) and how the page writes them, until the
// server's registry lists them
const FEATURES = [["x1", "x1"], ["x2", "x2"], ["x1sq", "x1²"], ["x2sq", "x2²"],
  ["x1x2", "x1·x2"], ["sinx1", "sin x1"], ["sinx2", "sin x2"]];
const PLAIN = "x1,x2";  // the plain input: no feature stage
const FEATURES_HINT = "what the first layer reads: the plain coordinates, or any of these " +
  "functions of them (an extra stage before the hidden layers)";

// the page's state: registry, data, network, status, showTest, discretize, sentFeatures
// (features sent and not yet answered)
let S = null;

export function initPlayground(state) {
  S = state;
  buildFeatures(FEATURES.map(([name, label]) => ({ name, label })));
}

// one checkbox per feature of `list` ([{name, label}], the registry's), x1 and x2 ticked
export function buildFeatures(list) {
  const box = $("features");
  for (const lab of box.querySelectorAll("label")) lab.remove();
  for (const { name, label } of list) {
    const lab = document.createElement("label");
    const inp = document.createElement("input");
    inp.type = "checkbox"; inp.value = name; inp.checked = name === "x1" || name === "x2";
    lab.append(inp, ` ${label}`);
    box.appendChild(lab);
  }
}

// ------------------------------------------------------------------------------ features
// the features ticked, in the server's order; null for the plain (x1, x2) input. What is
// read is about to be sent: a status before the answer leaves the boxes as ticked.
export function readFeatures() {
  const on = [...$("features").querySelectorAll("input:checked")].map((e) => e.value);
  const out = on.join(",") === PLAIN ? null : on;
  S.sentFeatures = (out || []).join(",");
  return out;
}

// ticks the boxes of `names` (null or absent: x1 and x2)
export function showFeatures(names) {
  const want = new Set(names && names.length ? names : PLAIN.split(","));
  for (const inp of $("features").querySelectorAll("input")) inp.checked = want.has(inp.value);
}

// the features the server uses (its status echo, else the network reply)
export function featuresInUse() {
  if (S.status && S.status.features !== undefined) return S.status.features;
  return S.network ? S.network.features || null : null;
}

// the server's status: the features, noise, test share and the note on a feature map that
// is not an embedding, shown unless the reader is moving that control (`force`: after a
// refusal, every control shows what is in use)
export function showControls(m, force) {
  if (m.features !== undefined) {
    const now = (m.features || []).join(",");
    if (force || S.sentFeatures === undefined || S.sentFeatures === now) {
      showFeatures(m.features);
      delete S.sentFeatures;
    }
  }
  if (m.noise !== undefined && (force || document.activeElement !== $("noise"))) {
    showNoise(m.noise !== null ? m.noise : datasetNoise());
  }
  if (m.test_size !== undefined && (force || document.activeElement !== $("test-share"))) {
    showTestShare(m.test_size);
  }
  if (m.features_note !== undefined) {
    const note = $("features-note");
    note.textContent = m.features_note || "";
    note.hidden = !m.features_note;
    $("features").classList.toggle("folds", !!m.features_note);
    $("features").title = m.features_note || FEATURES_HINT;
  }
}

// feature maps read two coordinates: the boxes are off for other data
export function enableFeatures() {
  const planar = !S.data || S.data.d === 2;
  for (const inp of $("features").querySelectorAll("input")) inp.disabled = !planar;
  $("features").classList.toggle("off", !planar);
}

// --------------------------------------------------------------------- noise and split
// the data set's default noise, or null when it has none (the slider is then off)
export function defaultNoise(spec) {
  return spec && spec.params && typeof spec.params.noise === "number" ? spec.params.noise : null;
}

// the default noise of the data set shown (null for uploaded points, or none)
function datasetNoise() {
  const name = S.data && S.data.info.dataset;
  return name && S.registry ? defaultNoise(S.registry.datasets.find((d) => d.name === name))
    : null;
}

export function showNoise(value) {
  const on = value !== null && value !== undefined;
  $("noise").disabled = !on;
  if (on) $("noise").value = value;
  $("noise-val").textContent = on ? Number($("noise").value).toFixed(2) : "–";
}

// the noise slider's value, or null when it is off
export function readNoise() { return $("noise").disabled ? null : Number($("noise").value); }

export function showTestShare(fraction) {
  if (typeof fraction === "number" && fraction > 0) {
    $("test-share").value = Math.round(fraction * 100);
  }
  $("test-val").textContent = `${$("test-share").value} %`;
}

export function readTestShare() { return Number($("test-share").value) / 100; }

// ------------------------------------------------------------------------ regularization
export function readRegularization() {
  const rate = Number($("reg-rate").value);
  return { regularization: $("reg").value, reg_rate: Number.isFinite(rate) ? rate : 0 };
}

// --------------------------------------------------------------------------- the views
export function readToggles() {
  S.showTest = $("show-test").checked;
  S.discretize = $("discretize").checked;
}

// ------------------------------------------------------------------------------ the link
// the controls' keys for the share link (into URLSearchParams q)
export function saveControls(q) {
  const st = S.status || {};
  const feats = featuresInUse();
  if (feats && feats.length) q.set("feat", feats.join(","));
  const noise = st.noise !== undefined ? st.noise : readNoise();
  if (noise !== null && noise !== undefined) q.set("noise", noise);
  const test = st.test_size !== undefined ? st.test_size : readTestShare();
  q.set("test", test);
  const reg = st.regularization || $("reg").value;
  if (reg && reg !== "none") {
    q.set("reg", reg);
    q.set("rate", st.reg_rate !== undefined ? st.reg_rate : $("reg-rate").value);
  }
  if (S.showTest) q.set("showtest", "1");
  if (S.discretize) q.set("disc", "1");
}

// the data's keys of a link, put into their sliders before the data is asked for
export function loadDataControls(q) {
  if (q.has("noise") && !$("noise").disabled) showNoise(Number(q.get("noise")));
  if (q.has("test")) showTestShare(Number(q.get("test")));
}

// the network's, training's and views' keys of a link, put into their controls
export function loadOtherControls(q) {
  showFeatures(q.has("feat") ? q.get("feat").split(",").filter(Boolean) : null);
  if (q.has("reg")) $("reg").value = q.get("reg");
  if (q.has("rate")) $("reg-rate").value = q.get("rate");
  $("show-test").checked = q.get("showtest") === "1";
  $("discretize").checked = q.get("disc") === "1";
  readToggles();
}
