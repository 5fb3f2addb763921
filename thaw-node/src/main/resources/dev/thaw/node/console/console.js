// The Thaw console: polls the gateway's JSON routes and draws what they say. Every value is set
// with textContent or as an attribute of an element made here, never parsed as HTML: a function's
// name, output or log line is text, whatever it contains.
"use strict";

const POLL_MS = 1500;
const MAX_OUTPUT = 64 * 1024;
const MAX_LOG_LINES = 500;
const state = { selected: null, logFor: null, polling: false };

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function cell(row, text, className) {
  row.appendChild(el("td", className, text));
}

// Every request says it comes from the console: the gateway asks for that header on changes
// authenticated by the session cookie, which another site's form or script cannot add.
async function api(method, path, body, headers) {
  const h = Object.assign({ "X-Thaw-Console": "1" }, headers || {});
  const res = await fetch(path, { method, headers: h, body, credentials: "same-origin" });
  if (res.status === 401) {
    window.location.assign("/ui/login");
    throw new Error("the session ended");
  }
  return res;
}

async function json(path) {
  const res = await api("GET", path);
  if (!res.ok) throw new Error(path + ": " + res.status);
  return res.json();
}

function ms(v) {
  return v === undefined || v === null ? "" : Math.round(v) + " ms";
}

function bytes(n) {
  if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + " GiB";
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + " MiB";
  if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + " KiB";
  return n + " B";
}

function ago(millis) {
  const s = Math.max(0, Math.round((Date.now() - millis) / 1000));
  return s < 120 ? s + " s ago" : Math.round(s / 60) + " min ago";
}

function clock(millis) {
  return new Date(millis).toLocaleTimeString();
}

const KIND_LABEL = { warm: "warm", local: "local restore", remote: "remote restore", boot: "boot", failed: "failed" };

function replaceRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function drawFunctions(functions) {
  const rows = functions.map((f) => {
    const tr = el("tr", f.name === state.selected ? "selected" : "");
    tr.dataset.name = f.name;
    cell(tr, f.name, "name");
    cell(tr, f.image || "(built in)");
    cell(tr, f.digest ? f.digest.slice(0, 19) : "");
    cell(tr, f.memoryMib + " MiB");
    cell(tr, f.warm, "warm");
    cell(tr, f.snapshotOn.join(", ") || "none", "snapshot-on");
    tr.addEventListener("click", () => select(f.name));
    return tr;
  });
  replaceRows(document.querySelector("#functions tbody"), rows);
}

function breakdown(inv) {
  const answer = Math.max(0, inv.latencyMs - inv.fetchMs - inv.startupMs);
  const parts = [
    ["placement", inv.placementMs],
    ["fetch", inv.fetchMs],
    ["startup", inv.startupMs],
    ["answer", answer],
  ];
  const total = parts.reduce((a, p) => a + p[1], 0) || 1;
  const bar = el("div", "bar");
  for (const [name, v] of parts) {
    if (v <= 0) continue;
    const seg = el("span", "part part-" + name);
    seg.style.width = Math.max(1, (100 * v) / total) + "%";
    seg.title = name + " " + ms(v);
    bar.appendChild(seg);
  }
  return bar;
}

