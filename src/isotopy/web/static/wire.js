// The page's event wiring: what each control, canvas and key does. The functions it calls
// live in the modules that own them; the handlers here that need more than a call (an
// uploaded file, a click on the input view, copying the link) are written out below.
import { $, exportPNG, intOr } from "./util.js";
import { showError } from "./notice.js";
import { request, send, tooLarge } from "./transport.js";
import { enableRotation } from "./draw3d.js";
import { drawInput, drawStage } from "./views.js";
import { closeAnimation, computeAnimation, drawAnim, exportAnimation, longJob, scrubAnim,
  toggleAnimPlay } from "./animation.js";
import { setPlaying } from "./header.js";
import { addLayer, buildNetwork, datasetSpec, regenerate, removeLayer, resetNetwork, sendTrain,
  showParams } from "./controls.js";
import { saveHash } from "./link.js";
import { readTestShare, readToggles, showNoise, showTestShare } from "./playground.js";

// the page's state: registry (limits), data, status, inputView, edits, csvPending, linkNote, rot
let S = null;

// Wires every control; `redrawAll` draws every panel (when the window changes size).
export function wire(state, redrawAll) {
  S = state;
  wireData();
  wireNetwork();
  wireTraining();
  wireHeader();
  wireViews();
  wireAnimation();
  window.addEventListener("resize", redrawAll);
  document.addEventListener("keydown", (e) => {  // space: play / pause, outside text fields
    const tag = document.activeElement ? document.activeElement.tagName : "";
    if (e.key === " " && !["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(tag)) {
      e.preventDefault(); $("play").click();
    }
  });
}

function wireData() {
  $("dataset").addEventListener("change", () => {
    const spec = datasetSpec($("dataset").value);
    showParams(spec.name); $("n").value = spec.n; regenerate();
  });
  $("regenerate").addEventListener("click", regenerate);
  $("n").addEventListener("change", regenerate);
  $("data-seed").addEventListener("change", regenerate);
  $("csv").addEventListener("change", onCsvChosen);
  $("noise").addEventListener("input", () => showNoise(Number($("noise").value)));
  $("test-share").addEventListener("input", () => showTestShare());
  $("noise").addEventListener("change", regenerate);
  $("test-share").addEventListener("change", splitAgain);
  $("dl-data").addEventListener("click", () => send({ type: "export", what: "data" }));
  const ic = $("input-canvas");
  ic.addEventListener("click", (e) => onCanvasClick(e, e.shiftKey));
  ic.addEventListener("contextmenu", (e) => { e.preventDefault(); onCanvasClick(e, true); });
}

function wireNetwork() {
  $("apply-net").addEventListener("click", buildNetwork);
  $("hidden").addEventListener("keydown", (e) => { if (e.key === "Enter") buildNetwork(); });
  $("hidden").addEventListener("input", () => { S.widthsTyped = true; });
  $("activation").addEventListener("change", buildNetwork);
  $("net-seed").addEventListener("change", buildNetwork);
  $("add-layer").addEventListener("click", addLayer);
  $("del-layer").addEventListener("click", removeLayer);
  $("features").addEventListener("change", buildNetwork);
}

function wireTraining() {
  for (const id of ["lr", "batch", "optimizer", "penalty", "penalty-weight", "reg", "reg-rate"]) {
    $(id).addEventListener("change", sendTrain);
  }
  $("speed").addEventListener("input", sendTrain);
  $("play").addEventListener("click", () => {
    const on = $("play").dataset.playing === "1";
    setPlaying(!on); send({ type: on ? "pause" : "play" });
  });
  $("stepbtn").addEventListener("click", () => send({ type: "step", steps: 1 }));
  $("step100").addEventListener("click", () => send({ type: "step", steps: 100 }));
  $("reset").addEventListener("click", resetNetwork);
}

function wireHeader() {
  $("show").addEventListener("change", () => {
    send({ type: "show", state: $("show").value });
  });
  $("state-refresh").addEventListener("click", () => send({ type: "show", state: "readable" }));
  $("dl-weights").addEventListener("click", () => send({ type: "export", what: "weights" }));
  $("copy-link").addEventListener("click", copyLink);
}

function wireViews() {
  $("stage").addEventListener("change", () => {
    send({ type: "view", stage: parseInt($("stage").value, 10) });
  });
  for (const id of ["show-test", "discretize"]) {
    $(id).addEventListener("change", () => {
      readToggles(); drawInput(); drawStage(); saveHash();
    });
  }
  for (const b of document.querySelectorAll("button.png")) {
    b.addEventListener("click", () => exportPNG(b.dataset.canvas, S.status ? S.status.step : 0));
  }
  $("diagnose").addEventListener("click", () => longJob({ type: "diagnostics" },
    "computing diagnostics…"));
  enableRotation($("stage-canvas"), S.rot, drawStage);
  enableRotation($("anim-canvas"), S.rot, drawAnim);
  enableRotation($("input-canvas"), S.rot, drawInput);
}

function wireAnimation() {
  $("anim-compute").addEventListener("click", computeAnimation);
  for (const r of document.querySelectorAll("input[name=anim]")) {
    r.addEventListener("change", () => { closeAnimation(); computeAnimation(); });
  }
  $("anim-slider").addEventListener("input", scrubAnim);
  $("anim-play").addEventListener("click", toggleAnimPlay);
  $("dl-gif").addEventListener("click", () => exportAnimation("gif"));
  $("dl-mp4").addEventListener("click", () => exportAnimation("mp4"));
}

// a CSV file chosen with Upload CSV: refused here, in one sentence, when it is too large to
// send; else sent (its name and text wait in csvPending for the server's data reply)
async function onCsvChosen(e) {
  const f = e.target.files[0]; e.target.value = "";
  if (!f) return;
  if (f.size > S.registry.limits.max_csv_chars) {
    showError(`this file has ${f.size} bytes; the explorer takes CSV files up to ` +
      `${S.registry.limits.max_csv_chars} bytes`);
    return;
  }
  const text = await f.text();
  const msg = { type: "upload_csv", text, seed: intOr($("data-seed").value, 0),
    test_size: readTestShare() };
  const why = tooLarge(JSON.stringify(msg));
  if (why) {  // escaped characters (line ends, quotes, control characters) make it longer
    showError(`this file is ${why}; remove unusual characters or points`);
    return;
  }
  S.edits = [];
  S.csvPending = { text, name: f.name };
  send(msg);
}

// the test share changed: a new sample of the data set, or the uploaded file split again
// (point edits are dropped either way, as with Regenerate)
function splitAgain() {
  if (!(S.csv && S.data && S.data.info.file)) { regenerate(); return; }
  S.edits = [];
  S.csvPending = S.csv;
  send({ type: "upload_csv", text: S.csv.text, seed: intOr($("data-seed").value, 0),
    test_size: readTestShare() });
}

// A click on the input view adds a training point of the chosen class; shift-click or
// right-click removes the nearest one. An edit enters the link only once the server has made
// it (a click beside every point removes nothing and is not replayed).
function onCanvasClick(e, remove) {
  if (!S.data || S.data.d > 2 || !S.inputView) return;
  const c = $("input-canvas"); const rect = c.getBoundingClientRect();
  const px = (e.clientX - rect.left) * c.width / rect.width;
  const py = (e.clientY - rect.top) * c.height / rect.height;
  const [x, y] = S.inputView.from(px, py);
  const pt = S.data.d === 1 ? [x] : [x, y];
  const round = (v) => Math.round(v * 1e4) / 1e4;
  const p = pt.map(round);
  let edit, msg;
  if (remove) {
    const radius = round(14 * c.width / rect.width / S.inputView.s);
    edit = ["r", p, radius]; msg = { type: "remove_point", x: p, radius };
  } else {
    const label = parseInt(document.querySelector("input[name=cls]:checked").value, 10);
    edit = ["a", p, label]; msg = { type: "add_point", x: p, label };
  }
  request(msg).then((reply) => { if (reply.type === "data") { S.edits.push(edit); saveHash(); } });
}

async function copyLink() {
  saveHash();
  const note = S.linkNote ? `; note: ${S.linkNote}` : "";
  try {
    await navigator.clipboard.writeText(location.href);
    showError(`link copied${note}`, true);
  } catch (e) {
    showError(`copy the address bar: it holds the whole state${note}`, true);
  }
}
