"""The page at ``/``: paste or upload an article, watch its job, read the summary.

One self-contained document (inline CSS and JS, nothing fetched from elsewhere). It
POSTs to ``/v1/summaries?wait=0``, polls ``/v1/jobs/{id}`` every second (status and
elapsed seconds in ``#status``), then inserts the server's ``/v1/jobs/{id}/view``
fragment into ``#result`` (the same renderer as the eval report, already escaped) and
offers the summary as ``summary.json`` (``#download``). Problems (401, 413, 422, 429,
a failed job) show their ``detail`` in ``#error``. Every other string goes in as
``textContent``. An API key, once asked for (401), lives in ``sessionStorage`` and is
sent as ``X-API-Key``.
"""

from __future__ import annotations

from typing import Final

from ..io.html_view import CSS

_STYLE: Final = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f8fa;color:#1f2328}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
h1{font-size:22px;margin:8px 0 12px}
label{display:block;font-weight:600;margin:10px 0 4px}
textarea,input[type=text],input[type=password]{width:100%;box-sizing:border-box;
font:inherit;padding:6px 8px;border:1px solid #d0d7de;border-radius:6px;background:#fff}
textarea{height:180px;resize:vertical;font-size:13.5px}
.row{display:flex;gap:12px;align-items:center;margin-top:10px;flex-wrap:wrap}
button{font:inherit;font-weight:600;padding:6px 18px;border:0;border-radius:6px;
background:#1f6feb;color:#fff;cursor:pointer}
button:disabled{background:#8c959f;cursor:default}
#status{display:flex;gap:8px;align-items:center;color:#59636e;min-height:22px}
#status .spin{width:14px;height:14px;border:2px solid #d0d7de;border-top-color:#1f6feb;
border-radius:50%;animation:spin .8s linear infinite;display:none}
#status[data-busy] .spin{display:inline-block}
@keyframes spin{to{transform:rotate(360deg)}}
#error{margin:12px 0;padding:10px 12px;border:1px solid #cf222e;border-radius:6px;
background:#ffebe9;color:#82071e;white-space:pre-wrap}
#result{margin-top:12px;background:#fff;border:1px solid #d0d7de;border-radius:6px;
padding:4px 16px 16px}
#result:empty{display:none}
#download{font-weight:600}
"""

_BODY: Final = """
<main>
<h1>Negotiation summarizer</h1>
<form id="form" autocomplete="off">
<label for="text">Article</label>
<textarea id="text" name="text"
placeholder="Paste the article here, or choose a .txt file"></textarea>
<div class="row"><input id="file" type="file" accept=".txt,text/plain"
aria-label="Upload a .txt file"></div>
<label for="title">Title (optional)</label>
<input id="title" name="title" type="text" maxlength="300">
<div id="keyrow" hidden><label for="key">API key</label>
<input id="key" name="key" type="password"></div>
<div class="row"><button id="submit" type="submit">Summarize</button>
<div id="status" role="status" aria-live="polite" data-state="idle">
<span class="spin"></span><span id="status-text"></span></div>
<a id="download" hidden download="summary.json">Download JSON</a></div>
</form>
<div id="error" role="alert" hidden></div>
<div id="result"></div>
</main>
"""

_SCRIPT: Final = """
"use strict";
const $ = (id) => document.getElementById(id);
const KEY = "summarizer-api-key";
let run = 0;
let started = 0;
if (sessionStorage.getItem(KEY)) {
  $("key").value = sessionStorage.getItem(KEY);
  $("keyrow").hidden = false;
}

function headers(json) {
  const h = {Accept: "application/json"};
  if (json) h["Content-Type"] = "application/json";
  const key = $("key").value.trim();
  if (key) h["X-API-Key"] = key;
  return h;
}
function status(state, text) {
  const s = $("status");
  s.dataset.state = state;
  if (["sending", "queued", "running"].includes(state)) s.dataset.busy = "";
  else delete s.dataset.busy;
  $("status-text").textContent = text;
}
function fail(message) {
  const e = $("error");
  e.textContent = message;
  e.hidden = false;
  status("error", "failed");
  $("submit").disabled = false;
}
async function problem(r) {
  let p = {};
  try { p = await r.json(); } catch (_) { /* not JSON */ }
  let text = (p.title ? p.title + ": " : "") + (p.detail || r.status + " " + r.statusText);
  for (const e of p.errors || []) text += "\\n" + (e.loc || []).slice(1).join(".") + ": " + e.msg;
  if (r.status === 401) {
    $("keyrow").hidden = false;
    $("key").focus();
    text += "\\nEnter an API key above and click Summarize again.";
  }
  if (r.status === 429 && r.headers.get("Retry-After"))
    text += "\\nRetry in " + r.headers.get("Retry-After") + " s.";
  return text;
}
async function finish(job, mine) {
  const url = "/v1/jobs/" + encodeURIComponent(job.id) + "/view";
  const r = await fetch(url, {headers: headers(false)});
  if (mine !== run) return;
  if (!r.ok) return fail(await problem(r));
  $("result").innerHTML = await r.text();  /* the server's escaped fragment */
  const a = $("download");
  a.href = URL.createObjectURL(new Blob([JSON.stringify(job.summary, null, 2) + "\\n"],
                                        {type: "application/json"}));
  a.hidden = false;
  $("submit").disabled = false;
  status("done", "done in " + Math.round((Date.now() - started) / 1000) + " s");
  $("result").scrollIntoView({block: "start"});
}
async function poll(job, mine) {
  if (mine !== run) return;
  const secs = Math.round((Date.now() - started) / 1000);
  $("status").dataset.job = job.id;
  if (job.status === "done") return finish(job, mine);
  if (job.status === "failed" || job.status === "cancelled") {
    const err = job.error || {};
    return fail("The job " + job.status + (err.message ? ": " + err.message : "") +
                (err.kind ? " (" + err.kind + ")" : ""));
  }
  status(job.status, job.status + " \\u2014 " + secs + " s");
  await new Promise((ok) => setTimeout(ok, 1000));
  if (mine !== run) return;
  const r = await fetch("/v1/jobs/" + encodeURIComponent(job.id), {headers: headers(false)});
  if (mine !== run) return;
  if (!r.ok) return fail(await problem(r));
  return poll(await r.json(), mine);
}
$("file").addEventListener("change", () => {
  const f = $("file").files[0];
  if (!f) return;
  const reader = new FileReader();
  reader.onload = () => {
    $("text").value = reader.result;
    if (!$("title").value) $("title").value = f.name.replace(/\\.txt$/i, "");
  };
  reader.onerror = () => fail("Could not read " + f.name);
  reader.readAsText(f);
});
$("form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const mine = ++run;
  const key = $("key").value.trim();
  if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY);
  $("error").hidden = true;
  $("error").textContent = "";
  $("result").textContent = "";
  const a = $("download");
  if (a.href) URL.revokeObjectURL(a.href);
  a.removeAttribute("href");
  a.hidden = true;
  $("submit").disabled = true;
  delete $("status").dataset.job;
  started = Date.now();
  status("sending", "sending\\u2026");
  const body = {text: $("text").value};
  const title = $("title").value.trim();
  if (title) body.title = title;
  try {
    const r = await fetch("/v1/summaries?wait=0", {method: "POST", headers: headers(true),
                                                  body: JSON.stringify(body)});
    if (mine !== run) return;
    if (!r.ok) return fail(await problem(r));
    await poll(await r.json(), mine);
  } catch (e) {
    if (mine === run) fail("Network error: " + e.message);
  }
});
"""

#: The whole page, served at ``/``.
PAGE: Final = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width,initial-scale=1">'
    f"<title>summarizer</title><style>{_STYLE}{CSS}</style></head>"
    f"<body>{_BODY}<script>{_SCRIPT}</script></body></html>\n"
)
