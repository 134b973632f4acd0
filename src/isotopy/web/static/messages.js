// What the page does with each message from the server: the registry, the data, the network,
// the training status, view frames, animations, diagnostics, downloads, refusals and
// information. The protocol is the server's (web/protocol.py); this module only reads it.
import { $, decode, triggerDownload } from "./util.js";
import { showError } from "./notice.js";
import { isFinal, send } from "./transport.js";
import { drawCurves } from "./curves.js";
import { clearDiagnostics, showDiagnostics } from "./diagnostics.js";
import { drawInput, drawStage, setInputNote } from "./views.js";
import { animFollowsState, closeAnimation, computeAnimation, nextJob, onAnimation, setBusy }
  from "./animation.js";
import { setPlaying, showState, showStatus } from "./header.js";
import { buildControls, datasetSpec, readParams, restoreFields, setClassChoices, setUploadedMenu,
  showParams } from "./controls.js";
import { applyEdits, saveHash } from "./link.js";
import { enableFeatures, showControls } from "./playground.js";
import { askUnits, drawDiagram, onUnitViews } from "./diagram.js";
import { closeEditor, onEditReply } from "./diagram_edit.js";

// the page's state: every field the server's replies fill (see app.js)
let S = null;

export function initMessages(state) { S = state; }

export function onMessage(m) {
  if (S.jobId && m.id === S.jobId && isFinal(m)) setTimeout(nextJob, 0);
  if (S.paramEdit) onEditReply(m);
  switch (m.type) {
    case "registry": S.registry = m; buildControls(); break;
    case "data": onData(m); break;
    case "network": onNetwork(m); break;
    case "status": onStatus(m); break;
    case "frame": onFrame(m); break;
    case "unit_views": onUnitViews(m); break;
    case "animation": onAnimation(m); break;
    case "diagnostics": showDiagnostics(m, S.data); break;
    case "download": triggerDownload(m.url, m.filename); break;
    case "error": showError(m.message); restoreFields(m.request); break;
    case "queued": setBusy(`${$("anim-note").textContent.replace(/ \(.*\)$/, "")} ` +
      `(${m.ahead} other job${m.ahead > 1 ? "s" : ""} first)`); break;
    case "cancelled": break;
    case "info": showError(m.message, true); break;
    default: break;
  }
}

function onData(m) {
  setClassChoices(m.n_classes);
  const pts = decode(m.points), labels = decode(m.labels);
  S.data = { ...m, pts: pts.data, labels: labels.data, d: m.dim };
  S.inputField = null;
  const info = m.info;
  if (info.file) {
    if (S.csvPending) { S.csv = S.csvPending; S.csvPending = null; }
    setUploadedMenu();
  } else {
    const up = $("dataset").querySelector("option[value='__csv']");
    if (up) up.remove();
    if (!info.edited) S.csv = null;
  }
  if (info.dataset) {
    if ($("dataset").value !== info.dataset) $("dataset").value = info.dataset;
    const current = readParams();
    const spec = datasetSpec(info.dataset);
    const same = Object.keys(spec.params).every((k) => k in current);
    if (!same || !info.edited) showParams(info.dataset, { ...spec.params, ...info.params });
    if (!info.edited) $("n").value = info.n;
  }
  $("input-canvas").classList.toggle("rot", m.dim === 3);
  $("input-title").textContent = m.dim <= 2 ? "Decision regions" : "Input space";
  S.inputNote = inputNote(m);
  setInputNote();
  enableFeatures();
  closeAnimation();
  if (info.file && S.ready && !S.pendingHash) {
    saveHash();
    if (S.linkNote) showError(`points loaded; ${S.linkNote}`, true);
  }
  if (S.pendingHash && S.pendingHash.waitData === (info.file ? "csv" : "dataset")) applyEdits();
  saveHash();
  drawInput();
  if (m.dim !== 2) { S.units = null; drawDiagram(); }
  askUnits();
}

