// isotopy explorer: the page's entry module. Plain JavaScript modules and canvas, no build
// step, nothing fetched from elsewhere. The server computes every view (Scenes as plain
// arrays); the page only draws them, sends its controls as messages the server validates,
// and keeps the state in the URL.
//
// This module creates the page's one state object and hands it to each module's init; the
// modules, from the bottom up:
//   util.js, notice.js        helpers; the message line
//   canvas.js, draw.js, draw3d.js, curves.js, diagnostics.js
//                             drawing (everything drawn is passed in)
//   transport.js              the WebSocket: sending, limits, requests awaited by id
//   views.js, animation.js    the input and stage views; the animation panel and job queue
//   header.js, controls.js    the header's status and state label; the form controls
//   playground.js             features, noise, test share, regularization, view toggles
//   diagram.js, diagram_edit.js
//                             the network unit by unit; the editor of a weight or bias
//   link.js                   the state in the address bar's hash (the share link)
//   messages.js, wire.js      the server's messages; the controls' events
import { $ } from "./util.js";
import { initNotice } from "./notice.js";
import { connect, initTransport } from "./transport.js";
import { initViews, redrawAll } from "./views.js";
import { closeAnimation, initAnimation } from "./animation.js";
import { initHeader, setPlaying } from "./header.js";
import { datasetSpec, initControls, showParams } from "./controls.js";
import { initLink, loadHash, saveHash } from "./link.js";
import { initPlayground } from "./playground.js";
import { initDiagram } from "./diagram.js";
import { initEditor } from "./diagram_edit.js";
import { initMessages, onMessage } from "./messages.js";
import { wire } from "./wire.js";

function createState() {
  return {
    ws: null,            // the WebSocket
    registry: null,      // data sets, activations, optimizers, penalties, limits
    data: null,          // the points: the data reply with pts, labels (typed arrays), d
    network: null,       // the network reply: hidden, activation, seed, stages
    status: null,        // the last status reply: step, playing, training settings, stage
    step: 0,             // the training step last heard of (statuses and view frames)
    shown: null,         // the state the views show (live network or readable state)
    inputField: null,    // the input view's decision field
    inputView: null,     // the input canvas's 2-D map (to read clicks)
    inputNote: "",       // the input view's caption
    coarse: false,       // the server sends coarser views (many tabs train at once)
    stage: null,         // the stage view's scene
    anim: null,          // the animation's frames
    animIndex: 0,        // the frame shown
    animTimer: null,     // the timer playing the frames
    animAsked: null,     // the state an animation was last computed again for
    curves: { loss: [], acc: [], evals: [] },
    edits: [],           // point edits made since the data was drawn (they go in the link)
    csv: null,           // the uploaded file shown: {text, name}
    csvPending: null,    // a file sent and not yet answered
    sentTrain: null,     // training values sent and not yet answered
    widthsTyped: false,  // hidden widths typed and not yet applied (kept over network replies)
    pendingHash: null,   // a link being restored: {waitData, edits, applied}
    wantView: null,      // the stage a link asked for
    linkNote: "",        // what the link cannot hold, if anything
    ready: false,        // registry, data, network and status have all arrived
    rot: {},             // each canvas's 3-D rotation, by canvas id
    reqId: 1,            // the next message id
    waiting: {},         // requests awaiting their reply, by id
    jobs: [],            // long jobs queued
    jobId: null,         // the id of the long job the server is running
    lastFrameAt: 0,      // when the last view frame came
    showTest: false,     // the test points are drawn (squares with a dark edge)
    discretize: false,   // decision regions in flat class colours
    units: null,         // the last unit views: every unit's values, the weights, the biases
    unitsLive: false,    // unit views asked for after every view update
    unitBig: null,       // the unit the diagram shows large ("layer:unit"), if any
    paramEdit: null,     // a weight or bias edit sent and not yet answered
  };
}

const S = createState();
window.isotopy = S;  // for tests and the curious

initNotice(redrawAll);
initTransport(S);
initViews(S);
initAnimation(S);
initHeader(S);
initControls(S);
initPlayground(S);
initDiagram(S);
initEditor(S);
initLink(S);
initMessages(S);
wire(S, redrawAll);
closeAnimation();
connect(onMessage, () => setPlaying(false));

// the page is ready once the server has sent the registry, the data, the network and a
// status: then a link in the address bar is restored, or the default state written to it
const boot = setInterval(() => {
  if (S.registry && S.data && S.network && S.status) {
    clearInterval(boot);
    S.ready = true;
    if (!loadHash()) {
      const spec = datasetSpec(S.data.info.dataset);
      if (spec) {
        showParams(spec.name, { ...spec.params, ...S.data.info.params });
        $("n").value = S.data.info.n;
      }
      saveHash();
    }
    redrawAll();
  }
}, 30);