function drawInvocations(list) {
  const items = list.map((inv) => {
    const li = el("li", "inv kind-" + inv.kind);
    li.dataset.kind = inv.kind;
    li.appendChild(el("span", "inv-kind", KIND_LABEL[inv.kind] || inv.kind));
    li.appendChild(el("span", "inv-latency", ms(inv.kind === "failed" ? inv.totalMs : inv.latencyMs)));
    li.appendChild(el("span", "inv-node", inv.node));
    return li;
  });
  document.getElementById("timeline").replaceChildren(...items);
  const rows = list.map((inv) => {
    const tr = el("tr", "kind-row-" + inv.kind);
    tr.dataset.kind = inv.kind;
    cell(tr, clock(inv.time));
    const k = el("td");
    k.appendChild(el("span", "kind kind-" + inv.kind, KIND_LABEL[inv.kind] || inv.kind));
    tr.appendChild(k);
    cell(tr, inv.status);
    cell(tr, inv.node);
    cell(tr, inv.placementMs.toFixed(1) + " ms");
    cell(tr, ms(inv.fetchMs));
    cell(tr, ms(inv.startupMs));
    cell(tr, ms(Math.max(0, inv.latencyMs - inv.fetchMs - inv.startupMs)));
    cell(tr, ms(inv.latencyMs));
    const b = el("td");
    b.appendChild(breakdown(inv));
    tr.appendChild(b);
    cell(tr, inv.note, "note");
    return tr;
  });
  replaceRows(document.querySelector("#invocations tbody"), rows);
}

function drawNodes(nodes, caches) {
  const byNode = new Map(caches.caches.map((c) => [c.node, c]));
  const cards = nodes
    .slice()
    .sort((a, b) => a.node.localeCompare(b.node))
    .map((n) => {
      const card = el("div", "node " + (n.healthy ? "up" : "down"));
      card.dataset.node = n.node;
      card.appendChild(el("h3", "", n.node + (n.healthy ? "" : " (down)")));
      card.appendChild(el("p", "load", "load: " + n.activeInstances + " of " + n.capacityInstances + " instances"));
      const c = byNode.get(n.node);
      if (!c) {
        card.appendChild(el("p", "muted", caches.unreachable[n.node] || "cache not reported"));
        return card;
      }
      card.appendChild(el("p", "cache-use", "cache: " + bytes(c.usedBytes) + " of " + bytes(c.capacityBytes)));
      const meter = el("div", "bar");
      const used = el("span", "part part-cache");
      used.style.width = (c.capacityBytes ? Math.min(100, (100 * c.usedBytes) / c.capacityBytes) : 0) + "%";
      meter.appendChild(used);
      card.appendChild(meter);
      const table = el("table", "cache");
      const head = el("tr");
      for (const h of ["snapshot", "size", "last use", "pinned", "uses", "state"]) head.appendChild(el("th", "", h));
      table.appendChild(head);
      for (const e of c.entries) {
        const tr = el("tr", "cache-entry");
        tr.dataset.revision = e.revision;
        cell(tr, e.revision, "revision");
        cell(tr, bytes(e.bytes));
        cell(tr, ago(e.lastUsedMillis));
        cell(tr, e.pins > 0 ? "yes (" + e.pins + ")" : "no");
        cell(tr, e.uses);
        cell(tr, e.ready ? "ready" : "writing");
        table.appendChild(tr);
      }
      if (c.entries.length === 0) {
        const tr = el("tr");
        cell(tr, "empty", "muted");
        table.appendChild(tr);
      }
      card.appendChild(table);
      return card;
    });
  document.getElementById("nodes").replaceChildren(...cards);
}

function appendLogs(lines) {
  const pre = document.getElementById("logs");
  for (const l of lines) {
    pre.appendChild(document.createTextNode(clock(l.time / 1e6) + " " + l.node + " " + l.stream + " " + l.text + "\n"));
  }
  while (pre.childNodes.length > MAX_LOG_LINES) pre.removeChild(pre.firstChild);
  if (lines.length) pre.scrollTop = pre.scrollHeight;
}

async function pollFunction() {
  const name = state.selected;
  if (!name) return;
  const path = "/functions/" + encodeURIComponent(name);
  drawInvocations(await json(path + "/invocations"));
  state.logFor = name;
  // The last lines, whole, at every poll: what a follower's cursor could miss (two instances of
  // one node writing at once) is shown at the next poll.
  const res = await api("GET", path + "/logs?tail=" + MAX_LOG_LINES);
  if (res.ok) {
    const answer = await res.json();
    if (state.logFor === name) {
      document.getElementById("logs").replaceChildren();
      appendLogs(answer.lines);
    }
  }
}

