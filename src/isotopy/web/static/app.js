// isotopy explorer: the page. Plain JavaScript and canvas, no build step, nothing fetched
// from elsewhere. The server computes every view (Scenes as plain arrays); this file only
// draws them, sends the page's controls as validated messages, and keeps the state in the URL.
"use strict";

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
  "#7f7f7f", "#bcbd22", "#17becf"];
const REGION = [[246, 201, 201], [201, 220, 240]];
const GRID = "rgba(110,118,128,0.55)";
const $ = (id) => document.getElementById(id);

const S = {
  ws: null, registry: null, data: null, network: null, status: null,
  inputField: null, stage: null, anim: null, animIndex: 0, animTimer: null,
  curves: { loss: [], acc: [], evals: [] }, edits: [], pendingHash: null, ready: false,
  rot: {}, reqId: 1, waiting: {}, lastFrameAt: 0,
};
window.isotopy = S;  // for tests and the curious

// ------------------------------------------------------------------ arrays from the server
function decode(a) {
  const bin = atob(a.b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const T = a.dtype === "uint8" ? Uint8Array : Float32Array;
  return { shape: a.shape, data: new T(bytes.buffer) };
}

// -------------------------------------------------------------------------------- socket
function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws`);
  S.ws = ws;
  ws.onopen = () => { $("conn").textContent = "connected"; $("conn").className = "conn on"; };
  ws.onclose = () => {
    $("conn").textContent = "disconnected – reload"; $("conn").className = "conn off";
    setPlaying(false);
  };
  ws.onmessage = (ev) => onMessage(JSON.parse(ev.data));
}

// why a message is too large to send (its size as sent: JSON text, UTF-8 on the wire), or null
function tooLarge(text) {
  const lim = S.registry && S.registry.limits;
  if (!lim) return null;
  const bytes = text.length > lim.max_message_bytes / 4 ? new TextEncoder().encode(text).length : 0;
  if (text.length <= lim.max_message_chars && bytes <= lim.max_message_bytes) return null;
  return `${text.length} characters (${Math.max(bytes, text.length)} bytes) once written as a ` +
    `message, and the explorer takes messages up to ${lim.max_message_chars} characters ` +
    `(${lim.max_message_bytes} bytes)`;
}

function send(msg) {
  if (!S.ws || S.ws.readyState !== 1) return false;
  const text = JSON.stringify(msg);
  const why = tooLarge(text);
  if (why) { showError(`not sent: this ${msg.type.replace(/_/g, " ")} request is ${why}`); return false; }
  S.ws.send(text);
  return true;
}

function request(msg) {  // a message whose reply we wait for (id echoed by the server)
  const id = S.reqId++;
  return new Promise((resolve) => { S.waiting[id] = resolve; send({ ...msg, id }); });
}

// Messages take a line of their own between the header and the panels (never over a
// control); the panels make room, and their canvases are drawn again at the new size.
function showError(text, info = false) {
  const box = $("error");
  const was = box.hidden;
  box.textContent = text; box.hidden = false;
  box.className = info ? "info" : "";
  if (was) requestAnimationFrame(redrawAll);
  clearTimeout(showError.t);
  showError.t = setTimeout(() => { box.hidden = true; requestAnimationFrame(redrawAll); }, 7000);
}

function onMessage(m) {
  const final = m.type !== "status" && m.type !== "queued";
  if (S.jobId && m.id === S.jobId && final) setTimeout(nextJob, 0);
  if (m.id !== undefined && m.id !== null && S.waiting[m.id] && final) {
    const resolve = S.waiting[m.id]; delete S.waiting[m.id]; resolve(m);
  }
  switch (m.type) {
    case "registry": S.registry = m; buildControls(); break;
    case "data": onData(m); break;
    case "network": onNetwork(m); break;
    case "status": onStatus(m); break;
    case "frame": onFrame(m); break;
    case "animation": onAnimation(m); break;
    case "diagnostics": onDiagnostics(m); break;
    case "download": triggerDownload(m.url, m.filename); break;
    case "error": showError(m.message); restoreFields(m.request); break;
    case "queued": setBusy(`${$("anim-note").textContent.replace(/ \(.*\)$/, "")} ` +
      `(${m.ahead} other job${m.ahead > 1 ? "s" : ""} first)`); break;
    case "cancelled": break;
    case "info": showError(m.message, true); break;
    default: break;
  }
}

// ------------------------------------------------------------------------------ controls
function buildControls() {
  const r = S.registry;
  const ds = $("dataset"); ds.innerHTML = "";
  for (const d of r.datasets) ds.add(new Option(d.name.replace(/_/g, " "), d.name));
  const act = $("activation"); act.innerHTML = "";
  for (const a of r.activations) {
    act.add(new Option(a.name + (a.homeomorphism ? "" : " (not injective)"), a.name));
  }
  const opt = $("optimizer"); opt.innerHTML = "";
  for (const o of r.optimizers) opt.add(new Option(o, o));
  if (r.penalties.length) {
    const p = $("penalty"); p.innerHTML = ""; p.add(new Option("none", "none"));
    for (const name of r.penalties) p.add(new Option(name, name));
    $("penalty-row").hidden = false; $("penalty-weight-row").hidden = false;
  }
  $("n").max = r.limits.max_points;
  $("anim-frames").max = r.limits.max_frames;
}

function datasetSpec(name) { return S.registry.datasets.find((d) => d.name === name); }

function showParams(name, values) {
  const spec = datasetSpec(name);
  $("dataset-summary").textContent = spec.summary;
  const box = $("params"); box.innerHTML = "";
  for (const [k, def] of Object.entries(spec.params)) {
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

function readParams() {
  const out = {};
  for (const inp of $("params").querySelectorAll("input")) {
    const v = parseFloat(inp.value);
    if (Number.isFinite(v)) out[inp.dataset.param] = v;
  }
  return out;
}

function regenerate() {
  S.edits = []; S.csv = null;
  const seed = numField("data-seed");
  send({ type: "set_data", dataset: $("dataset").value, params: readParams(),
    n: numField("n"), seed: seed === null ? 0 : seed });
}

function intOr(v, d) { const x = parseInt(v, 10); return Number.isFinite(x) && x >= 0 ? x : d; }

// a number field as typed (the server checks it and answers with one sentence if it is
// refused); an empty or unreadable field is null
function numField(id) { const v = $(id).value.trim(); return v === "" || !Number.isFinite(Number(v)) ? null : Number(v); }

// after a refused message, show again the values the server uses
function restoreFields(request) {
  if (request === "set_network" && S.network) {
    $("hidden").value = S.network.hidden.join(",");
    $("activation").value = S.network.activation; $("net-seed").value = S.network.seed;
  } else if ((request === "set_data" || request === "upload_csv") && S.data && S.data.info.dataset) {
    const info = S.data.info;
    $("dataset").value = info.dataset;
    showParams(info.dataset, { ...datasetSpec(info.dataset).params, ...info.params });
    $("n").value = info.n; $("data-seed").value = info.seed;
  } else if (request === "upload_csv" && S.data) {
    setUploadedMenu();
  } else if (request === "animate" || request === "export") {
    $("anim-frames").value = animFrames();
  }
  if (S.status) showStatus(S.status, true);
}

function parseHidden(text) {
  const t = text.trim();
  if (!t) return [];
  return t.split(/[ ,]+/).map((s) => (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) ? Number(s) : NaN));
}

function buildNetwork() {
  const hidden = parseHidden($("hidden").value);
  if (hidden.some((w) => Number.isNaN(w))) {
    showError("hidden widths must be whole numbers separated by commas, such as 2,2,2");
    return;
  }
  closeAnimation();
  const seed = numField("net-seed");
  send({ type: "set_network", hidden, activation: $("activation").value,
    seed: seed === null ? 0 : seed });
}

function sendTrain() {
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
  S.sentTrain = { lr: msg.lr, batch: msg.batch_size, optimizer: msg.optimizer,
    speed: msg.speed, penalty: msg.penalty, "penalty-weight": msg.penalty_weight };
  for (const k of Object.keys(S.sentTrain)) if (S.sentTrain[k] === undefined) delete S.sentTrain[k];
  send(msg);
}

function setPlaying(on) {
  const b = $("play");
  b.textContent = on ? "❚❚ Pause" : "▶ Play";
  b.dataset.playing = on ? "1" : "0";
}

function setBusy(what) {
  $("anim-note").className = "note";
  $("anim-note").textContent = what;
}

function wire() {
  $("dataset").addEventListener("change", () => {
    const spec = datasetSpec($("dataset").value);
    showParams(spec.name); $("n").value = spec.n; regenerate();
  });
  $("regenerate").addEventListener("click", regenerate);
  $("n").addEventListener("change", regenerate);
  $("data-seed").addEventListener("change", regenerate);
  $("apply-net").addEventListener("click", buildNetwork);
  $("hidden").addEventListener("keydown", (e) => { if (e.key === "Enter") buildNetwork(); });
  $("activation").addEventListener("change", buildNetwork);
  $("net-seed").addEventListener("change", buildNetwork);
  $("add-layer").addEventListener("click", () => {
    const h = parseHidden($("hidden").value);
    if (h.length >= S.registry.limits.max_depth) return;
    h.push(h.length ? h[h.length - 1] : 2); $("hidden").value = h.join(","); buildNetwork();
  });
  $("del-layer").addEventListener("click", () => {
    const h = parseHidden($("hidden").value); h.pop();
    $("hidden").value = h.join(","); buildNetwork();
  });
  for (const id of ["lr", "batch", "optimizer", "penalty", "penalty-weight"]) {
    $(id).addEventListener("change", sendTrain);
  }
  $("speed").addEventListener("input", sendTrain);
  $("play").addEventListener("click", () => {
    const on = $("play").dataset.playing === "1";
    setPlaying(!on); send({ type: on ? "pause" : "play" });
  });
  $("stepbtn").addEventListener("click", () => send({ type: "step", steps: 1 }));
  $("step100").addEventListener("click", () => send({ type: "step", steps: 100 }));
  $("reset").addEventListener("click", () => {
    closeAnimation(); send({ type: "reset", seed: intOr($("net-seed").value, 0) });
  });
  $("show").addEventListener("change", () => {
    send({ type: "show", state: $("show").value });
  });
  $("state-refresh").addEventListener("click", () => send({ type: "show", state: "readable" }));
  $("stage").addEventListener("change", () => {
    send({ type: "view", stage: parseInt($("stage").value, 10) });
  });
  $("csv").addEventListener("change", async (e) => {
    const f = e.target.files[0]; e.target.value = "";
    if (!f) return;
    if (f.size > S.registry.limits.max_csv_chars) {
      showError(`this file has ${f.size} bytes; the explorer takes CSV files up to ` +
        `${S.registry.limits.max_csv_chars} bytes`);
      return;
    }
    const text = await f.text();
    const msg = { type: "upload_csv", text, seed: intOr($("data-seed").value, 0) };
    const why = tooLarge(JSON.stringify(msg));
    if (why) {  // escaped characters (line ends, quotes, control characters) make it longer
      showError(`this file is ${why}; remove unusual characters or points`);
      return;
    }
    S.edits = [];
    S.csvPending = { text, name: f.name };
    send(msg);
  });
  $("dl-data").addEventListener("click", () => send({ type: "export", what: "data" }));
  $("dl-weights").addEventListener("click", () => send({ type: "export", what: "weights" }));
  $("copy-link").addEventListener("click", async () => {
    saveHash();
    const note = S.linkNote ? `; note: ${S.linkNote}` : "";
    try { await navigator.clipboard.writeText(location.href); showError(`link copied${note}`, true); } catch (e) {
      showError(`copy the address bar: it holds the whole state${note}`, true);
    }
  });
  for (const b of document.querySelectorAll("button.png")) {
    b.addEventListener("click", () => exportPNG(b.dataset.canvas));
  }
  $("diagnose").addEventListener("click", () => longJob({ type: "diagnostics" },
    "computing diagnostics…"));
  $("anim-compute").addEventListener("click", computeAnimation);
  for (const r of document.querySelectorAll("input[name=anim]")) {
    r.addEventListener("change", () => { closeAnimation(); computeAnimation(); });
  }
  $("anim-slider").addEventListener("input", () => {
    stopAnimPlay(); S.animIndex = parseInt($("anim-slider").value, 10); drawAnim();
  });
  $("anim-play").addEventListener("click", () => {
    if (S.animTimer) { stopAnimPlay(); return; }
    $("anim-play").textContent = "❚❚";
    S.animTimer = setInterval(() => {
      if (!S.anim) return;
      S.animIndex = (S.animIndex + 1) % S.anim.n_frames;
      $("anim-slider").value = S.animIndex; drawAnim();
    }, 50);
  });
  $("dl-gif").addEventListener("click", () => exportAnimation("gif"));
  $("dl-mp4").addEventListener("click", () => exportAnimation("mp4"));
  const ic = $("input-canvas");
  ic.addEventListener("click", (e) => onCanvasClick(e, e.shiftKey));
  ic.addEventListener("contextmenu", (e) => { e.preventDefault(); onCanvasClick(e, true); });
  for (const id of ["stage-canvas", "anim-canvas", "input-canvas"]) enableRotation(id);
  window.addEventListener("resize", redrawAll);
  document.addEventListener("keydown", (e) => {  // space: play / pause, outside text fields
    const tag = document.activeElement ? document.activeElement.tagName : "";
    if (e.key === " " && !["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(tag)) {
      e.preventDefault(); $("play").click();
    }
  });
}

function animKind() { return document.querySelector("input[name=anim]:checked").value; }

function animHint() {
  const iso = animKind() === "isotopy";
  $("anim-compute").textContent = iso ? "Compute isotopy" : "Compute replay";
  return iso ? "Compute shows every stage applied continuously to the data and the grid " +
    "(press ▶ or drag the slider)." : "Compute replays the last hidden representation over " +
    "the recorded training snapshots.";
}

// Long jobs (frames, GIF, MP4) run one at a time per tab on the server: queue them here.
function longJob(msg, busyText) {
  S.jobs = (S.jobs || []).filter((j) => j.msg.type !== msg.type || j.msg.what !== msg.what);
  S.jobs.push({ msg, busyText });
  if (!S.jobId) nextJob();
}

function nextJob() {
  const job = (S.jobs || []).shift();
  S.jobId = null;
  if (!job) {
    if (S.anim) drawAnim(); else $("anim-note").textContent = animHint();
    return;
  }
  S.jobId = S.reqId++;
  setBusy(job.busyText);
  send({ ...job.msg, id: S.jobId });
}

function animFrames() {  // the frames used: the field is clamped to what the server allows
  const n = Math.max(2, Math.min(intOr($("anim-frames").value, 60), S.registry.limits.max_frames));
  $("anim-frames").value = n;
  return n;
}

function computeAnimation() {
  longJob({ type: "animate", kind: animKind(), frames: animFrames() }, "computing frames…");
}

function exportAnimation(fmt) {
  longJob({ type: "export", what: fmt, kind: animKind(), frames: animFrames(), fps: 20,
    size: 480 }, `rendering ${fmt.toUpperCase()}…`);
}

function stopAnimPlay() {
  if (S.animTimer) clearInterval(S.animTimer);
  S.animTimer = null; $("anim-play").textContent = "▶";
}

function closeAnimation() {
  stopAnimPlay(); S.anim = null;
  $("anim-slider").value = 0;
  $("anim-slider").disabled = true; $("anim-play").disabled = true;
  $("anim-label").textContent = "–";
  $("anim-note").textContent = animHint();
  $("anim-note").className = "note";
  placeholder($("anim-canvas"), animKind() === "isotopy" ? "press Compute isotopy to see every " +
    "stage applied continuously" : "press Compute replay to see training replayed");
}

function placeholder(c, text) {
  const ctx = setupCanvas(c);
  ctx.fillStyle = "#8a9099"; ctx.textAlign = "center";
  ctx.font = `${Math.round(13 * c.width / 440)}px system-ui`;
  const words = text.split(" "), lines = [""];
  for (const w of words) {
    if (ctx.measureText(lines[lines.length - 1] + " " + w).width > c.width * 0.8) lines.push(w);
    else lines[lines.length - 1] += (lines[lines.length - 1] ? " " : "") + w;
  }
  lines.forEach((l, i) => ctx.fillText(l, c.width / 2, c.height / 2 + (i - (lines.length - 1) / 2) * 18 * c.width / 440));
  ctx.textAlign = "left";
}

function triggerDownload(url, filename) {
  const a = document.createElement("a");
  a.href = url; a.download = filename; document.body.appendChild(a); a.click(); a.remove();
}

function exportPNG(id) {
  const c = $(id);
  const a = document.createElement("a");
  a.href = c.toDataURL("image/png");
  a.download = `isotopy-${id.replace("-canvas", "")}-step${S.status ? S.status.step : 0}.png`;
  document.body.appendChild(a); a.click(); a.remove();
}

// ------------------------------------------------------------------------ server messages
// one radio per class of the data (at most max_classes, 10: the page colours and names that
// many), for the class a click adds
function setClassChoices(n) {
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
  $("input-title").textContent = m.dim <= 2 ? "Input space and decision regions" : "Input space";
  S.inputNote = "Class A red, class B blue; ringed points are held out for " +
    "testing. " + (m.dim <= 2 ? "The background is the network's decision (its probability " +
    "of B); click to add a point." : m.dim === 3 ? "Decision regions are drawn for 1-D and " +
    "2-D inputs; points are added by clicking in 1-D and 2-D only." : "");
  if (info.opened) S.inputNote = `Opened: ${info.opened}. ` + S.inputNote;  // isotopy serve --run
  if (m.dim > 3) {  // what the views do with this data comes first (and is never cut off)
    S.inputNote = (m.note || "Inputs wider than 3 are shown in the stage view through " +
      "their principal axes.") + " " + S.inputNote;
  }
  setInputNote();
  closeAnimation();
  if (info.file && S.ready && !S.pendingHash) {
    saveHash();
    if (S.linkNote) showError(`points loaded; ${S.linkNote}`, true);
  }
  if (S.pendingHash && S.pendingHash.waitData === (info.file ? "csv" : "dataset")) applyEdits();
  saveHash();
  drawInput();
}

const COARSE_NOTE = "(coarser view while many tabs train on this server: fewer grid " +
  "vertices and region pixels; accuracy and edge fractions refreshed about twice a second)";

function setInputNote() {
  const st = S.shown && S.data && S.data.dim <= 2 ? `Decisions of the ${S.shown.label}. ` : "";
  $("input-note").textContent = st + (S.inputNote || "") + (S.coarse ? " " + COARSE_NOTE : "");
  $("input-note").title = $("input-note").textContent;
}

function setUploadedMenu() {  // the menu names the uploaded file while its points are shown
  const ds = $("dataset");
  let up = ds.querySelector("option[value='__csv']");
  if (!up) { up = new Option("", "__csv"); ds.add(up, 0); }
  up.textContent = `uploaded: ${S.csv ? S.csv.name : "CSV"}`;
  ds.value = "__csv";
  $("params").innerHTML = "";
  $("dataset-summary").textContent = `${S.data ? S.data.n_train + (S.data.labels.length - S.data.n_train) : ""} points from an uploaded CSV file`;
}

function onNetwork(m) {
  S.network = m;
  $("net-repr").textContent = m.repr;
  $("hidden").value = m.hidden.join(",");
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
  $("diagnostics").innerHTML = `<p class="hint">Press Diagnose for, per stage: the shape, ` +
    `whether it is a homeomorphism onto its image, det W of square affine maps and their ` +
    `singular values, and the Betti numbers of each class through the network.</p>`;
  saveHash();
}

function onStatus(m) {
  const was = S.status && S.status.playing;
  S.status = m;
  if (was && !m.playing && !S.anim && S.ready) computeAnimation();  // fill the empty panel
  showStatus(m, false);
  saveHash();
}

// the training fields show what the server uses (a field being typed in is left alone
// unless `force`, after the server refused what it held)
function showStatus(m, force) {
  setPlaying(m.playing);
  $("step").textContent = m.step;
  // a value this page sent and the server has not yet answered with stays in its field: a
  // status written before the server read that message would otherwise put the old value
  // back, and the next change would send it again
  if (force) S.sentTrain = {};
  const put = (id, v) => {
    const sent = S.sentTrain ? S.sentTrain[id] : undefined;
    if (sent !== undefined) {
      if (String(sent) !== String(v)) return;
      delete S.sentTrain[id];
    }
    if (force || document.activeElement !== $(id)) $(id).value = v;
  };
  put("lr", m.lr); put("batch", m.batch_size); put("optimizer", m.optimizer);
  put("speed", m.speed);
  if (!$("penalty-row").hidden) {
    put("penalty", m.penalty || "none"); put("penalty-weight", m.penalty_weight);
  }
  if ($("stage").options.length > m.stage) $("stage").value = m.stage;
  if (m.show) {
    if (document.activeElement !== $("show") || force) $("show").value = m.show === "readable" ? "readable" : "live";
    $("state-refresh").hidden = m.show !== "readable";
  }
  showState();
}

// which state the views show, next to the views: "readable state, step 160 of 3000"
function stateText() {
  const st = S.shown;
  if (!st) return "";
  const edges = Object.values(st.edge || {}).filter((v) => v !== null);
  let text = st.label;
  if (edges.length) text += ` · edge fraction ${Math.max(...edges).toFixed(2)}`;
  return text;
}

function showState() {
  const st = S.shown, el = $("state-label");
  if (!st) { el.textContent = ""; return; }
  let text = stateText(), more = "";
  const now = S.status ? S.status.step : st.step;
  if (st.kind === "readable" && now > st.final_step) {
    text += ` · training at ${now}`;
    more = `\ntraining is at step ${now}: pause or press Recompute to choose the readable ` +
      "state again";
  }
  el.textContent = text;  // one line in the header; the whole text is its tooltip
  el.title = `${text}${more}${st.describe ? "\n" + st.describe : ""}`;
  el.className = st.kind === "readable" ? "readable" : "";
  setInputNote();
}

function onFrame(m) {
  S.lastFrameAt = performance.now();
  if (m.reset) S.curves = { loss: [], acc: [], evals: [] };
  const loss = decode(m.loss).data, acc = decode(m.acc).data;
  for (let i = 0; i < loss.length; i++) { S.curves.loss.push(loss[i]); S.curves.acc.push(acc[i]); }
  for (const e of m.evals) S.curves.evals.push(e);
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
  drawInput(); drawStage(); drawCurves();
}

function sceneFrom(sc) {
  const out = { ...sc, pts: decode(sc.points), grid: decode(sc.grid) };
  if (sc.field) out.fieldData = { ...sc.field, vals: decode(sc.field.values).data };
  return out;
}

// The animation panel shows the state the views show: when the views change between the live
// network and the readable state, or the readable state is chosen again at another step, the
// panel is computed again (once per state; a live animation keeps its step while training).
function animFollowsState() {
  const a = S.anim, st = S.shown;
  if (!a || !st || !a.shown || !S.ready) return;
  const kind = (k) => (k === "readable" ? "readable" : "live");
  const stale = kind(a.shown) !== kind(st.kind) || (st.kind === "readable" && a.step !== st.step);
  const key = `${kind(st.kind)}:${st.step}`;
  if (!stale || S.animAsked === key) return;
  S.animAsked = key;
  computeAnimation();
}

function onAnimation(m) {
  S.anim = { ...m, pts: decode(m.points).data, grid: decode(m.grid), bnds: decode(m.bounds).data,
    labs: decode(m.labels).data };
  S.animIndex = 0;
  const sl = $("anim-slider");
  sl.max = m.n_frames - 1; sl.value = 0; sl.disabled = false;
  $("anim-play").disabled = false;
  $("anim-canvas").classList.toggle("rot", m.dim === 3);
  drawAnim();
}

function onDiagnostics(m) {
  const fmt = (x) => (Math.abs(x) >= 1e3 || (Math.abs(x) < 1e-3 && x !== 0)) ? x.toExponential(2)
    : x.toFixed(3);
  let html = `<table><thead><tr><th>stage</th><th>map</th><th>homeomorphism onto image</th>` +
    `<th>det W</th><th>singular values</th>` +
    (m.rows.some((r) => r.condition !== undefined) ? `<th>condition</th>` : "") +
    `<th>spread of the output</th>` +
    (m.rows.some((r) => r.edge !== undefined) ? `<th>edge fraction</th>` : "") +
    (m.rows.some((r) => r.note) ? `<th>note</th>` : "") + `</tr></thead><tbody>`;
  const esc = (t) => String(t).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  for (const r of m.rows) {
    html += `<tr><td>${esc(r.name)}</td><td>${esc(r.type)} ${r.d_in}→${r.d_out}</td>` +
      `<td class="${r.homeomorphism ? "yes" : "no"}">${r.homeomorphism ? "yes" : "no"}</td>` +
      `<td>${r.det === undefined || r.det === null ? "" : fmt(r.det)}</td>` +
      `<td>${r.singular_values ? r.singular_values.map(fmt).join(", ") : ""}</td>` +
      (m.rows.some((q) => q.condition !== undefined) ? `<td>${r.condition === undefined ||
        r.condition === null ? "" : (typeof r.condition === "number" ? fmt(r.condition)
        : esc(r.condition))}${r.near_singular ? " (near singular)" : ""}</td>` : "") +
      `<td>${r.spread.map(fmt).join(", ")}</td>` +
      (m.rows.some((q) => q.edge !== undefined) ? `<td>${r.edge === undefined ||
        r.edge === null ? "" : r.edge.toFixed(2)}</td>` : "") +
      (m.rows.some((q) => q.note) ? `<td>${esc(r.note || "")}</td>` : "") + `</tr>`;
  }
  html += `</tbody></table>`;
  if (m.betti) {
    const b = m.betti, names = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];
    html += `<table class="betti"><thead><tr><th>representation</th>` +
      b.classes.map((c) => `<th>class ${names[c] || c}: (β0, β1)</th>`).join("") +
      `</tr></thead><tbody>`;
    b.stages.forEach((name, s) => {
      const how = b.sources && b.sources[s] === "carried" ? " (carried)" : "";
      const cell = (v, c) => v.map((x, k) =>
        b.resolved && b.resolved[s] && !b.resolved[s][c][k] ? "not resolved" : x).join(", ");
      html += `<tr><td>${esc(name + how)}</td>` +
        b.betti[s].map((v, c) => `<td>(${cell(v, c)})</td>`).join("") + `</tr>`;
    });
    html += `</tbody></table><p class="hint">Betti numbers of each class's points ` +
      `(β0 counts pieces, β1 loops), the topological reading: read from the points ` +
      `(persistent homology, ${esc(b.metric || "robust")} reading) at the input and after ` +
      `every stage that is not a homeomorphism, and carried unchanged through every stage ` +
      `that is one, which cannot change them.</p>`;
  } else if (m.betti_error) {
    html += `<p class="hint">Betti numbers: ${esc(m.betti_error)}</p>`;
  }
  if (m.stretch) {
    html += `<div class="stretch"><canvas id="stretch-canvas" width="300" height="300"></canvas>` +
      `<p class="hint">How much the map from the input to <b>${esc(m.stretch.stage)}</b> ` +
      `stretches space near each input point: the ${esc(m.stretch.norm)} norm of its ` +
      `Jacobian, log scale, <span id="stretch-range"></span>. Dark is where it stretches ` +
      `space most, light where it squeezes it (e.g. saturated units).</p></div>`;
  }
  html += `<p class="hint">${m.state ? esc(m.state) : `at step ${m.step}`}` +
    (m.rows.some((r) => r.edge !== undefined) ? "; edge fraction: the share of " +
    "training points with any unit within 0.05 of a bound of the activation" : "") + `</p>`;
  $("diagnostics").innerHTML = html;
  if (m.stretch) drawStretch(m.stretch);
}

