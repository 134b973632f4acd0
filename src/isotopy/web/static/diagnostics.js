// The stage diagnostics panel: a table of the stages (shape, homeomorphism onto the image,
// det W, singular values, spread, edge fraction), the Betti numbers of each class through
// the network, and a map of how much the network stretches space near each input point.
// Each function takes what it shows as arguments; nothing here holds state.
import { $, COLORS, decode } from "./util.js";
import { setupCanvas, view2d } from "./canvas.js";

const HINT = `<p class="hint">Press Diagnose for, per stage: the shape, whether it is a ` +
  `homeomorphism onto its image, det W of square affine maps and their singular values, and ` +
  `the Betti numbers of each class through the network.</p>`;

const esc = (t) => String(t).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (x) => (Math.abs(x) >= 1e3 || (Math.abs(x) < 1e-3 && x !== 0)) ? x.toExponential(2)
  : x.toFixed(3);

// the panel as before Diagnose is pressed (a new network)
export function clearDiagnostics() { $("diagnostics").innerHTML = HINT; }

// the server's diagnostics reply `m`; `data` (the page's points, or null) is drawn over the
// stretch map
export function showDiagnostics(m, data) {
  let html = stageTable(m.rows);
  if (m.betti) html += bettiTable(m.betti);
  else if (m.betti_error) html += `<p class="hint">Betti numbers: ${esc(m.betti_error)}</p>`;
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
  if (m.stretch) drawStretch(m.stretch, data);
}

function stageTable(rows) {
  const hasCond = rows.some((r) => r.condition !== undefined);
  const hasEdge = rows.some((r) => r.edge !== undefined);
  const hasNote = rows.some((r) => r.note);
  let html = `<table><thead><tr><th>stage</th><th>map</th><th>homeomorphism onto image</th>` +
    `<th>det W</th><th>singular values</th>` + (hasCond ? `<th>condition</th>` : "") +
    `<th>spread of the output</th>` + (hasEdge ? `<th>edge fraction</th>` : "") +
    (hasNote ? `<th>note</th>` : "") + `</tr></thead><tbody>`;
  for (const r of rows) {
    html += `<tr><td>${esc(r.name)}</td><td>${esc(r.type)} ${r.d_in}→${r.d_out}</td>` +
      `<td class="${r.homeomorphism ? "yes" : "no"}">${r.homeomorphism ? "yes" : "no"}</td>` +
      `<td>${r.det === undefined || r.det === null ? "" : fmt(r.det)}</td>` +
      `<td>${r.singular_values ? r.singular_values.map(fmt).join(", ") : ""}</td>` +
      (hasCond ? `<td>${r.condition === undefined || r.condition === null ? ""
        : (typeof r.condition === "number" ? fmt(r.condition) : esc(r.condition))}` +
        `${r.near_singular ? " (near singular)" : ""}</td>` : "") +
      `<td>${r.spread.map(fmt).join(", ")}</td>` +
      (hasEdge ? `<td>${r.edge === undefined || r.edge === null ? ""
        : r.edge.toFixed(2)}</td>` : "") +
      (hasNote ? `<td>${esc(r.note || "")}</td>` : "") + `</tr>`;
  }
  return html + `</tbody></table>`;
}

function bettiTable(b) {
  const names = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];
  let html = `<table class="betti"><thead><tr><th>representation</th>` +
    b.classes.map((c) => `<th>class ${names[c] || c}: (β0, β1)</th>`).join("") +
    `</tr></thead><tbody>`;
  b.stages.forEach((name, s) => {
    const how = b.sources && b.sources[s] === "carried" ? " (carried)" : "";
    const cell = (v, c) => v.map((x, k) =>
      b.resolved && b.resolved[s] && !b.resolved[s][c][k] ? "not resolved" : x).join(", ");
    html += `<tr><td>${esc(name + how)}</td>` +
      b.betti[s].map((v, c) => `<td>(${cell(v, c)})</td>`).join("") + `</tr>`;
  });
  return html + `</tbody></table><p class="hint">Betti numbers of each class's points ` +
    `(β0 counts pieces, β1 loops), the topological reading: read from the points ` +
    `(persistent homology, ${esc(b.metric || "robust")} reading) at the input and after ` +
    `every stage that is not a homeomorphism, and carried unchanged through every stage ` +
    `that is one, which cannot change them.</p>`;
}

// the stretch map: log10 of the Jacobian's norm over a grid of the input, three decades
function drawStretch(st, data) {
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
  if (data) {
    const d = data.d, pts = data.pts, labels = data.labels;
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