async function poll() {
  // One poll at a time: two would read the same log lines twice.
  if (state.polling) return;
  state.polling = true;
  const status = document.getElementById("status");
  try {
    const [functions, nodes, caches] = await Promise.all([json("/functions"), json("/nodes"), json("/caches")]);
    drawFunctions(functions);
    drawNodes(nodes, caches);
    await pollFunction();
    status.textContent = "updated " + new Date().toLocaleTimeString();
    status.className = "muted";
  } catch (e) {
    status.textContent = "cannot reach the gateway: " + e.message;
    status.className = "error";
  } finally {
    state.polling = false;
  }
}

function select(name) {
  state.selected = name;
  document.getElementById("function-panel").hidden = false;
  document.getElementById("selected-name").textContent = name;
  document.getElementById("deploy-name").value = name;
  for (const tr of document.querySelectorAll("#functions tbody tr")) {
    tr.classList.toggle("selected", tr.dataset.name === name);
  }
  poll();
}

async function invoke(event) {
  event.preventDefault();
  const name = state.selected;
  const method = document.getElementById("invoke-method").value;
  const path = document.getElementById("invoke-path").value || "/";
  const body = document.getElementById("invoke-body").value;
  const status = document.getElementById("invoke-status");
  const headersOut = document.getElementById("invoke-headers");
  const output = document.getElementById("invoke-output");
  status.textContent = "invoking " + name + "…";
  headersOut.textContent = "";
  output.textContent = "";
  const headers = { "X-Thaw-Method": method };
  const hasBody = method !== "GET" && method !== "HEAD" && body.length > 0;
  if (hasBody) headers["Content-Type"] = document.getElementById("invoke-type").value;
  try {
    const res = await api(
      "POST",
      "/functions/" + encodeURIComponent(name) + "/invoke?path=" + encodeURIComponent(path),
      hasBody ? body : undefined,
      headers,
    );
    const text = await res.text();
    const lines = [];
    res.headers.forEach((v, k) => lines.push(k + ": " + v));
    status.textContent = res.status + " " + res.statusText;
    headersOut.textContent = lines.sort().join("\n");
    output.textContent = text.length > MAX_OUTPUT ? text.slice(0, MAX_OUTPUT) + "\n… (cut)" : text;
  } catch (e) {
    status.textContent = "failed: " + e.message;
  }
  poll();
}

async function deploy(event) {
  event.preventDefault();
  const name = document.getElementById("deploy-name").value;
  const out = document.getElementById("deploy-output");
  const deployment = { image: document.getElementById("deploy-image").value };
  const memory = document.getElementById("deploy-memory").value;
  const port = document.getElementById("deploy-port").value;
  if (memory) deployment.memoryMib = Number(memory);
  if (port) deployment.port = Number(port);
  out.textContent = "deploying " + name + " (an image is pulled and built on each node: minutes the first time)…";
  try {
    const res = await api("PUT", "/functions/" + encodeURIComponent(name), JSON.stringify(deployment), {
      "Content-Type": "application/json",
    });
    const answer = await res.json();
    if (!res.ok) {
      out.textContent = "refused (" + res.status + "): " + answer.error;
      return;
    }
    const lines = Object.entries(answer.nodes).map(([node, d]) =>
      node + ": " + (d.error ? "FAILED " + d.error : "deployed " + (d.function.image ? d.function.image.digest : "")),
    );
    out.textContent = "deployed " + answer.revision + "\n" + lines.join("\n");
    select(answer.revision);
  } catch (e) {
    out.textContent = "failed: " + e.message;
  }
}

async function logout() {
  await fetch("/ui/logout", { method: "POST", headers: { "X-Thaw-Console": "1" }, credentials: "same-origin" });
  window.location.assign("/ui/login");
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("invoke-form").addEventListener("submit", invoke);
  document.getElementById("deploy-form").addEventListener("submit", deploy);
  document.getElementById("logout").addEventListener("click", logout);
  poll();
  setInterval(poll, POLL_MS);
});
