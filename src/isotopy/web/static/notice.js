// Messages to the reader (errors, and information in the same place): a line of their own
// between the header and the panels, never over a control. The panels make room, so their
// canvases are drawn again at the new size through the callback given to initNotice.
import { $ } from "./util.js";

let redraw = () => {};
let timer = null;

// `onResize` draws every view again (the panels change size when a message comes or goes)
export function initNotice(onResize) { redraw = onResize; }

export function showError(text, info = false) {
  const box = $("error");
  const was = box.hidden;
  box.textContent = text; box.hidden = false;
  box.className = info ? "info" : "";
  if (was) requestAnimationFrame(redraw);
  clearTimeout(timer);
  timer = setTimeout(() => { box.hidden = true; requestAnimationFrame(redraw); }, 7000);
}
