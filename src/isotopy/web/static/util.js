// Small helpers shared by the page's modules: element lookup, the class colours, arrays as
// the server sends them, numbers read from fields, and saving a URL as a download. Nothing
// here holds state.

// the class colours, as the library's static views and animations draw them
export const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
export const REGION = [[246, 201, 201], [201, 220, 240]];  // decision regions: A, B
export const GRID = "rgba(110,118,128,0.55)";

export const $ = (id) => document.getElementById(id);

// an array from the server ({shape, dtype, b64}) as {shape, data} over a typed array
export function decode(a) {
  const bin = atob(a.b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const T = a.dtype === "uint8" ? Uint8Array : Float32Array;
  return { shape: a.shape, data: new T(bytes.buffer) };
}

// a whole number of at least 0 from text, or `d`
export function intOr(v, d) {
  const x = parseInt(v, 10);
  return Number.isFinite(x) && x >= 0 ? x : d;
}

// a number field as typed (the server checks it and answers with one sentence if it is
// refused); an empty or unreadable field is null
export function numField(id) {
  const v = $(id).value.trim();
  return v === "" || !Number.isFinite(Number(v)) ? null : Number(v);
}

// the browser saves `url` as `filename` (a download the server holds, or a data URL)
export function triggerDownload(url, filename) {
  const a = document.createElement("a");
  a.href = url; a.download = filename; document.body.appendChild(a); a.click(); a.remove();
}

// a canvas as a PNG download named after the view and the training step
export function exportPNG(id, step) {
  triggerDownload($(id).toDataURL("image/png"),
    `isotopy-${id.replace("-canvas", "")}-step${step}.png`);
}
