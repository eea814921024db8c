// Chunks of tablet recordings kept in IndexedDB until the server acknowledges them by sha256.
// Each chunk is {captureId, seq, encounterId, data, sha256}, keyed by [captureId, seq].
// Version 2 adds the encounterId index (chunks of one visit, found again after a page reload);
// its migration keeps every chunk saved by version 1 (those lack encounterId and are found by
// their capture id, which the server lists for the encounter).
(function () {
  "use strict";
  const NAME = "hcc-scribe-capture";
  const VERSION = 2;

  function migrate(request, oldVersion) {
    const store = oldVersion < 1
      ? request.result.createObjectStore("chunks", { keyPath: ["captureId", "seq"] })
      : request.transaction.objectStore("chunks");
    if (oldVersion < 2) store.createIndex("encounterId", "encounterId", { unique: false });
  }

  function open() {
    return new Promise(function (resolve, reject) {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = function (event) { migrate(request, event.oldVersion); };
      request.onsuccess = function () {
        const db = request.result;
        // Another tab upgrading the schema: let it, and reopen on the next call.
        db.onversionchange = function () { db.close(); dbPromise = null; };
        resolve(db);
      };
      request.onerror = function () { reject(request.error); };
    });
  }

  let dbPromise = null;
  async function withStore(mode, work) {
    dbPromise = dbPromise || open();
    const db = await dbPromise;
    return new Promise(function (resolve, reject) {
      const tx = db.transaction("chunks", mode);
      const result = work(tx.objectStore("chunks"));
      tx.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
      tx.onerror = function () { reject(tx.error); };
    });
  }

  function bySeq(chunks) { return chunks.sort(function (a, b) { return a.seq - b.seq; }); }

  window.CaptureStore = {
    /** Keep one chunk ({captureId, seq, encounterId, data, sha256}) until it is acknowledged. */
    save: function (chunk) { return withStore("readwrite", function (s) { s.put(chunk); }); },
    /** Forget a chunk the server has acknowledged. */
    drop: function (captureId, seq) {
      return withStore("readwrite", function (s) { s.delete([captureId, seq]); });
    },
    /** The chunks of one capture still waiting on this device, in seq order. */
    pending: async function (captureId) {
      return bySeq(await withStore("readonly", function (s) {
        return s.getAll(IDBKeyRange.bound([captureId, 0], [captureId, Number.MAX_SAFE_INTEGER]));
      }));
    },
    /** The chunks of one encounter waiting on this device (saved since version 2). */
    byEncounter: async function (encounterId) {
      return bySeq(await withStore("readonly", function (s) {
        return s.index("encounterId").getAll(encounterId);
      }));
    },
  };
})();