function drawStretch(st) {
  const c = $("stretch-canvas"); const ctx = setupCanvas(c);
  const v = decode(st.values); const [R, Cn] = v.shape;
  let lo = Infinity, hi = -Infinity;
  const logs = new Float32Array(v.data.length);
  for (let i = 0; i < v.data.length; i++) {
    logs[i] = Math.log10(Math.max(v.data[i], 1e-12));
    lo = Math.min(lo, logs[i]); hi = Math.max(hi, logs[i]);
  }
  lo = Math.max(lo, hi - 3);  // three decades: saturated units would otherwise flatten it
  const img = new ImageData(Cn, R);
  const stops = [[255, 247, 236], [253, 187, 132], [227, 74, 51], [127, 0, 0]];
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < Cn; j++) {
      const u = Math.max(0, (logs[i * Cn + j] - lo) / Math.max(hi - lo, 1e-9));
      const t = u * (stops.length - 1);
      const a = Math.min(Math.floor(t), stops.length - 2), f = t - a;
      const k = ((R - 1 - i) * Cn + j) * 4;
      for (let q = 0; q < 3; q++) img.data[k + q] = stops[a][q] * (1 - f) + stops[a + 1][q] * f;
      img.data[k + 3] = 255;
    }
  }
  const off = document.createElement("canvas"); off.width = Cn; off.height = R;
  off.getContext("2d").putImageData(img, 0, 0);
  const view = view2d(c, st.bounds);
  const [x0, y0] = view.to(st.bounds[0][0], st.bounds[1][1]);
  const [x1, y1] = view.to(st.bounds[1][0], st.bounds[0][1]);
  ctx.drawImage(off, x0, y0, x1 - x0, y1 - y0);
  if (S.data) {
    const d = S.data.d, pts = S.data.pts, labels = S.data.labels;
    ctx.globalAlpha = 0.5;  // small dots in the class colours that leave the map readable
    for (let i = 0; i < labels.length; i++) {
      const [px, py] = view.to(pts[i * d], pts[i * d + 1]);
      ctx.fillStyle = COLORS[labels[i] % COLORS.length];
      ctx.fillRect(px - 1, py - 1, 2, 2);
    }
    ctx.globalAlpha = 1;
  }
  $("stretch-range").textContent = `from ${Math.pow(10, lo).toPrecision(2)} or less (light) to ` +
    `${Math.pow(10, hi).toPrecision(2)} (dark)`;
}

