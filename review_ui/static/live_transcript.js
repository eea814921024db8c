// The live machine draft on the recording page: while a capture is recorded (and until its final
// transcript exists) the words committed so far are fetched every few seconds and appended.
// Polling is quiet: offline, or when a poll fails, it tries again next time; recording and upload
// never depend on it. The panel stays hidden when the service has live transcription off.
(function () {
  "use strict";
  const POLL_MS = 4000;

  function clock(seconds) {
    const whole = Math.floor(seconds || 0);
    return Math.floor(whole / 60) + ":" + String(whole % 60).padStart(2, "0");
  }
  function sleep(ms) { return new Promise(function (resolve) { window.setTimeout(resolve, ms); }); }

  /** A poller for `options`: {panel, text, status, fetchJson(url) -> Promise of JSON}. */
  window.LiveTranscript = function (options) {
    const state = { captureId: null, since: 0, timer: null, busy: false };

    function append(answer) {
      if (!answer.text) return;
      const piece = document.createElement("span");
      piece.textContent = state.since === 0 ? answer.text.trimStart() : answer.text;
      options.text.appendChild(piece);  // a new node: screen readers announce only the addition
    }

    function describe(answer) {
      if (answer.status !== "open") return "Recording stopped: the final transcript is made from the whole recording.";
      if (!state.since) return "The first words appear after about half a minute of recording.";
      return "Final up to " + clock(answer.committed_until) + " of " + clock(answer.audio_seconds) + " heard so far.";
    }

    function show(answer) {
      if (answer.capture_id !== state.captureId) return;  // a late answer for another capture
      if (!answer.enabled) { stop(); options.panel.hidden = true; return; }
      append(answer);
      state.since = answer.since + answer.words.length;
      // Hidden too when a recording ended before any words were committed.
      options.panel.hidden = !state.since && answer.status !== "open";
      options.status.textContent = describe(answer);
    }

    async function poll() {
      if (state.busy || !state.captureId || !navigator.onLine) return;
      state.busy = true;
      try {
        show(await options.fetchJson("/api/captures/" + state.captureId + "/live?since=" + state.since));
      } catch (error) {
        // Offline or a failed poll: nothing to tell the clinician; the next poll tries again.
      } finally {
        state.busy = false;
      }
    }

    function stop() {
      window.clearInterval(state.timer);
      state.timer = null;
    }

    /** Show the live words of `captureId` (appending to what is shown if it is the same one). */
    function follow(captureId) {
      if (captureId !== state.captureId) {
        state.captureId = captureId;
        state.since = 0;
        options.text.textContent = "";
      }
      if (!state.timer) state.timer = window.setInterval(poll, POLL_MS);
      poll();
    }

    /** One last poll (the words committed before the recording stopped), then stop. */
    async function last() {
      while (state.busy) await sleep(200);
      await poll();
      stop();
    }

    return { follow: follow, last: last, stop: stop };
  };
})();
