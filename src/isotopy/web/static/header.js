// The header: the step, Play/Pause, the training fields as the server uses them, the views'
// state menu and the label of the state the views show ("readable state, step 160 of 3000").
import { $ } from "./util.js";
import { setInputNote } from "./views.js";
import { showControls } from "./playground.js";

// the page's state: status, step (the latest training step), shown, and sentTrain (training
// values sent and not yet answered)
let S = null;

export function initHeader(state) { S = state; }

export function setPlaying(on) {
  const b = $("play");
  b.textContent = on ? "❚❚ Pause" : "▶ Play";
  b.dataset.playing = on ? "1" : "0";
}

// the training fields show what the server uses (a field being typed in is left alone
// unless `force`, after the server refused what it held)
export function showStatus(m, force) {
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
  if (m.regularization !== undefined) {
    put("reg", m.regularization || "none"); put("reg-rate", m.reg_rate);
  }
  showControls(m, force);
  if ($("stage").options.length > m.stage) $("stage").value = m.stage;
  if (m.show) {
    if (document.activeElement !== $("show") || force) {
      $("show").value = m.show === "readable" ? "readable" : "live";
    }
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

export function showState() {
  const st = S.shown, el = $("state-label");
  if (!st) { el.textContent = ""; return; }
  let text = stateText(), more = "";
  const now = S.status ? S.step : st.step;  // the step training is at, frames included
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
