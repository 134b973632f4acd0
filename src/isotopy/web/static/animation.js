// The animation panel: the continuous isotopy (every stage applied to the data and the grid)
// or the training replay, computed by the server as frames that the slider scrubs and ▶
// plays; its GIF and MP4 exports; and the queue of long jobs (frames, diagnostics, GIF, MP4),
// which the server runs one at a time per tab.
import { $, decode, intOr } from "./util.js";
import { placeholder } from "./canvas.js";
import { drawScene } from "./draw.js";
import { nextId, send } from "./transport.js";

// the page's state: anim, animIndex, animTimer, animAsked, jobs, jobId, shown, ready,
// registry (limits), rot
let S = null;

export function initAnimation(state) { S = state; }

export function animKind() { return document.querySelector("input[name=anim]:checked").value; }

function animHint() {
  const iso = animKind() === "isotopy";
  $("anim-compute").textContent = iso ? "Compute isotopy" : "Compute replay";
  return iso ? "Compute shows every stage applied continuously to the data and the grid " +
    "(press ▶ or drag the slider)." : "Compute replays the last hidden representation over " +
    "the recorded training snapshots.";
}

export function setBusy(what) {
  $("anim-note").className = "note";
  $("anim-note").textContent = what;
}

// Long jobs (frames, GIF, MP4) run one at a time per tab on the server: queue them here.
export function longJob(msg, busyText) {
  S.jobs = (S.jobs || []).filter((j) => j.msg.type !== msg.type || j.msg.what !== msg.what);
  S.jobs.push({ msg, busyText });
  if (!S.jobId) nextJob();
}

// sends the next queued job (called when the last one's final reply comes)
export function nextJob() {
  const job = (S.jobs || []).shift();
  S.jobId = null;
  if (!job) {
    if (S.anim) drawAnim(); else $("anim-note").textContent = animHint();
    return;
  }
  S.jobId = nextId();
  setBusy(job.busyText);
  send({ ...job.msg, id: S.jobId });
}

export function animFrames() {  // the frames used: the field is clamped to what the server allows
  const n = Math.max(2, Math.min(intOr($("anim-frames").value, 60), S.registry.limits.max_frames));
  $("anim-frames").value = n;
  return n;
}

export function computeAnimation() {
  longJob({ type: "animate", kind: animKind(), frames: animFrames() }, "computing frames…");
}

export function exportAnimation(fmt) {
  longJob({ type: "export", what: fmt, kind: animKind(), frames: animFrames(), fps: 20,
    size: 480 }, `rendering ${fmt.toUpperCase()}…`);
}

export function stopAnimPlay() {
  if (S.animTimer) clearInterval(S.animTimer);
  S.animTimer = null; $("anim-play").textContent = "▶";
}

// ▶ plays the frames in a loop, ❚❚ stops
export function toggleAnimPlay() {
  if (S.animTimer) { stopAnimPlay(); return; }
  $("anim-play").textContent = "❚❚";
  S.animTimer = setInterval(() => {
    if (!S.anim) return;
    S.animIndex = (S.animIndex + 1) % S.anim.n_frames;
    $("anim-slider").value = S.animIndex; drawAnim();
  }, 50);
}

// the frame the slider names
export function scrubAnim() {
  stopAnimPlay(); S.animIndex = parseInt($("anim-slider").value, 10); drawAnim();
}

// the panel emptied (the data or the network changed): a hint in place of the frames
export function closeAnimation() {
  stopAnimPlay(); S.anim = null;
  $("anim-slider").value = 0;
  $("anim-slider").disabled = true; $("anim-play").disabled = true;
  $("anim-label").textContent = "–";
  $("anim-note").textContent = animHint();
  $("anim-note").className = "note";
  placeholder($("anim-canvas"), animKind() === "isotopy" ? "press Compute isotopy to see every " +
    "stage applied continuously" : "press Compute replay to see training replayed");
}

// the server's animation reply, decoded, shown from its first frame
export function onAnimation(m) {
  S.anim = { ...m, pts: decode(m.points).data, grid: decode(m.grid), bnds: decode(m.bounds).data,
    labs: decode(m.labels).data };
  S.animIndex = 0;
  const sl = $("anim-slider");
  sl.max = m.n_frames - 1; sl.value = 0; sl.disabled = false;
  $("anim-play").disabled = false;
  $("anim-canvas").classList.toggle("rot", m.dim === 3);
  drawAnim();
}

export function drawAnim() {
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
    separator: a.separators[i], nTrain: undefined }, S.rot);
  $("anim-label").textContent = `${i + 1}/${F}`;
  const note = $("anim-note");
  // the state first ("readable state, step 75 of 200: ..."), so the two-line note never cuts it
  const state = a.state || (a.step !== undefined ? `network at step ${a.step}` : "");
  note.textContent = `${state ? state + ": " : ""}${a.titles[i]}` +
    `${a.notes[i] ? " — " + a.notes[i] : ""}`;
  note.title = note.textContent;
  note.className = a.flagged[i] ? "note flag" : "note";
}

// The animation panel shows the state the views show: when the views change between the live
// network and the readable state, or the readable state is chosen again at another step, the
// panel is computed again (once per state; a live animation keeps its step while training).
export function animFollowsState() {
  const a = S.anim, st = S.shown;
  if (!a || !st || !a.shown || !S.ready) return;
  const kind = (k) => (k === "readable" ? "readable" : "live");
  const stale = kind(a.shown) !== kind(st.kind) || (st.kind === "readable" && a.step !== st.step);
  const key = `${kind(st.kind)}:${st.step}`;
  if (!stale || S.animAsked === key) return;
  S.animAsked = key;
  computeAnimation();
}