// ------------------------------------------------------------------------------ drawing
function setupCanvas(c) {
  const dpr = window.devicePixelRatio || 1;
  const box = c.parentElement;
  if (box && box.classList.contains("cbox")) {  // square views fill their box; curves fill it all
    const bw = box.clientWidth, bh = box.clientHeight;
    if (bw > 0 && bh > 0) {
      const side = Math.floor(Math.min(bw, bh));
      const w = box.classList.contains("free") ? bw : side;
      const h = box.classList.contains("free") ? bh : side;
      if (c.style.width !== `${w}px`) c.style.width = `${w}px`;
      if (c.style.height !== `${h}px`) c.style.height = `${h}px`;
    }
  }
  const w = Math.round(c.clientWidth * dpr) || c.width;
  const h = Math.round(c.clientHeight * dpr) || c.height;
  if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
  const ctx = c.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
  return ctx;
}

function clearCanvas(c) { setupCanvas(c); }

// equal-aspect map from a 2-D box to the canvas
function view2d(c, b, pad = 0.04) {
  const W = c.width, H = c.height;
  const dx = Math.max(b[1][0] - b[0][0], 1e-9), dy = Math.max(b[1][1] - b[0][1], 1e-9);
  const s = Math.min(W / dx, H / dy) * (1 - 2 * pad);
  const cx = (b[0][0] + b[1][0]) / 2, cy = (b[0][1] + b[1][1]) / 2;
  return {
    s, to: (x, y) => [W / 2 + (x - cx) * s, H / 2 - (y - cy) * s],
    from: (px, py) => [cx + (px - W / 2) / s, cy - (py - H / 2) / s],
  };
}

