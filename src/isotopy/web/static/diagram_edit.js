// The small editor a click on a weight or a bias of the network diagram opens: the value is
// typed, sent as a set_param message (the parameter's name in the network's state dict and
// its index), and the server's answer moves every view: the status, a view update, the unit
// views. A refusal (not a number, out of range) is the server's one sentence, and the editor
// stays open with the value typed.
import { $ } from "./util.js";
import { showError } from "./notice.js";
import { nextId, send } from "./transport.js";
import { computeAnimation } from "./animation.js";
import { clearDiagnostics } from "./diagnostics.js";

// the page's state: anim (an animation shown is computed again after an edit), paramEdit
// (the edit sent and not yet answered: {id, name, index, value})
let S = null;
let target = null;  // the parameter the editor is open for: {kind, name, index, value, what}

export function initEditor(state) { S = state; }

function editor() {
  let box = document.getElementById("param-editor");
  if (box) return box;
  box = document.createElement("div");
  box.id = "param-editor"; box.hidden = true;
  const what = document.createElement("p"); what.id = "param-what";
  const row = document.createElement("div"); row.className = "row";
  const input = document.createElement("input");
  input.id = "param-value"; input.type = "number"; input.step = "any";
  const set = document.createElement("button");
  set.id = "param-set"; set.className = "small primary"; set.textContent = "Set";
  const cancel = document.createElement("button");
  cancel.id = "param-cancel"; cancel.className = "small"; cancel.textContent = "Cancel";
  row.append(input, set, cancel);
  box.append(what, row);
  $("diagram-panel").appendChild(box);
  set.addEventListener("click", submit);
  cancel.addEventListener("click", closeEditor);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); submit(); }
    if (e.key === "Escape") closeEditor();
  });
  return box;
}

// Opens the editor for parameter p ({kind: "weight" | "bias", name, index, value, what})
// near the click at (x, y) in the window.
export function openEditor(p, x, y) {
  target = p;
  const box = editor(), panel = $("diagram-panel").getBoundingClientRect();
  $("param-what").textContent = `${p.kind} ${p.name}[${p.index.join(", ")}]: ${p.what}`;
  const input = $("param-value");
  input.value = Number(p.value.toPrecision(4));
  input.removeAttribute("aria-invalid");
  box.hidden = false;
  const w = box.offsetWidth, h = box.offsetHeight;
  box.style.left = `${Math.max(4, Math.min(x - panel.left - w / 2, panel.width - w - 4))}px`;
  box.style.top = `${Math.max(4, Math.min(y - panel.top + 12, panel.height - h - 4))}px`;
  input.focus(); input.select();
}

export function closeEditor() {
  target = null;
  const box = document.getElementById("param-editor");
  if (box) box.hidden = true;
}

function submit() {
  if (!target) return;
  const text = $("param-value").value.trim(), value = Number(text);
  if (text === "" || !Number.isFinite(value)) {
    $("param-value").setAttribute("aria-invalid", "true");
    showError(`the new ${target.kind} must be a number, such as 0.5`);
    return;
  }
  const id = nextId();
  S.paramEdit = { id, name: target.name, index: target.index, value };
  send({ type: "set_param", name: target.name, index: target.index, value, id });
}

// a message from the server: the first one answering the edit sent closes the editor (or,
// for a refusal, marks the value typed); the views follow from the messages themselves
export function onEditReply(m) {
  const p = S.paramEdit;
  if (!p || m.id !== p.id) return;
  S.paramEdit = null;
  if (m.type === "error") {
    if (target) $("param-value").setAttribute("aria-invalid", "true");
    return;
  }
  closeEditor();
  clearDiagnostics();
  if (S.anim) computeAnimation();  // the isotopy of the edited network
}
