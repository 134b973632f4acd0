// 3-D scenes: a rotation per canvas that the reader turns by dragging, and the drawing of a
// scene through it (the bounding box, the grid's image, the read-out's plane, the points
// back to front). Rotations live in the state's `rot` object, passed in by the caller.
import { COLORS, GRID } from "./util.js";
import { markPoint, pointRadius, shownPoints } from "./canvas.js";

// the rotation matrix of canvas `id` (a default turn the first time)
function rotation(rot, id) {
  if (!rot[id]) rot[id] = { yaw: -0.9, pitch: 0.45 };
  const { yaw, pitch } = rot[id];
  const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
  // rows: screen x, screen y (up), depth (toward the viewer); z is up in data space
  return [[cy, sy, 0], [-sy * sp, cy * sp, cp], [sy * cp, -cy * cp, sp]];
}

// dragging on canvas `c` (while it shows a 3-D scene: class "rot") turns it; `redraw` draws
// it again
export function enableRotation(c, rot, redraw) {
  let drag = null;
  c.addEventListener("mousedown", (e) => {
    if (!c.classList.contains("rot")) return;
    drag = { x: e.clientX, y: e.clientY };
  });
  window.addEventListener("mouseup", () => { drag = null; });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    const r = rot[c.id] || (rotation(rot, c.id), rot[c.id]);
    r.yaw += (e.clientX - drag.x) * 0.01;
    r.pitch = Math.max(-1.5, Math.min(1.5, r.pitch + (e.clientY - drag.y) * 0.01));
    drag = { x: e.clientX, y: e.clientY };
    redraw();
  });
}

function drawBox(ctx, proj, b) {  // the box's edges, for depth cues
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
}

function drawGrid3d(ctx, proj, grid) {
  const [L, P] = grid.shape; const g = grid.data;
  ctx.strokeStyle = GRID; ctx.lineWidth = 0.8;
  for (let l = 0; l < L; l++) {
    ctx.beginPath();
    for (let p = 0; p < P; p++) {
      const k = (l * P + p) * 3; const [px, py] = proj(g[k], g[k + 1], g[k + 2]);
      if (p === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    }
    ctx.stroke();
  }
}

function drawPlane(ctx, proj, sep) {  // the read-out's boundary: a polygon in 3-D
  if (!sep || sep.length < 3) return;
  ctx.beginPath();
  sep.forEach((q, i) => {
    const [px, py] = proj(q[0], q[1], q[2]);
    if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py);
  });
  ctx.closePath(); ctx.fillStyle = "rgba(20,20,20,0.13)"; ctx.fill();
  ctx.strokeStyle = "rgba(20,20,20,0.7)"; ctx.lineWidth = 1.5; ctx.stroke();
}

function drawPoints3d(c, ctx, proj, sc) {  // back to front
  const pts = sc.pts.data, all = Math.min(sc.labels.length, Math.floor(pts.length / 3));
  const r = pointRadius(c, all) * 0.9, n = shownPoints(sc, all);
  const order = []; const scr = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const q = proj(pts[i * 3], pts[i * 3 + 1], pts[i * 3 + 2]);
    scr[i * 3] = q[0]; scr[i * 3 + 1] = q[1]; scr[i * 3 + 2] = q[2]; order.push(i);
  }
  order.sort((i, j) => scr[i * 3 + 2] - scr[j * 3 + 2]);
  for (const i of order) {
    const test = sc.nTrain !== undefined && i >= sc.nTrain;
    markPoint(ctx, scr[i * 3], scr[i * 3 + 1], r, COLORS[sc.labels[i] % COLORS.length], test);
  }
}

export function draw3d(c, ctx, sc, rot) {
  const R = rotation(rot, c.id), b = sc.bounds;
  const ctr = [0, 1, 2].map((j) => (b[0][j] + b[1][j]) / 2);
  const half = Math.max(...[0, 1, 2].map((j) => (b[1][j] - b[0][j]) / 2), 1e-9);
  const s = Math.min(c.width, c.height) * 0.5 / (half * 1.8);
  const proj = (x, y, z) => {
    const p = [x - ctr[0], y - ctr[1], z - ctr[2]];
    return [c.width / 2 + s * (R[0][0] * p[0] + R[0][1] * p[1] + R[0][2] * p[2]),
      c.height / 2 - s * (R[1][0] * p[0] + R[1][1] * p[1] + R[1][2] * p[2]),
      R[2][0] * p[0] + R[2][1] * p[1] + R[2][2] * p[2]];
  };
  drawBox(ctx, proj, b);
  drawGrid3d(ctx, proj, sc.grid);
  drawPlane(ctx, proj, sc.separator);
  drawPoints3d(c, ctx, proj, sc);
  ctx.fillStyle = "#8a9099"; ctx.font = `${Math.round(11 * c.width / 440)}px system-ui`;
  ctx.fillText("drag to rotate", 8, c.height - 8);
  return null;
}
