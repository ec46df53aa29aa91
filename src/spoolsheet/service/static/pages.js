// The board and the tablet page: fetch fragments and call the JSON API with the tablet's token.
// No build step, no library. The token is asked for once (on the first 401) and kept in
// localStorage; it is sent as "Authorization: Bearer" and never shown.
"use strict";

const TOKEN_KEY = "spoolsheet.token";
const $ = (selector) => document.querySelector(selector);

function askToken(why) {
  const dialog = $("#token-dialog");
  $("#token-why").textContent = why || "";
  $("#token-input").value = "";
  if (!dialog.open) dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const given = $("#token-input").value.trim();
      if (given) localStorage.setItem(TOKEN_KEY, given);
      resolve();
    }, { once: true });
  });
}

async function problem(response) {
  try {
    const body = await response.json();
    return body.message || body.error || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

// fetch() with the token; on 401 ask for a token and try again (a 401 changed nothing).
async function call(url, options = {}) {
  for (;;) {
    const headers = Object.assign({}, options.headers);
    const token = localStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(url, Object.assign({}, options, { headers }));
    if (response.status !== 401) return response;
    await askToken(await problem(response));
  }
}

function newKey() {  // crypto.randomUUID needs https; getRandomValues does not
  return Array.from(crypto.getRandomValues(new Uint8Array(16)),
                    (b) => b.toString(16).padStart(2, "0")).join("");
}

// --- the board -------------------------------------------------------------------------------

function startBoard() {
  const board = $("#board"), status = $("#board-status"), search = $("#q");
  const every = 1000 * Number(board.dataset.refresh || 3);
  let busy = false, timer = null;

  async function refresh() {
    if (busy || $("#token-dialog").open) return;
    busy = true;
    try {
      const response = await call(`/pages/board?q=${encodeURIComponent(search.value.trim())}`);
      if (!response.ok) throw new Error(await problem(response));
      board.innerHTML = await response.text();
      status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      status.classList.remove("stale");
    } catch (error) {
      status.textContent = `Not refreshed (${error.message}); trying again…`;
      status.classList.add("stale");
    } finally {
      busy = false;
    }
  }

  search.form.addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const q = search.value.trim();
      history.replaceState(null, "", q ? `/?q=${encodeURIComponent(q)}` : "/");
      refresh();
    }, 250);
  });
  setInterval(() => { if (!document.hidden) refresh(); }, every);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  refresh();
}

// --- the tablet ------------------------------------------------------------------------------

function startTablet() {
  const form = $("#change"), tag = $("#tag"), worker = $("#worker");
  const card = $("#spool"), message = $("#message");
  let pending = null;  // {what, key}: a request that got no answer keeps its Idempotency-Key

  function say(text, kind) {
    message.textContent = text;
    message.className = `message ${kind}`;
  }

  async function loadWorkers() {
    const response = await call("/pages/workers");
    if (!response.ok) return say(`Workers not loaded: ${await problem(response)}`, "refused");
    worker.innerHTML = await response.text();
  }

  async function loadSpool() {
    const given = tag.value.trim();
    if (!given) { card.innerHTML = ""; return false; }
    const response = await call(`/pages/spool?tag=${encodeURIComponent(given)}`);
    if (!response.ok) {
      card.innerHTML = "";
      say(await problem(response), "refused");
      return false;
    }
    card.innerHTML = await response.text();
    const op = card.firstElementChild && card.firstElementChild.dataset.op;
    const radio = op && form.querySelector(`input[name=op][value="${op}"]`);
    if (radio) radio.checked = true;
    return true;
  }

  tag.addEventListener("keydown", async (event) => {
    if (event.key !== "Enter") return;  // a scanner ends with Enter: look it up, never submit
    event.preventDefault();
    say("", "");
    if (await loadSpool()) worker.focus();
  });
  tag.addEventListener("change", () => {  // typed, then left the field without Enter
    if (tag.value.trim() !== (card.firstElementChild || { dataset: {} }).dataset.tag) loadSpool();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = event.submitter ? event.submitter.value : "tomar";
    const given = tag.value.trim();
    if (!given) { say("Scan or type a TAG first.", "refused"); return tag.focus(); }
    if (!worker.value) { say("Choose the worker first.", "refused"); return worker.focus(); }
    const body = { worker: Number(worker.value) };
    if (action === "tomar") body.op = form.querySelector("input[name=op]:checked").value;
    const what = JSON.stringify([action, given, body]);
    const key = pending && pending.what === what ? pending.key : newKey();
    pending = { what, key };
    const buttons = form.querySelectorAll("button");
    const busy = (on) => {
      buttons.forEach((b) => { b.disabled = on; });
      if (on) form.setAttribute("aria-busy", "true"); else form.removeAttribute("aria-busy");
    };
    busy(true);
    say(`${action.toUpperCase()} ${given}…`, "busy");
    try {
      const response = await call(`/spools/${encodeURIComponent(given)}/${action}`, {
        method: "POST", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json", "Idempotency-Key": key },
      });
      pending = null;  // answered: the next press is a new request
      busy(false);
      if (response.ok) {
        const done = await response.json();
        const op = done.operation ? ` ${done.operation}` : "";
        say(`Done: ${done.action}${op} ${done.tag} by ${done.worker} (version ${done.version}).`, "ok");
        tag.focus();
        tag.select();  // ready for the next scan, which replaces the TAG
      } else {
        say(await problem(response), "refused");
      }
      await loadSpool();
    } catch (error) {
      say(`No answer from the service (${error.message}). Press again: it will not apply twice.`,
          "refused");
    } finally {
      busy(false);
    }
  });

  loadWorkers();
}

document.addEventListener("DOMContentLoaded", () => {
  $("#forget-token").addEventListener("click", () => {
    localStorage.removeItem(TOKEN_KEY);
    askToken("Enter the token for this device.");
  });
  if (document.body.dataset.page === "board") startBoard();
  if (document.body.dataset.page === "tablet") startTablet();
});