function drawField(ctx, v, field, labelsN) {
  const n = field.vals.length, res = Math.round(Math.sqrt(n));
  const img = new ImageData(res, res);
  for (let i = 0; i < res; i++) {      // row i of the field is y index i (bottom to top)
    for (let j = 0; j < res; j++) {
      const p = field.vals[i * res + j] / 255;
      const k = ((res - 1 - i) * res + j) * 4;
      let c;
      if (field.kind === "probability") {
        c = [0, 1, 2].map((q) => REGION[0][q] * (1 - p) + REGION[1][q] * p);
      } else {
        const cls = Math.round(p * Math.max(labelsN - 1, 1));
        const hex = COLORS[cls % COLORS.length];
        c = [1, 3, 5].map((q) => 255 - 0.25 * (255 - parseInt(hex.substr(q, 2), 16)));
      }
      img.data[k] = c[0]; img.data[k + 1] = c[1]; img.data[k + 2] = c[2]; img.data[k + 3] = 255;
    }
  }
  const off = document.createElement("canvas"); off.width = res; off.height = res;
  off.getContext("2d").putImageData(img, 0, 0);
  const b = field.bounds;
  const [x0, y0] = v.to(b[0][0], b[1][1]), [x1, y1] = v.to(b[1][0], b[0][1]);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, x0, y0, x1 - x0, y1 - y0);
}

