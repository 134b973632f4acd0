// The page's one WebSocket: connecting, the connection indicator, messages checked against
// the server's size limits before they are sent, and requests whose reply is awaited by id
// (the server echoes a message's id in its final reply). The page does not reconnect: a new
// connection would be a new session, so a closed socket says "reload".
import { $ } from "./util.js";
import { showError } from "./notice.js";

let S = null;  // the page's state: ws, registry (limits), reqId, waiting

export function initTransport(state) { S = state; }

// Opens the socket; every message from the server goes to `onMessage` once the request
// waiting for it (if any) is settled; `onClose` runs when the connection is lost.
export function connect(onMessage, onClose) {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws`);
  S.ws = ws;
  ws.onopen = () => { $("conn").textContent = "connected"; $("conn").className = "conn on"; };
  ws.onclose = () => {
    $("conn").textContent = "disconnected – reload"; $("conn").className = "conn off";
    onClose();
  };
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    settle(m);
    onMessage(m);
  };
}

// whether a reply ends its request (status and queued replies come before the answer)
export function isFinal(m) { return m.type !== "status" && m.type !== "queued"; }

function settle(m) {
  if (m.id !== undefined && m.id !== null && S.waiting[m.id] && isFinal(m)) {
    const resolve = S.waiting[m.id]; delete S.waiting[m.id]; resolve(m);
  }
}

// why a message is too large to send (its size as sent: JSON text, UTF-8 on the wire), or null
export function tooLarge(text) {
  const lim = S.registry && S.registry.limits;
  if (!lim) return null;
  const bytes = text.length > lim.max_message_bytes / 4 ? new TextEncoder().encode(text).length : 0;
  if (text.length <= lim.max_message_chars && bytes <= lim.max_message_bytes) return null;
  return `${text.length} characters (${Math.max(bytes, text.length)} bytes) once written as a ` +
    `message, and the explorer takes messages up to ${lim.max_message_chars} characters ` +
    `(${lim.max_message_bytes} bytes)`;
}

// sends a message; false when the socket is not open or the message is too large (said)
export function send(msg) {
  if (!S.ws || S.ws.readyState !== 1) return false;
  const text = JSON.stringify(msg);
  const why = tooLarge(text);
  if (why) {
    showError(`not sent: this ${msg.type.replace(/_/g, " ")} request is ${why}`);
    return false;
  }
  S.ws.send(text);
  return true;
}

// a fresh message id
export function nextId() { return S.reqId++; }

// a message whose reply we wait for: resolves with the server's final reply to it
export function request(msg) {
  const id = nextId();
  return new Promise((resolve) => { S.waiting[id] = resolve; send({ ...msg, id }); });
}
