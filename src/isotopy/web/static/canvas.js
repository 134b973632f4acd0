// Canvas basics shared by every view: sizing a canvas to its box at the screen's pixel
// ratio, a placeholder text, the equal-aspect map from a 2-D box to the canvas, and the size
// and mark of a point (training or test). Nothing here holds state.

// sizes the canvas to its box (square views fill their box; curves fill it all) at the
// screen's pixel ratio and clears it to white; returns its 2-D context
export function setupCanvas(c) {
  const dpr = window.devicePixelRatio || 1;
  const box = c.parentElement;
  if (box && box.classList.contains("cbox")) {
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

export function clearCanvas(c) { setupCanvas(c); }

// a canvas holding only a short text, wrapped to lines and centred
export function placeholder(c, text) {
  const ctx = setupCanvas(c);
  ctx.fillStyle = "#8a9099"; ctx.textAlign = "center";
  ctx.font = `${Math.round(13 * c.width / 440)}px system-ui`;
  const words = text.split(" "), lines = [""];
  for (const w of words) {
    if (ctx.measureText(lines[lines.length - 1] + " " + w).width > c.width * 0.8) lines.push(w);
    else lines[lines.length - 1] += (lines[lines.length - 1] ? " " : "") + w;
  }
  lines.forEach((l, i) => ctx.fillText(l, c.width / 2,
    c.height / 2 + (i - (lines.length - 1) / 2) * 18 * c.width / 440));
  ctx.textAlign = "left";
}

// equal-aspect map from a 2-D box to the canvas
export function view2d(c, b, pad = 0.04) {
  const W = c.width, H = c.height;
  const dx = Math.max(b[1][0] - b[0][0], 1e-9), dy = Math.max(b[1][1] - b[0][1], 1e-9);
  const s = Math.min(W / dx, H / dy) * (1 - 2 * pad);
  const cx = (b[0][0] + b[1][0]) / 2, cy = (b[0][1] + b[1][1]) / 2;
  return {
    s, to: (x, y) => [W / 2 + (x - cx) * s, H / 2 - (y - cy) * s],
    from: (px, py) => [cx + (px - W / 2) / s, cy - (py - H / 2) / s],
  };
}

export function pointRadius(c, n) {
  return Math.max(1.6, Math.min(4, 900 / Math.sqrt(n + 1) / 12)) * (c.width / 440);
}

// how many of a scene's points to draw: the training points only, unless its test points are
// shown (scenes that do not know their split draw every point)
export function shownPoints(sc, n) {
  return sc.nTrain === undefined || sc.showTest ? n : Math.min(n, sc.nTrain);
}

// a point's mark: a disc with a white edge for training points, a square with a dark edge
// for test points (`test`), at (px, py) with radius r
export function markPoint(ctx, px, py, r, colour, test) {
  ctx.beginPath();
  if (test) ctx.rect(px - r, py - r, 2 * r, 2 * r); else ctx.arc(px, py, r, 0, 2 * Math.PI);
  ctx.fillStyle = colour; ctx.fill();
  ctx.lineWidth = test ? Math.max(1, r * 0.35) : Math.max(0.6, r * 0.25);
  ctx.strokeStyle = test ? "#111" : "rgba(255,255,255,0.9)";
  ctx.stroke();
}