function pointRadius(c, n) { return Math.max(1.6, Math.min(4, 900 / Math.sqrt(n + 1) / 12)) * (c.width / 440); }

function drawPoints2d(ctx, v, pts, labels, d, c, nTrain) {
  // a view computed just before the data changed may be one point short or long: draw both
  const n = Math.min(labels.length, Math.floor(pts.length / d)), r = pointRadius(c, n);
  for (let i = 0; i < n; i++) {
    const x = pts[i * d], y = d > 1 ? pts[i * d + 1] : jitter(i, labels[i]);
    const [px, py] = v.to(x, y);
    ctx.beginPath(); ctx.arc(px, py, r, 0, 2 * Math.PI);
    ctx.fillStyle = COLORS[labels[i] % COLORS.length];
    ctx.fill();
    ctx.lineWidth = Math.max(0.6, r * 0.25);
    ctx.strokeStyle = nTrain !== undefined && i >= nTrain ? "#111" : "rgba(255,255,255,0.9)";
    ctx.stroke();
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

function drawScene(c, sc) {
  // sc: {dim, pts:{data}, labels, grid:{shape,data}, bounds, separator, fieldData, nTrain}
  const ctx = setupCanvas(c);
  if (sc.dim === 3) return draw3d(c, ctx, sc);
  const v = view2d(c, box2(sc.bounds, sc.dim));
  if (sc.fieldData && sc.dim === 2) drawField(ctx, v, sc.fieldData, sc.nClasses || 2);
  if (sc.fieldData && sc.dim === 1) drawField1d(ctx, v, sc.fieldData);
  if (sc.dim === 2) drawGrid2d(ctx, v, sc.grid, 2, c); else drawGrid1d(ctx, v, sc.grid);
  drawSeparator2d(ctx, v, sc.separator, sc.dim);
  drawPoints2d(ctx, v, sc.pts.data, sc.labels, sc.dim, c, sc.nTrain);
  return v;
}

function drawField1d(ctx, v, field) {
  const vals = field.vals, n = vals.length, b = field.bounds;
  for (let i = 0; i < n; i++) {
    const x0 = b[0][0] + (b[1][0] - b[0][0]) * i / n, x1 = b[0][0] + (b[1][0] - b[0][0]) * (i + 1) / n;
    const p = vals[i] / 255;
    const c = [0, 1, 2].map((q) => Math.round(REGION[0][q] * (1 - p) + REGION[1][q] * p));
    ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`;
    const [px0] = v.to(x0, 0), [px1] = v.to(x1, 0);
    ctx.fillRect(px0, 0, px1 - px0 + 1, ctx.canvas.height);
  }
}

// ------------------------------------------------------------------------------------ 3-D
function rotation(id) {
  if (!S.rot[id]) S.rot[id] = { yaw: -0.9, pitch: 0.45 };
  const { yaw, pitch } = S.rot[id];
  const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
  // rows: screen x, screen y (up), depth (toward the viewer); z is up in data space
  return [[cy, sy, 0], [-sy * sp, cy * sp, cp], [sy * cp, -cy * cp, sp]];
}

function enableRotation(id) {
  const c = $(id);
  let drag = null;
  c.addEventListener("mousedown", (e) => {
    if (!c.classList.contains("rot")) return;
    drag = { x: e.clientX, y: e.clientY };
  });
  window.addEventListener("mouseup", () => { drag = null; });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    const r = S.rot[id] || (rotation(id), S.rot[id]);
    r.yaw += (e.clientX - drag.x) * 0.01;
    r.pitch = Math.max(-1.5, Math.min(1.5, r.pitch + (e.clientY - drag.y) * 0.01));
    drag = { x: e.clientX, y: e.clientY };
    if (id === "stage-canvas") drawStage(); else if (id === "anim-canvas") drawAnim(); else drawInput();
  });
}

function draw3d(c, ctx, sc) {
  const R = rotation(c.id), b = sc.bounds;
  const ctr = [0, 1, 2].map((j) => (b[0][j] + b[1][j]) / 2);
  const half = Math.max(...[0, 1, 2].map((j) => (b[1][j] - b[0][j]) / 2), 1e-9);
  const s = Math.min(c.width, c.height) * 0.5 / (half * 1.8);
  const proj = (x, y, z) => {
    const p = [x - ctr[0], y - ctr[1], z - ctr[2]];
    return [c.width / 2 + s * (R[0][0] * p[0] + R[0][1] * p[1] + R[0][2] * p[2]),
      c.height / 2 - s * (R[1][0] * p[0] + R[1][1] * p[1] + R[1][2] * p[2]),
      R[2][0] * p[0] + R[2][1] * p[1] + R[2][2] * p[2]];
  };
  // the box's edges for depth cues
  ctx.strokeStyle = "rgba(0,0,0,0.12)"; ctx.lineWidth = 1;
  for (let m = 0; m < 8; m++) {
    for (let j = 0; j < 3; j++) {
      if (m & (1 << j)) continue;
      const a = [0, 1, 2].map((q) => b[(m >> q) & 1][q]);
      const e = a.slice(); e[j] = b[1][j];
      const [x0, y0] = proj(...a), [x1, y1] = proj(...e);
      ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
    }
  }
  const [L, P] = sc.grid.shape; const g = sc.grid.data;
  ctx.strokeStyle = GRID; ctx.lineWidth = 0.8;
  for (let l = 0; l < L; l++) {
    ctx.beginPath();
    for (let p = 0; p < P; p++) {
      const k = (l * P + p) * 3; const [px, py] = proj(g[k], g[k + 1], g[k + 2]);
      if (p === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    }
    ctx.stroke();
  }
  const sep = sc.separator;
  if (sep && sep.length >= 3) {
    ctx.beginPath();
    sep.forEach((q, i) => { const [px, py] = proj(q[0], q[1], q[2]); if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py); });
    ctx.closePath(); ctx.fillStyle = "rgba(20,20,20,0.13)"; ctx.fill();
    ctx.strokeStyle = "rgba(20,20,20,0.7)"; ctx.lineWidth = 1.5; ctx.stroke();
  }
  const pts = sc.pts.data, n = Math.min(sc.labels.length, Math.floor(pts.length / 3));
  const r = pointRadius(c, n) * 0.9;
  const order = []; const scr = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const q = proj(pts[i * 3], pts[i * 3 + 1], pts[i * 3 + 2]);
    scr[i * 3] = q[0]; scr[i * 3 + 1] = q[1]; scr[i * 3 + 2] = q[2]; order.push(i);
  }
  order.sort((i, j) => scr[i * 3 + 2] - scr[j * 3 + 2]);
  for (const i of order) {
    ctx.beginPath(); ctx.arc(scr[i * 3], scr[i * 3 + 1], r, 0, 2 * Math.PI);
    ctx.fillStyle = COLORS[sc.labels[i] % COLORS.length]; ctx.fill();
    ctx.strokeStyle = "rgba(255,255,255,0.8)"; ctx.lineWidth = 0.6; ctx.stroke();
  }
  ctx.fillStyle = "#8a9099"; ctx.font = `${Math.round(11 * c.width / 440)}px system-ui`;
  ctx.fillText("drag to rotate", 8, c.height - 8);
  return null;
}

// --------------------------------------------------------------------------- the views
function inputScene() {
  const d = S.data; if (!d) return null;
  const dom = d.domain, dim = d.d;
  const sc = { dim: Math.min(dim, 3), pts: { data: d.pts }, labels: d.labels, bounds: dom,
    separator: null, nTrain: d.n_train, nClasses: d.n_classes };
  if (dim > 3) return null;
  sc.grid = regularGrid(dom, dim);
  if (S.inputField && dim <= 2) sc.fieldData = S.inputField;
  return sc;
}

function regularGrid(b, dim) {
  const lines = dim === 2 ? 17 : dim === 3 ? 5 : 1, P = 2;
  if (dim === 1) return { shape: [1, 2, 1], data: new Float32Array([b[0][0], b[1][0]]) };
  const out = [];
  const tick = (j, i) => b[0][j] + (b[1][j] - b[0][j]) * i / (lines - 1);
  for (let axis = 0; axis < dim; axis++) {
    const others = [...Array(dim).keys()].filter((j) => j !== axis);
    const combos = dim === 2 ? [...Array(lines).keys()].map((i) => [i])
      : [].concat(...[...Array(lines).keys()].map((i) => [...Array(lines).keys()].map((k) => [i, k])));
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

function drawInput() {
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
  if (S.data.d === 1) sc.grid = { shape: [1, 2, 1], data: new Float32Array([sc.bounds[0][0], sc.bounds[1][0]]) };
  S.inputView = drawScene(c, sc);
}

function drawStage() {
  const c = $("stage-canvas");
  const st = S.status ? S.status.stage : 0;
  const sc0 = st === 0 && S.data && S.data.d <= 3 ? inputScene() : null;
  if (sc0 || !S.stage) {
    c.classList.toggle("rot", !!sc0 && sc0.dim === 3);
    if (sc0) drawScene(c, sc0); else clearCanvas(c);
    $("stage-note").textContent = sc0 ? "the input space (choose a stage above)" : "";
    return;
  }
  const sc = S.stage;
  c.classList.toggle("rot", sc.dim === 3);
  drawScene(c, { dim: sc.dim, pts: sc.pts, labels: S.data.labels, grid: sc.grid,
    bounds: sc.bounds, separator: sc.separator, fieldData: sc.fieldData,
    nTrain: S.data.n_train, nClasses: S.data.n_classes });
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
  $("stage-note").textContent = `${sc.title.replace(/\n/g, " — ")}${notes.length ? " — " + notes.join("; ") : ""}`;
  $("stage-note").title = $("stage-note").textContent;
}

function drawAnim() {
  const a = S.anim, c = $("anim-canvas");
  if (!a) return;
  const i = Math.min(S.animIndex, a.n_frames - 1);
  const D = a.dim, n = a.labs.length;
  const [F, L, P] = a.grid.shape;
  const pts = a.pts.subarray(i * n * D, (i + 1) * n * D);
  const grid = { shape: [L, P, D], data: a.grid.data.subarray(i * L * P * D, (i + 1) * L * P * D) };
  const bb = a.bnds.subarray(i * 2 * D, (i + 1) * 2 * D);
  const bounds = [Array.from(bb.subarray(0, D)), Array.from(bb.subarray(D, 2 * D))];
  drawScene(c, { dim: D, pts: { data: pts }, labels: a.labs, grid, bounds,
    separator: a.separators[i], nTrain: undefined });
  $("anim-label").textContent = `${i + 1}/${F}`;
  const note = $("anim-note");
  // the state first ("readable state, step 75 of 200: ..."), so the two-line note never cuts it
  const state = a.state || (a.step !== undefined ? `network at step ${a.step}` : "");
  note.textContent = `${state ? state + ": " : ""}${a.titles[i]}` +
    `${a.notes[i] ? " — " + a.notes[i] : ""}`;
  note.title = note.textContent;
  note.className = a.flagged[i] ? "note flag" : "note";
}

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

function drawCurves() {
  const c = $("curves-canvas"); const ctx = setupCanvas(c);
  const W = c.width, H = c.height, dpr = window.devicePixelRatio || 1, k = dpr;
  const loss = S.curves.loss, ev = S.curves.evals;
  const n = loss.length;
  ctx.font = `${Math.round(11 * k)}px system-ui`; ctx.textBaseline = "middle";
  const L = 46 * k, Rm = 10 * k, gap = 30 * k, top1 = 20 * k, bottomAxis = 30 * k;
  const hAll = H - top1 - gap - bottomAxis;
  const h1 = hAll * 0.55, top2 = top1 + h1 + gap, h2 = hAll - h1;
  const xmax = Math.max(n, ev.length ? ev[ev.length - 1][0] : 1, 1);
  const X = (s) => L + (W - L - Rm) * s / xmax;
  for (const [t, h, name] of [[top1, h1, "loss (log scale)"], [top2, h2, "accuracy"]]) {
    ctx.strokeStyle = "#e2e6ea"; ctx.lineWidth = 1; ctx.strokeRect(L, t, W - L - Rm, h);
    ctx.fillStyle = "#66707c"; ctx.textAlign = "left"; ctx.fillText(name, L, t - 9 * k);
  }
  // x ticks (steps) under both panels, labels under the lower one
  ctx.textAlign = "center";
  for (const v of niceTicks(0, xmax, Math.max(2, Math.floor((W - L) / (70 * k))))) {
    if (v !== Math.round(v)) continue;  // steps are whole numbers
    const x = X(v);
    ctx.strokeStyle = "#f0f2f4";
    for (const [t, h] of [[top1, h1], [top2, h2]]) { ctx.beginPath(); ctx.moveTo(x, t); ctx.lineTo(x, t + h); ctx.stroke(); }
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
  if (!n && !ev.length) return;
  let lo = Infinity, hi = -Infinity;
  for (const v of loss) { if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
  for (const e of ev) for (const v of [e[3], e[4]]) if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!Number.isFinite(lo)) { lo = 1e-3; hi = 1; }
  const span = Math.max(Math.log10(hi) - Math.log10(lo), 0.3);  // at least a factor of two
  const mid = (Math.log10(hi) + Math.log10(lo)) / 2;
  const llo = mid - span / 2 - 0.05, lhi = mid + span / 2 + 0.05;
  const Y1 = (v) => top1 + h1 * (1 - (Math.log10(Math.max(v, 1e-12)) - llo) / Math.max(lhi - llo, 1e-9));
  // y ticks of the loss: decades when the range is wide, else round values in between
  let ticks = [];
  for (let d = Math.ceil(llo); d <= Math.floor(lhi); d++) ticks.push(Math.pow(10, d));
  if (ticks.length < 2) ticks = niceTicks(Math.pow(10, llo), Math.pow(10, lhi), 3).filter((v) => v > 0);
  ctx.textAlign = "right";
  for (const v of ticks) {
    const y = Y1(v);
    ctx.strokeStyle = "#f0f2f4"; ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(W - Rm, y); ctx.stroke();
    ctx.fillStyle = "#66707c"; ctx.fillText(shortNum(v), L - 4 * k, y);
  }
  const stride = Math.max(1, Math.floor(n / 800));
  // train under test: train solid and wider, test dashed on top, so both show where they meet
  ctx.lineWidth = 2.2 * k;
  line(ctx, n, stride, (i) => X(i + 1), (i) => Y1(loss[i]), "#1d232b");
  ctx.lineWidth = 1.6 * k; ctx.setLineDash([5 * k, 3 * k]);
  line(ctx, ev.length, 1, (i) => X(ev[i][0]), (i) => Y1(ev[i][4]), "#e08a00", (i) => ev[i][4] !== null);
  ctx.setLineDash([]);
  // accuracy
  const Y2 = (v) => top2 + h2 * (1 - v);
  for (const v of [0, 0.5, 1]) {
    ctx.strokeStyle = "#f0f2f4"; ctx.beginPath(); ctx.moveTo(L, Y2(v)); ctx.lineTo(W - Rm, Y2(v)); ctx.stroke();
    ctx.fillStyle = "#66707c"; ctx.fillText(v.toFixed(1), L - 4 * k, Y2(v));
  }
  ctx.lineWidth = 2.2 * k;
  line(ctx, ev.length, 1, (i) => X(ev[i][0]), (i) => Y2(ev[i][1]), "#1d232b");
  ctx.lineWidth = 1.6 * k; ctx.setLineDash([5 * k, 3 * k]);
  line(ctx, ev.length, 1, (i) => X(ev[i][0]), (i) => Y2(ev[i][2]), "#e08a00", (i) => ev[i][2] !== null);
  ctx.setLineDash([]);
  ctx.textAlign = "left";
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

function redrawAll() { drawInput(); drawStage(); drawAnim(); drawCurves(); }

// ------------------------------------------------------------------ clicks on the input
function onCanvasClick(e, remove) {
  if (!S.data || S.data.d > 2 || !S.inputView) return;
  const c = $("input-canvas"); const rect = c.getBoundingClientRect();
  const px = (e.clientX - rect.left) * c.width / rect.width;
  const py = (e.clientY - rect.top) * c.height / rect.height;
  const [x, y] = S.inputView.from(px, py);
  const pt = S.data.d === 1 ? [x] : [x, y];
  const round = (v) => Math.round(v * 1e4) / 1e4;
  const p = pt.map(round);
  // an edit enters the link only once the server has made it (a click beside every point
  // removes nothing and is not replayed)
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

// ---------------------------------------------------------------- the state in the URL
const MAX_EDITS_IN_URL = 300;
const MAX_CSV_IN_URL = 6000;  // characters of base64: links stay usable in chats and mail

function b64url(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = ""; for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
}

function saveHash() {
  if (!S.ready || !S.data || !S.network || S.pendingHash) return;
  const q = new URLSearchParams();
  const info = S.data.info;
  S.linkNote = "";
  if (info.dataset) {
    q.set("data", info.dataset); q.set("n", info.n); q.set("seed", info.seed);
    for (const [k, v] of Object.entries(info.params || {})) q.set(`p.${k}`, v);
  } else if (S.csv) {
    const enc = b64url(S.csv.text);
    if (enc.length <= MAX_CSV_IN_URL) {
      q.set("csv", enc); q.set("csvname", S.csv.name); q.set("seed", info.seed);
    } else {
      S.linkNote = `the uploaded file (${S.csv.text.length} characters) is too large to ` +
        `carry in the link; share the file with it`;
    }
  }
  q.set("hidden", S.network.hidden.join(","));
  q.set("act", S.network.activation); q.set("init", S.network.seed);
  const st = S.status;
  if (st) {
    q.set("lr", st.lr); q.set("batch", st.batch_size); q.set("opt", st.optimizer);
    q.set("speed", st.speed); q.set("view", st.stage);
    if (st.show && st.show !== "live") q.set("show", st.show);
    q.set("pen", st.penalty || "none"); if (st.penalty) q.set("pw", st.penalty_weight);
  }
  if (S.edits.length && S.edits.length <= MAX_EDITS_IN_URL) {
    q.set("edits", S.edits.map((e) => `${e[0]}${e[1].join(" ")} ${e[2]}`).join(";"));
  } else if (S.edits.length) {
    S.linkNote = `the link holds at most ${MAX_EDITS_IN_URL} point edits`;
  }
  history.replaceState(null, "", "#" + q.toString());
}

function loadHash() {
  const h = location.hash.slice(1);
  if (!h) return false;
  const q = new URLSearchParams(h);
  const ds = q.get("data");
  let waitData = null;
  if (q.has("csv")) {
    try {
      S.csvPending = { text: unb64url(q.get("csv")), name: q.get("csvname") || "shared.csv" };
      waitData = "csv";
      send({ type: "upload_csv", text: S.csvPending.text, seed: intOr(q.get("seed"), 0) });
    } catch (e) {
      showError("the data in this link is damaged; showing the default data set instead");
    }
  } else if (ds && datasetSpec(ds)) {
    $("dataset").value = ds;
    const params = {};
    for (const [k, v] of q.entries()) if (k.startsWith("p.")) params[k.slice(2)] = parseFloat(v);
    showParams(ds, { ...datasetSpec(ds).params, ...params });
    $("n").value = q.get("n") || datasetSpec(ds).n;
    $("data-seed").value = q.get("seed") || 0;
    waitData = "dataset";
    regenerate();
  }
  if (q.has("hidden")) $("hidden").value = q.get("hidden");
  if (q.has("act")) $("activation").value = q.get("act");
  if (q.has("init")) $("net-seed").value = q.get("init");
  if (q.has("lr")) $("lr").value = q.get("lr");
  if (q.has("batch")) $("batch").value = q.get("batch");
  if (q.has("opt")) $("optimizer").value = q.get("opt");
  if (q.has("speed")) $("speed").value = q.get("speed");
  if (q.has("pen") && !$("penalty-row").hidden) {
    $("penalty").value = q.get("pen"); $("penalty-weight").value = q.get("pw") || 0;
  }
  const view = q.has("view") ? parseInt(q.get("view"), 10) : null;
  S.wantView = Number.isFinite(view) ? view : null;
  S.pendingHash = { waitData, edits: (q.get("edits") || "").split(";").filter(Boolean).map((s) => {
    const kind = s[0]; const nums = s.slice(1).split(" ").map(Number);
    return [kind, nums.slice(0, -1), nums[nums.length - 1]];
  }) };
  buildNetwork();
  sendTrain();
  const show = q.get("show");
  if (show === "readable" || show === "final") send({ type: "show", state: show });
  if (!waitData) applyEdits();
  return true;
}

function applyEdits() {
  const p = S.pendingHash;
  if (p.applied) return;
  p.applied = true;
  const last = { type: "ping" };
  for (const e of p.edits) {
    S.edits.push(e);
    if (e[0] === "a") send({ type: "add_point", x: e[1], label: e[2] });
    else send({ type: "remove_point", x: e[1], radius: e[2] });
  }
  // the link is restored once the server has answered everything it asked for
  request(last).then(() => {
    S.pendingHash = null;
    if (S.wantView !== null && S.wantView !== undefined && S.network &&
        S.wantView < S.network.stages.length) {
      send({ type: "view", stage: S.wantView });
    }
    S.wantView = null;
    saveHash();
  });
}

// ---------------------------------------------------------------------------- startup
wire();
closeAnimation();
connect();
const boot = setInterval(() => {
  if (S.registry && S.data && S.network && S.status) {
    clearInterval(boot);
    S.ready = true;
    if (!loadHash()) {
      const spec = datasetSpec(S.data.info.dataset);
      if (spec) { showParams(spec.name, { ...spec.params, ...S.data.info.params }); $("n").value = S.data.info.n; }
      saveHash();
    }
    redrawAll();
  }
}, 30);