// the input view's caption for data reply m
function inputNote(m) {
  let note = "Class A red, class B blue; tick test data to see the points held out for " +
    "testing (squares). " + (m.dim <= 2 ? "The background is the network's decision (its " +
    "probability of B); click to add a point." : m.dim === 3 ? "Decision regions are drawn for 1-D and " +
    "2-D inputs; points are added by clicking in 1-D and 2-D only." : "");
  if (m.info.opened) note = `Opened: ${m.info.opened}. ` + note;  // isotopy serve --run
  if (m.dim > 3) {  // what the views do with this data comes first (and is never cut off)
    note = (m.note || "Inputs wider than 3 are shown in the stage view through " +
      "their principal axes.") + " " + note;
  }
  return note;
}

function onNetwork(m) {
  S.network = m;
  $("net-repr").textContent = m.repr;
  // widths being typed stay: a network that comes meanwhile (the data changed) is not theirs
  if (!S.widthsTyped) $("hidden").value = m.hidden.join(",");
  $("activation").value = m.activation;
  $("net-seed").value = m.seed;
  const sel = $("stage"); const keep = S.status ? S.status.stage : null;
  sel.innerHTML = "";
  for (const st of m.stages) {
    const what = st.index === 0 ? "input" : `${st.index}. ${st.words || st.name}`;
    sel.add(new Option(`${what} (${st.dim}-D)`, st.index));
  }
  let pick = keep !== null && keep < m.stages.length ? keep : m.readout_in;
  if (S.wantView !== undefined && S.wantView !== null && S.wantView < m.stages.length) {
    pick = S.wantView;  // the view a shared link asked for
    if (!S.pendingHash) S.wantView = null;
  }
  sel.value = pick;
  send({ type: "view", stage: pick });
  S.curves = { loss: [], acc: [], evals: [] };
  S.stage = null;
  closeAnimation();
  closeEditor();
  clearDiagnostics();
  showControls(m, false);
  askUnits();
  saveHash();
}

function onStatus(m) {
  const was = S.status && S.status.playing;
  S.status = m;
  S.step = m.step;
  if (was && !m.playing && !S.anim && S.ready) computeAnimation();  // fill the empty panel
  showStatus(m, false);
  drawDiagram();  // the column of the layer the stage view shows is marked
  saveHash();
}

function onFrame(m) {
  S.lastFrameAt = performance.now();
  if (m.reset) S.curves = { loss: [], acc: [], evals: [] };
  const loss = decode(m.loss).data, acc = decode(m.acc).data;
  for (let i = 0; i < loss.length; i++) { S.curves.loss.push(loss[i]); S.curves.acc.push(acc[i]); }
  for (const e of m.evals) S.curves.evals.push(e);
  S.step = m.step;  // training may be past the status's step: the header says so
  $("step").textContent = m.step;
  setPlaying(m.playing);
  const last = S.curves.evals[S.curves.evals.length - 1];
  if (last) {
    $("train-acc").textContent = last[1] === null ? "–" : last[1].toFixed(3);
    $("test-acc").textContent = last[2] === null ? "–" : last[2].toFixed(3);
    $("loss").textContent = last[3] === null ? "–" : last[3].toFixed(4);
  }
  if (m.state) { S.shown = m.state; showState(); animFollowsState(); }
  S.coarse = !!m.coarse;  // many tabs train at once: the server sends coarser views
  setInputNote();
  if (m.input_field) S.inputField = { ...m.input_field, vals: decode(m.input_field.values).data };
  if (m.stage) S.stage = sceneFrom(m.stage);
  else if (S.status && S.status.stage === 0) S.stage = null;
  drawInput(); drawStage(); drawCurves($("curves-canvas"), S.curves);
}

// a stage view as the server sends it, its arrays decoded
function sceneFrom(sc) {
  const out = { ...sc, pts: decode(sc.points), grid: decode(sc.grid) };
  if (sc.field) out.fieldData = { ...sc.field, vals: decode(sc.field.values).data };
  return out;
}
