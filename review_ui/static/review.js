// The review page: audio synced to the transcript, evidence on demand, suggestion decisions,
// note edits and sign-off. Every change goes through the JSON API with the session's CSRF token.
(function () {
  "use strict";
  const root = document.getElementById("review");
  if (!root) return;
  const encounter = root.dataset.encounter;
  const csrf = root.dataset.csrf;
  const message = document.getElementById("message");
  const player = document.getElementById("player");
  const segments = Array.from(document.querySelectorAll(".segment"));

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? "error" : "notice";
  }

  async function call(method, url, body) {
    const response = await fetch(url, {
      method: method,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!response.ok) {
      const detail = data && data.detail;
      const text = typeof detail === "string" ? detail : JSON.stringify(detail || response.status);
      throw new Error(text);
    }
    return data;
  }

  // Audio <-> transcript: click a segment to play it; the playing segment is highlighted.
  segments.forEach(function (segment) {
    segment.addEventListener("click", function () {
      if (!player) return;
      player.currentTime = parseFloat(segment.dataset.start);
      player.play().catch(function () {});
    });
  });
  if (player) {
    player.addEventListener("timeupdate", function () {
      const now = player.currentTime;
      segments.forEach(function (segment) {
        const playing = now >= parseFloat(segment.dataset.start) && now < parseFloat(segment.dataset.end);
        segment.classList.toggle("playing", playing);
      });
    });
  }

  // Evidence on demand: a note sentence highlights the transcript segments it came from.
  document.querySelectorAll(".sentence").forEach(function (sentence) {
    sentence.addEventListener("click", function () {
      document.querySelectorAll(".sentence.selected").forEach(function (s) { s.classList.remove("selected"); });
      segments.forEach(function (s) { s.classList.remove("evidence"); });
      sentence.classList.add("selected");
      const ids = (sentence.dataset.evidence || "").split(",").filter(Boolean);
      ids.forEach(function (id) {
        const segment = document.getElementById("seg-" + id);
        if (segment) segment.classList.add("evidence");
      });
      const first = ids.length ? document.getElementById("seg-" + ids[0]) : null;
      if (first) first.scrollIntoView({ block: "nearest" });
      say(ids.length ? "Evidence: " + ids.length + " transcript segment(s) highlighted."
        : "This sentence has no transcript evidence.", !ids.length);
    });
  });

  // Suggestion decisions.
  document.querySelectorAll(".suggestion form.decide").forEach(function (form) {
    const card = form.closest(".suggestion");
    form.querySelectorAll("button[data-status]").forEach(function (button) {
      button.addEventListener("click", async function () {
        const status = button.dataset.status;
        const reason = form.elements.reason.value.trim();
        try {
          const row = await call("POST", "/api/suggestions/" + card.dataset.id + "/status",
            { status: status, reason: reason || null });
          card.className = card.className.replace(/status-\S+/, "status-" + row.status);
          card.querySelector(".status-text").textContent = row.status + " by " + row.status_by;
          say("Suggestion " + (row.icd10 || "") + " " + row.status + ".");
        } catch (error) {
          say(error.message, true);
        }
      });
    });
  });

  // Note editing: one sentence per line; saved as a new version.
  const editButton = document.getElementById("edit-note");
  const editor = document.getElementById("note-editor");
  if (editButton && editor) {
    editButton.addEventListener("click", function () { editor.hidden = false; editButton.hidden = true; });
    document.getElementById("cancel-edit").addEventListener("click", function () {
      editor.hidden = true; editButton.hidden = false;
    });
    editor.addEventListener("submit", async function (event) {
      event.preventDefault();
      const sections = Array.from(editor.querySelectorAll("textarea")).map(function (area) {
        const lines = area.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
        return { key: area.name, title: area.dataset.title, sentences: lines.map(function (t) { return { text: t }; }) };
      });
      const reasonInput = document.getElementById("amendment-reason");
      const body = { base_version: parseInt(root.dataset.version, 10), sections: sections };
      if (reasonInput) body.amendment_reason = reasonInput.value.trim();
      try {
        const note = await call("PUT", "/api/encounters/" + encounter + "/note", body);
        say("Saved as version " + note.version + ".");
        window.location.reload();
      } catch (error) {
        say(error.message, true);
      }
    });
  }

  // Sign-off: attestation and password re-entry.
  const signForm = document.getElementById("sign-form");
  if (signForm) {
    signForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      if (!document.getElementById("attest").checked) {
        say("Tick the attestation to sign.", true);
        return;
      }
      const password = document.getElementById("sign-password");
      try {
        await call("POST", "/api/encounters/" + encounter + "/note/sign", {
          version: parseInt(root.dataset.version, 10),
          attestation: document.getElementById("attestation-text").value,
          password: password.value,
        });
        password.value = "";
        say("Signed.");
        window.location.reload();
      } catch (error) {
        password.value = "";
        say(error.message, true);
      }
    });
  }

  const submitButton = document.getElementById("submit-codes");
  if (submitButton) {
    submitButton.addEventListener("click", async function () {
      try {
        const submission = await call("POST", "/api/encounters/" + encounter + "/submission");
        say("Submission " + submission.status + " with " + submission.codes.length + " code(s).");
        window.setTimeout(function () { window.location.reload(); }, 800);
      } catch (error) {
        say(error.message, true);
      }
    });
  }
})();
