// The share link: the whole state (data or an uploaded file, point edits, network, seeds,
// training settings, the view and the state shown) kept in the address bar's hash, and
// restored from it when a tab opens on a link. A restored link asks the server for each part
// and counts as done once the server has answered everything it asked for.
import { $, intOr } from "./util.js";
import { showError } from "./notice.js";
import { request, send } from "./transport.js";
import { buildNetwork, datasetSpec, regenerate, sendTrain, showParams } from "./controls.js";
import { loadDataControls, loadOtherControls, readTestShare, saveControls } from "./playground.js";

const MAX_EDITS_IN_URL = 300;
const MAX_CSV_IN_URL = 6000;  // characters of base64: links stay usable in chats and mail

// the page's state: ready, data, network, status, csv, csvPending, edits, pendingHash,
// wantView, linkNote (why the link does not hold everything)
let S = null;

export function initLink(state) { S = state; }

function b64url(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = ""; for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
}

// writes the state into the hash (not while a link is being restored)
export function saveHash() {
  if (!S.ready || !S.data || !S.network || S.pendingHash) return;
  const q = new URLSearchParams();
  const info = S.data.info;
  S.linkNote = "";
  if (info.dataset) {
    q.set("data", info.dataset); q.set("n", info.n); q.set("seed", info.seed);
    for (const [k, v] of Object.entries(info.params || {})) if (k !== "noise") q.set(`p.${k}`, v);
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
  saveControls(q);
  if (S.edits.length && S.edits.length <= MAX_EDITS_IN_URL) {
    q.set("edits", S.edits.map((e) => `${e[0]}${e[1].join(" ")} ${e[2]}`).join(";"));
  } else if (S.edits.length) {
    S.linkNote = `the link holds at most ${MAX_EDITS_IN_URL} point edits`;
  }
  history.replaceState(null, "", "#" + q.toString());
}

// Restores the state a link holds; false when the address has no hash.
export function loadHash() {
  const h = location.hash.slice(1);
  if (!h) return false;
  const q = new URLSearchParams(h);
  const waitData = loadData(q);
  loadFields(q);
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

// asks for the link's data: "csv" or "dataset" when a data reply is awaited, else null
function loadData(q) {
  const ds = q.get("data");
  if (q.has("csv")) {
    try {
      S.csvPending = { text: unb64url(q.get("csv")), name: q.get("csvname") || "shared.csv" };
      loadDataControls(q);
      send({ type: "upload_csv", text: S.csvPending.text, seed: intOr(q.get("seed"), 0),
        test_size: readTestShare() });
      return "csv";
    } catch (e) {
      showError("the data in this link is damaged; showing the default data set instead");
    }
  } else if (ds && datasetSpec(ds)) {
    $("dataset").value = ds;
    const params = {};
    for (const [k, v] of q.entries()) if (k.startsWith("p.")) params[k.slice(2)] = parseFloat(v);
    showParams(ds, { ...datasetSpec(ds).params, ...params });
    loadDataControls(q);
    $("n").value = q.get("n") || datasetSpec(ds).n;
    $("data-seed").value = q.get("seed") || 0;
    regenerate();
    return "dataset";
  }
  return null;
}

// the network and training fields as the link holds them (sent by the caller)
function loadFields(q) {
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
  loadOtherControls(q);
}

// replays the link's point edits once its data is in, then its view
export function applyEdits() {
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
