// The recording page: consent first, then MediaRecorder chunks kept in IndexedDB until the
// server confirms each one by sha256. Recording goes on while offline; chunks sync when the
// network returns; stopping uploads what is left, then finishes the capture. While recording,
// the live machine draft is shown (live_transcript.js). After a page reload mid-visit, the
// chunks still on this device are offered for finishing or continuing (capture_store.js).
(function () {
  "use strict";
  const root = document.getElementById("capture");
  if (!root) return;
  const encounter = root.dataset.encounter;
  const csrf = root.dataset.csrf;
  const CHUNK_MS = parseInt(root.dataset.chunkMs || "3000", 10);
  const $ = function (id) { return document.getElementById(id); };
  const store = window.CaptureStore;
  const live = window.LiveTranscript({ panel: $("live-panel"), text: $("live-text"),
    status: $("live-status"), fetchJson: function (url) { return api("GET", url); } });
  const state = { consentId: null, captureId: null, recorder: null, stream: null, seq: 0,
    started: 0, elapsed: 0, timer: null, uploading: false, stopped: false, meter: null,
    resumeChecked: false, resumable: null };

  function show(id, visible) { $(id).hidden = !visible; }
  function clock(ms) {  // m:ss
    const seconds = Math.floor(ms / 1000);
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }
  function say(text, isError) {
    const line = $("capture-message");
    line.textContent = text;
    line.className = isError ? "error" : "notice";
  }
  function setNetwork() {
    $("network").textContent = navigator.onLine ? "online" : "offline: recording continues, chunks wait on this device";
    $("network").className = navigator.onLine ? "badge signed" : "badge draft";
  }

  async function api(method, url, body, headers) {
    const options = { method: method, credentials: "same-origin",
      headers: Object.assign({ "X-CSRF-Token": csrf }, headers || {}) };
    if (body instanceof Blob || body instanceof ArrayBuffer) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!response.ok) {
      const detail = data && data.detail;
      const error = new Error(typeof detail === "string" ? detail : "HTTP " + response.status);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  async function sha256Hex(buffer) {
    const digest = await crypto.subtle.digest("SHA-256", buffer);
    return Array.from(new Uint8Array(digest)).map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  async function flush() {
    if (state.uploading || !state.captureId) return;
    state.uploading = true;
    try {
      const chunks = await store.pending(state.captureId);
      for (const chunk of chunks) {
        const answer = await api("PUT", "/api/captures/" + state.captureId + "/chunks/" + chunk.seq,
          new Blob([chunk.data]), { "Content-Type": "application/octet-stream",
            "X-Chunk-SHA256": chunk.sha256, "Idempotency-Key": state.captureId + ":" + chunk.seq });
        if (answer && answer.sha256 === chunk.sha256) {
          await store.drop(state.captureId, chunk.seq);  // acknowledged: safe to forget
          $("uploaded").textContent = String(chunk.seq + 1);
        }
      }
    } catch (error) {
      if (error.status && error.status < 500 && error.status !== 408 && error.status !== 429) {
        say("Upload refused: " + error.message, true);
      }
      // Network errors and 5xx: the chunks stay on the device; the next flush retries them.
    } finally {
      state.uploading = false;
      $("waiting").textContent = String((await store.pending(state.captureId)).length);
    }
  }

  // --- Consent ---------------------------------------------------------------------------------
  $("consent-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    if (!$("consent-given").checked) { say("Consent must be given before recording.", true); return; }
    try {
      const consent = await api("POST", "/api/encounters/" + encounter + "/consents", {
        consented_by: $("consented-by").value.trim(),
        method: $("consent-method").value,
        script_version: root.dataset.scriptVersion,
      });
      state.consentId = consent.id;
      show("consent-step", false);
      show("record-step", true);
      say("Consent recorded. You can start recording.");
    } catch (error) {
      say(error.message, true);
    }
  });

  // --- Recording -------------------------------------------------------------------------------
  function pickMimeType() {
    const choices = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
    return choices.find(function (type) { return window.MediaRecorder && MediaRecorder.isTypeSupported(type); }) || "";
  }
  function tick() {
    const total = state.elapsed + (state.recorder && state.recorder.state === "recording" ? Date.now() - state.started : 0);
    $("elapsed").textContent = clock(total);
    if (state.meter) {
      const data = new Uint8Array(state.meter.fftSize);
      state.meter.getByteTimeDomainData(data);
      let peak = 0;
      data.forEach(function (v) { peak = Math.max(peak, Math.abs(v - 128)); });
      $("level").value = peak / 128;
    }
  }

  async function openMicrophone() {
    if (!navigator.mediaDevices || !window.MediaRecorder) {
      say("This browser cannot record audio here.", true);
      show("mic-problem", true);
      return false;
    }
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      return true;
    } catch (error) {
      say("Microphone unavailable or permission denied: " + error.name, true);
      show("mic-problem", true);
      return false;
    }
  }

  async function onChunk(event) {
    if (!event.data || !event.data.size) return;
    const seq = state.seq++;
    const captureId = state.captureId;
    const data = await event.data.arrayBuffer();
    await store.save({ captureId: captureId, seq: seq, encounterId: encounter, data: data,
      sha256: await sha256Hex(data) });
    $("recorded").textContent = String(state.seq);
    flush();
  }

  // Records into state.captureId from chunk state.seq on (a new capture, or a resumed one).
  function startRecorder(mimeType) {
    const context = new AudioContext();
    state.meter = context.createAnalyser();
    context.createMediaStreamSource(state.stream).connect(state.meter);
    state.recorder = new MediaRecorder(state.stream, mimeType ? { mimeType: mimeType } : undefined);
    state.recorder.ondataavailable = onChunk;
    state.recorder.onstop = function () { finish(); };
    state.recorder.start(CHUNK_MS);
    state.started = Date.now();
    state.timer = window.setInterval(tick, 250);
    show("resume-step", false);
    $("start").hidden = true;
    $("pause").hidden = false;
    $("stop").hidden = false;
    $("state").textContent = "recording";
    say("Recording.");
    live.follow(state.captureId);
  }

  $("start").addEventListener("click", async function () {
    if (!(await openMicrophone())) return;
    const mimeType = pickMimeType();
    try {
      const capture = await api("POST", "/api/encounters/" + encounter + "/captures",
        { consent_id: state.consentId, mime_type: mimeType || "audio/webm" });
      state.captureId = capture.id;
    } catch (error) {
      say(error.message, true);
      return;
    }
    startRecorder(mimeType);
  });

  $("pause").addEventListener("click", function () {
    if (state.recorder.state === "recording") {
      state.recorder.pause();
      state.elapsed += Date.now() - state.started;
      $("pause").textContent = "Resume";
      $("state").textContent = "paused";
    } else {
      state.recorder.resume();
      state.started = Date.now();
      $("pause").textContent = "Pause";
      $("state").textContent = "recording";
    }
  });

  $("stop").addEventListener("click", function () {
    if (state.recorder.state === "recording") state.elapsed += Date.now() - state.started;
    state.stopped = true;
    state.recorder.stop();
    state.stream.getTracks().forEach(function (track) { track.stop(); });
    $("pause").hidden = true;
    $("stop").hidden = true;
    $("state").textContent = "stopped: sending what is left";
  });

  async function finish() {
    window.clearInterval(state.timer);
    for (;;) {
      await flush();
      if ((await store.pending(state.captureId)).length === 0) break;
      say("Waiting for the network to send the last chunks…", true);
      await new Promise(function (resolve) { window.setTimeout(resolve, 2000); });
    }
    try {
      const done = await api("POST", "/api/captures/" + state.captureId + "/finish", { last_seq: state.seq - 1 });
      $("state").textContent = "uploaded: processing";
      say("Recording complete (" + state.seq + " chunks). The note is being drafted.");
      watch(done);
    } catch (error) {
      say(error.message, true);
    }
  }

  const TRANSCRIBED = ["transcribed", "drafted", "coded", "failed"];
  async function watch() {
    let following = true;
    for (let i = 0; i < 600; i++) {
      const row = await api("GET", "/api/encounters/" + encounter);
      $("state").textContent = row.status;
      if (following && TRANSCRIBED.indexOf(row.status) >= 0) {
        following = false;
        live.last();  // the final transcript exists: the live draft has nothing more to add
      }
      if (row.status === "coded" || row.status === "drafted" || row.status === "failed") {
        show("review-link", row.status !== "failed");
        if (row.status === "coded") return;
      }
      await new Promise(function (resolve) { window.setTimeout(resolve, 1000); });
    }
  }

  // --- Resuming after a page reload: chunks of this visit's open captures ------------------
  // A new MediaRecorder stream is a new WebM file with its own header; the server decodes WebM
  // files appended one after another as one recording, not MP4 (nor a change of format).
  function canContinue(capture) {
    return capture.mime_type.indexOf("audio/webm") === 0 && pickMimeType() === capture.mime_type;
  }

  function offerResume(capture, seqs, waiting) {
    const top = Math.max.apply(null, seqs);
    const gaps = top + 1 - seqs.length;
    $("resume-summary").textContent = "This visit has a recording that was interrupted (" +
      (top + 1) + " chunks, about " + clock((top + 1) * CHUNK_MS) + "): the server holds " +
      (seqs.length - waiting) + ", " + waiting + " wait on this device." +
      (gaps ? " " + gaps + " chunks are missing: it may not be possible to finish it." : "");
    show("resume-continue", canContinue(capture));
    show("resume-step", true);
    state.resumable = { capture: capture, next: top + 1 };
  }

  // Takes over the interrupted capture: its chunks continue from the highest one known.
  function adopt() {
    const resumed = state.resumable;
    state.captureId = resumed.capture.id;
    state.seq = resumed.next;
    state.elapsed = resumed.next * CHUNK_MS;
    state.resumable = null;
    $("recorded").textContent = String(state.seq);
    show("resume-step", false);
    show("consent-step", false);
    show("record-step", true);
    return resumed.capture;
  }

  async function dropAll(captureId) {
    for (const chunk of await store.pending(captureId)) await store.drop(captureId, chunk.seq);
  }

  async function findInterrupted() {
    if (state.resumeChecked || state.captureId || !navigator.onLine) return;
    let captures;
    try {
      captures = await api("GET", "/api/encounters/" + encounter + "/captures");
    } catch (error) {
      return;  // offline or refused: looked for again when the network returns
    }
    if (state.captureId) return;  // recording started meanwhile
    state.resumeChecked = true;
    for (const capture of captures.slice().reverse()) {  // newest first
      // A finished capture's chunks are all on the server: copies left here are not needed.
      if (capture.status === "finished") await dropAll(capture.id);
      if (capture.status !== "open") continue;
      const local = await store.pending(capture.id);
      const held = Object.keys(capture.received).map(Number);
      const seqs = Array.from(new Set(held.concat(local.map(function (c) { return c.seq; }))));
      const waiting = seqs.length - held.length;
      if (seqs.length && !state.resumable) offerResume(capture, seqs, waiting);
    }
  }

  $("resume-finish").addEventListener("click", function () {
    adopt();
    $("start").hidden = true;
    $("state").textContent = "sending the interrupted recording";
    live.follow(state.captureId);
    finish();
  });

  $("resume-continue").addEventListener("click", async function () {
    if (!(await openMicrophone())) return;
    const capture = adopt();
    flush();
    startRecorder(capture.mime_type);
  });

  async function hintWaiting() {
    const local = await store.byEncounter(encounter);
    if (local.length && !state.captureId) {
      say(local.length + " chunks of an interrupted recording wait on this device; they can be sent once the network is back.");
    }
  }

  window.addEventListener("online", function () { setNetwork(); flush(); findInterrupted(); });
  window.addEventListener("offline", setNetwork);
  window.setInterval(flush, 5000);
  setNetwork();
  if (navigator.onLine) findInterrupted(); else hintWaiting();
})();
