// The recording page: consent first, then MediaRecorder chunks kept in IndexedDB until the
// server confirms each one by sha256. Recording goes on while offline; chunks sync when the
// network returns; stopping uploads what is left, then finishes the capture.
(function () {
  "use strict";
  const root = document.getElementById("capture");
  if (!root) return;
  const encounter = root.dataset.encounter;
  const csrf = root.dataset.csrf;
  const CHUNK_MS = parseInt(root.dataset.chunkMs || "3000", 10);
  const $ = function (id) { return document.getElementById(id); };
  const state = { consentId: null, captureId: null, recorder: null, stream: null, seq: 0,
    started: 0, elapsed: 0, timer: null, uploading: false, stopped: false, meter: null };

  function show(id, visible) { $(id).hidden = !visible; }
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

  // --- IndexedDB: chunks stay here until the server has acknowledged them -------------------
  function openStore() {
    return new Promise(function (resolve, reject) {
      const request = indexedDB.open("hcc-scribe-capture", 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("chunks", { keyPath: ["captureId", "seq"] });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  const storePromise = openStore();
  async function withStore(mode, work) {
    const db = await storePromise;
    return new Promise(function (resolve, reject) {
      const tx = db.transaction("chunks", mode);
      const result = work(tx.objectStore("chunks"));
      tx.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
      tx.onerror = function () { reject(tx.error); };
    });
  }
  function saveChunk(chunk) { return withStore("readwrite", function (s) { s.put(chunk); }); }
  function dropChunk(captureId, seq) {
    return withStore("readwrite", function (s) { s.delete([captureId, seq]); });
  }
  function pendingChunks(captureId) {
    return withStore("readonly", function (s) {
      return s.getAll(IDBKeyRange.bound([captureId, 0], [captureId, Number.MAX_SAFE_INTEGER]));
    });
  }
  async function sha256Hex(buffer) {
    const digest = await crypto.subtle.digest("SHA-256", buffer);
    return Array.from(new Uint8Array(digest)).map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  async function flush() {
    if (state.uploading || !state.captureId) return;
    state.uploading = true;
    try {
      const chunks = (await pendingChunks(state.captureId)).sort(function (a, b) { return a.seq - b.seq; });
      for (const chunk of chunks) {
        const answer = await api("PUT", "/api/captures/" + state.captureId + "/chunks/" + chunk.seq,
          new Blob([chunk.data]), { "Content-Type": "application/octet-stream",
            "X-Chunk-SHA256": chunk.sha256, "Idempotency-Key": state.captureId + ":" + chunk.seq });
        if (answer && answer.sha256 === chunk.sha256) {
          await dropChunk(state.captureId, chunk.seq);  // acknowledged: safe to forget
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
      $("waiting").textContent = String((await pendingChunks(state.captureId)).length);
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
    const seconds = Math.floor(total / 1000);
    $("elapsed").textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    if (state.meter) {
      const data = new Uint8Array(state.meter.fftSize);
      state.meter.getByteTimeDomainData(data);
      let peak = 0;
      data.forEach(function (v) { peak = Math.max(peak, Math.abs(v - 128)); });
      $("level").value = peak / 128;
    }
  }

  $("start").addEventListener("click", async function () {
    if (!navigator.mediaDevices || !window.MediaRecorder) {
      say("This browser cannot record audio here.", true);
      show("mic-problem", true);
      return;
    }
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      say("Microphone unavailable or permission denied: " + error.name, true);
      show("mic-problem", true);
      return;
    }
    const mimeType = pickMimeType();
    try {
      const capture = await api("POST", "/api/encounters/" + encounter + "/captures",
        { consent_id: state.consentId, mime_type: mimeType || "audio/webm" });
      state.captureId = capture.id;
    } catch (error) {
      say(error.message, true);
      return;
    }
    const context = new AudioContext();
    state.meter = context.createAnalyser();
    context.createMediaStreamSource(state.stream).connect(state.meter);
    state.recorder = new MediaRecorder(state.stream, mimeType ? { mimeType: mimeType } : undefined);
    state.recorder.ondataavailable = async function (event) {
      if (!event.data || !event.data.size) return;
      const seq = state.seq++;
      const data = await event.data.arrayBuffer();
      await saveChunk({ captureId: state.captureId, seq: seq, data: data, sha256: await sha256Hex(data) });
      $("recorded").textContent = String(state.seq);
      flush();
    };
    state.recorder.onstop = function () { finish(); };
    state.recorder.start(CHUNK_MS);
    state.started = Date.now();
    state.timer = window.setInterval(tick, 250);
    $("start").hidden = true;
    $("pause").hidden = false;
    $("stop").hidden = false;
    $("state").textContent = "recording";
    say("Recording.");
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
      if ((await pendingChunks(state.captureId)).length === 0) break;
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

  async function watch() {
    for (let i = 0; i < 600; i++) {
      const row = await api("GET", "/api/encounters/" + encounter);
      $("state").textContent = row.status;
      if (row.status === "coded" || row.status === "drafted" || row.status === "failed") {
        show("review-link", row.status !== "failed");
        if (row.status === "coded") return;
      }
      await new Promise(function (resolve) { window.setTimeout(resolve, 1000); });
    }
  }

  window.addEventListener("online", function () { setNetwork(); flush(); });
  window.addEventListener("offline", setNetwork);
  window.setInterval(flush, 5000);
  setNetwork();
})();
