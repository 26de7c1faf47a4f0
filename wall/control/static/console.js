// The wall's web console: plain JavaScript, no build step, served by the control API (wall/control).
//
// Everything the wall says comes from its API: /api/status every second, /api/moderation with it,
// /api/snapshot.png for the preview. Writes go through the same API with the operator token; the
// server decides who may do what (403), the console only reflects it.
//
// Post text and author names are untrusted: every string from the API reaches the page through
// textContent (see el()), never through innerHTML, so markup in a post is shown, not run.

const STATUS_EVERY_MS = 1000;
const PREVIEW_EVERY_MS = 1500;
const TOKEN_KEY = "wall.console.token";
const USER_KEY = "wall.console.user";

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ small helpers

/** An element whose text is set with textContent only. */
function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = String(v);
    else if (k === "class") node.className = v;
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (k === "data") for (const [dk, dv] of Object.entries(v)) node.dataset[dk] = String(dv);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function setText(id, text) {
  const node = $(id);
  const value = text == null ? "" : String(text);
  if (node.textContent !== value) node.textContent = value;
}

function show(id, visible) {
  $(id).hidden = !visible;
}

function clock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today ? clock(iso) : d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

function ms(v) {
  return typeof v === "number" ? `${v.toFixed(1)} ms` : "–";
}

/** The scenario a plan name belongs to ("launch+spotlight:posts" -> "launch"). */
function baseName(plan) {
  return plan ? String(plan).split("+spotlight:")[0] : null;
}

// ------------------------------------------------------------------ session

const session = {
  token: sessionStorage.getItem(TOKEN_KEY),
  user: localStorage.getItem(USER_KEY) || "",
  gen: 0, // bumped on sign-in and sign-out: loops of an older session stop
  viewOnly: null, // a reason, once the wall said this token may not write
  status: null,
  titles: {},
  scenarioList: "",
  zonesKey: "",
  alertsKey: "",
  queueKey: "",
  blockedKey: "",
  auditKey: "",
  lineUntil: 0, // a message about an action stays this long before "connected" replaces it
};

const busy = new WeakSet(); // buttons whose write is in flight (they stay disabled)

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

function detailText(body, fallback) {
  const d = body && body.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) return d.map((e) => `${(e.loc || []).slice(1).join(".") || "request"}: ${e.msg}`).join("; ");
  return fallback;
}

/** HTTP header values are bytes, read by the server as Latin-1: a name that fits Latin-1 goes as
 * it is; any other goes as its UTF-8 bytes (a server may decode those as UTF-8 first). */
function headerValue(text) {
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim().slice(0, 60);
  if (/^[\u0020-\u00ff]*$/.test(clean)) return clean;
  return Array.from(new TextEncoder().encode(clean), (b) => String.fromCharCode(b)).join("");
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${session.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session.user) headers["X-Wall-User"] = headerValue(session.user);
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  } catch (exc) {
    throw new ApiError(0, "cannot reach the wall (network error); retrying");
  }
  let data = null;
  const type = res.headers.get("content-type") || "";
  if (type.includes("json")) data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, detailText(data, `${res.status} ${res.statusText}`));
  return data;
}

function statusLine(text, kind = "info", holdMs = kind === "error" ? 8000 : 3000) {
  const line = $("status-line");
  line.textContent = text;
  line.dataset.kind = kind;
  session.lineUntil = Date.now() + holdMs;
}

function signInPrompt(message) {
  session.gen += 1;
  session.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  stopPreview();
  show("app", false);
  show("signin", true);
  const msg = $("signin-message");
  msg.textContent = message || "";
  msg.hidden = !message;
  $("signin-user").value = session.user;
  $("signin-token").value = "";
  $("signin-token").focus();
}

function start() {
  session.gen += 1;
  session.viewOnly = null;
  session.status = null;
  session.scenarioList = session.alertsKey = "";
  session.zonesKey = null;
  session.queueKey = session.blockedKey = session.auditKey = "";
  show("signin", false);
  show("app", true);
  setText("who", session.user ? `signed in as ${session.user}` : "signed in");
  applyViewOnly();
  statusLine("connecting to the wall…", "info", 0);
  const gen = session.gen;
  pollStatus(gen);
  previewLoop(gen);
}

/** Errors of any request: 401 ends the session, the rest go to the status line. */
function failed(exc, doing) {
  if (exc instanceof ApiError && exc.status === 401) {
    signInPrompt("The wall did not accept that token (401). Give the operator or the viewer token.");
    return;
  }
  if (exc instanceof ApiError && exc.status === 403) {
    markViewOnly(exc.message);
    statusLine(`${doing}: this token may only view (${exc.message})`, "error");
    return;
  }
  statusLine(`${doing}: ${exc.message}`, "error");
}

function markViewOnly(reason) {
  session.viewOnly = reason || "this token may only view";
  applyViewOnly();
}

function applyViewOnly() {
  const ro = session.viewOnly !== null;
  document.body.classList.toggle("read-only", ro);
  setText("view-only", ro ? `View only: this token may only view the wall (${session.viewOnly}).` : "");
  show("view-only", ro);
  for (const b of document.querySelectorAll("[data-write]")) {
    b.disabled = ro || busy.has(b);
  }
}

// ------------------------------------------------------------------ writes

/** Run a write; its button stays disabled while it is in flight. */
async function act(what, method, path, body, button) {
  if (session.viewOnly !== null) {
    statusLine(`${what}: this token may only view`, "error");
    return null;
  }
  const gen = session.gen;
  if (button) {
    busy.add(button);
    button.disabled = true;
  }
  statusLine(`${what}…`);
  try {
    const result = await api(method, path, body);
    if (gen !== session.gen) return null;
    statusLine(`${what}: done`, "ok");
    refreshSoon();
    return result;
  } catch (exc) {
    if (gen === session.gen) failed(exc, what);
    return null;
  } finally {
    if (button) {
      busy.delete(button);
      button.disabled = session.viewOnly !== null;
    }
  }
}

// ------------------------------------------------------------------ status polling

let statusTimer = null;
let statusBusy = false;
let statusAgain = false;

async function pollStatus(gen) {
  if (gen !== session.gen || !session.token) return;
  clearTimeout(statusTimer);
  if (statusBusy) {
    statusAgain = true;
    return;
  }
  statusBusy = true;
  try {
    const s = await api("GET", "api/status");
    if (gen !== session.gen) return;
    session.status = s;
    await renderStatus(s, gen);
    if (s.moderation) {
      const m = await api("GET", "api/moderation");
      if (gen !== session.gen) return;
      renderModeration(m);
    } else {
      renderModeration(null);
    }
    if (Date.now() >= session.lineUntil) statusLine(`connected · wall time ${clock(s.time)}`, "ok", 0);
  } catch (exc) {
    if (gen !== session.gen) return;
    failed(exc, "reading the wall's status");
  } finally {
    statusBusy = false;
    // asked again meanwhile (an action, or a new sign-in while this one was out): at once
    const now = session.gen;
    if (statusAgain || gen === now) {
      const delay = statusAgain ? 0 : STATUS_EVERY_MS;
      statusAgain = false;
      statusTimer = setTimeout(() => pollStatus(now), delay);
    }
  }
}

function refreshSoon() {
  const gen = session.gen;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => pollStatus(gen), 50);
}

async function renderStatus(s, gen) {
  if (s.control && s.control.writable === false && session.viewOnly === null) {
    markViewOnly("the wall's API is read-only: no operator token is set where it runs");
  }
  if (s.control && s.control.role === "viewer" && session.viewOnly === null) {
    markViewOnly("viewer token");
  }
  await renderScenarios(s, gen);
  const shown = baseName(s.shown);
  setText("now-showing", shown ? `On the wall: ${session.titles[shown] || shown}` : "nothing shown yet");
  renderPresentation(s);
  renderAlerts(s);
  renderHealth(s);
  const err = s.reload_error;
  show("reload-error", Boolean(err));
  setText("reload-error-text", err || "");
}

async function renderScenarios(s, gen) {
  const names = s.scenarios || [];
  const key = names.join("\n");
  if (key !== session.scenarioList) {
    session.scenarioList = key;
    try {
      const list = await api("GET", "api/scenarios");
      if (gen !== session.gen) return;
      session.titles = Object.fromEntries((list.scenarios || []).map((x) => [x.name, x.title || x.name]));
    } catch (exc) {
      session.titles = {};
    }
    const box = $("scenarios");
    box.replaceChildren(...names.map((name) => el("button", {
      type: "button", class: "scenario", "data-write": true, data: { scenario: name, action: `scenario:${name}` },
      on: { click: (ev) => chooseScenario(name, ev.currentTarget) },
    }, [
      el("span", { class: "title", text: session.titles[name] || name }),
      el("span", { class: "name", text: name }),
      el("span", { class: "badge" }),
    ])));
    applyViewOnly();
  }
  const shown = baseName(s.shown);
  const preparing = baseName(s.preparing);
  const wanted = s.scenario;
  for (const b of document.querySelectorAll("#scenarios .scenario")) {
    const name = b.dataset.scenario;
    const current = name === shown;
    const coming = !current && (name === preparing || (name === wanted && wanted !== shown));
    b.classList.toggle("current", current);
    b.classList.toggle("preparing", coming);
    if (current) b.setAttribute("aria-current", "true");
    else b.removeAttribute("aria-current");
    const badge = b.querySelector(".badge");
    const text = current ? "on the wall" : coming ? "preparing…" : "";
    if (badge.textContent !== text) badge.textContent = text;
  }
  setText("reason", s.reason ? `Why this scenario: ${s.reason}` + (s.operator_choice ? " (an operator's choice holds until you go back to the schedule)" : "") : "");
  const sch = s.schedule;
  let schedule = "No schedule: the default scenario shows unless an operator chooses.";
  if (sch) {
    schedule = `Schedule: ${sch.scenario || "default scenario"}${sch.reason ? ` (${sch.reason})` : ""}`;
    if (sch.until) schedule += ` until ${when(sch.until)}`;
    if (sch.open === false) schedule += " · closed";
    if (sch.night) schedule += ` · night mode ${sch.night.mode}`;
  }
  setText("schedule", schedule);
}

async function chooseScenario(name, button) {
  await act(`switching to ${session.titles[name] || name}`, "POST", "api/scenario", { name }, button);
}

function renderPresentation(s) {
  const p = s.presentation || {};
  const freeze = $("freeze");
  freeze.setAttribute("aria-pressed", p.frozen ? "true" : "false");
  setText("freeze", p.frozen ? "Frozen: resume content" : "Freeze content");
  const locked = Boolean(p.locked_until);
  show("lock", !locked);
  show("unlock", locked);
  setText("lock-state", locked ? `Presentation lock until ${when(p.locked_until)}: schedule and alerts wait` : "");
  setText("spotlight-state", p.spotlight ? `Spotlight on ${p.spotlight}` : "");
  $("spotlight-off").hidden = !p.spotlight;

  // Zone ids: from a `zones` field of the status when the wall gives one; else typed in.
  const zones = zoneIds(s.zones);
  const key = zones ? zones.join("\n") + `\n${p.spotlight}` : "";
  if (key !== session.zonesKey) {
    session.zonesKey = key;
    $("zone-form").hidden = zones !== null;
    $("zone-buttons").replaceChildren(...(zones || []).map((z) => el("button", {
      type: "button", class: p.spotlight === z ? "zone current" : "zone", "data-write": true,
      data: { zone: z, action: `spotlight:${z}` },
      on: { click: (ev) => act(`spotlight on ${z}`, "POST", "api/spotlight", { zone: z }, ev.currentTarget) },
    }, [el("span", { text: z })])));
    applyViewOnly();
  }
}

function zoneIds(zones) {
  if (Array.isArray(zones)) return zones.map((z) => (typeof z === "string" ? z : z && (z.id || z.zone))).filter(Boolean);
  if (zones && typeof zones === "object") return Object.keys(zones);
  return null;
}

function renderAlerts(s) {
  // Rules that fired (with an Acknowledge button), were acknowledged, or are about to fire.
  const list = [];
  for (const a of s.alerts || []) {
    const rule = a.rule || a.rule_id || a.id;
    if (!rule || !["firing", "acknowledged", "pending"].includes(a.state)) continue;
    list.push({ rule, state: a.state, title: a.title || rule, by: a.acknowledged_by || "", severity: a.severity || "" });
  }
  if (s.alert && !list.some((a) => a.rule === s.alert.rule)) {
    list.push({ rule: s.alert.rule, state: "firing", title: s.alert.title || s.alert.rule, by: "", severity: "" });
  }
  const key = JSON.stringify(list);
  if (key === session.alertsKey) return;
  session.alertsKey = key;
  show("alerts-box", list.length > 0);
  const said = { firing: "firing", acknowledged: "acknowledged", pending: "about to fire" };
  $("alerts").replaceChildren(...list.map((a) => el("li", { class: `alert-item ${a.state}`, data: { rule: a.rule } }, [
    el("span", { class: "alert-title", text: a.title }),
    el("span", { class: "caption", text: `${a.rule} · ${said[a.state]}${a.by ? ` by ${a.by}` : ""}` }),
    a.state !== "firing" ? null : el("button", {
      type: "button", class: "danger", "data-write": true,
      on: { click: (ev) => act(`acknowledging ${a.rule}`, "POST", `api/alerts/${encodeURIComponent(a.rule)}/ack`, undefined, ev.currentTarget) },
    }, [el("span", { text: "Acknowledge" })]),
  ])));
  applyViewOnly();
}

function renderHealth(s) {
  setText("p50", ms(s.frame_ms_p50));
  setText("p99", ms(s.frame_ms_p99));
  setText("dropped", s.dropped_frames ?? "–");
  setText("frames", s.frames ?? "–");
  $("dropped").classList.toggle("bad", (s.dropped_frames || 0) > 0);
  const ls = s.last_switch;
  setText("last-switch", ls ? `Last switch: ${ls.scenario} in ${ls.frames} frame${ls.frames === 1 ? "" : "s"} (${ls.ms} ms)` : "");
  $("displays").replaceChildren(...(s.displays || []).map((d) => {
    const good = d.state === "shown" || d.state === "headless";
    return el("li", { class: `health-item ${good ? "ok" : "bad"}`, data: { display: d.display } }, [
      el("span", { class: "dot", "aria-hidden": "true" }),
      el("span", { class: "id", text: d.display }),
      el("span", { class: "state", text: d.state + (d.screen ? ` on ${d.screen}` : "") }),
      d.detail ? el("span", { class: "detail", text: d.detail }) : null,
    ]);
  }));
  const feeds = Object.entries(s.feeds || {});
  $("feeds").replaceChildren(...feeds.map(([id, f]) => {
    const kind = f.state === "ok" ? "ok"
      : f.state === "stale" || f.state === "loading" || f.state === "degraded" ? "warn" : "bad";
    return el("li", { class: `health-item ${kind}`, data: { feed: id, state: f.state } }, [
      el("span", { class: "dot", "aria-hidden": "true" }),
      el("span", { class: "id", text: id }),
      el("span", { class: "state", text: `${f.state} · ${f.posts} post${f.posts === 1 ? "" : "s"}` }),
      f.last_success ? el("span", { class: "detail", text: `last data ${when(f.last_success)}` }) : null,
      f.last_error ? el("span", { class: "error", text: f.last_error }) : null,
      ...(f.notes || []).map((n) => el("span", { class: "detail", text: `skipped: ${n}` })),
    ]);
  }));
  renderPictures(s.pictures);
  renderNodes(s);
}

function megabytes(bytes) {
  return `${((bytes || 0) / (1024 * 1024)).toFixed((bytes || 0) < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

// avatars, photos and custom emoji the wall fetches: what is cached, and each picture it could not
// show (the wall shows initials or a placeholder instead, never an error)
function renderPictures(p) {
  show("pictures-part", !!p);
  if (!p) return;
  setText("pictures-summary",
    `${p.cached} cached (${megabytes(p.cached_bytes)} of ${megabytes(p.limit_bytes)}) · ${p.pending} waiting · `
    + `${p.fetched} fetched since start · ${p.failed} not shown`);
  $("pictures").replaceChildren(...(p.failures || []).map((f) => el("li", { class: "health-item warn" }, [
    el("span", { class: "dot", "aria-hidden": "true" }),
    el("span", { class: "id", text: f.url }),
    el("span", { class: "state", text: `tried ${f.attempts} time${f.attempts === 1 ? "" : "s"}; initials or a placeholder shown instead` }),
    el("span", { class: "error", text: f.reason }),
  ])));
}

// a room's hub: every node, up with its figures, or down (no heartbeat for 3 s)
function renderNodes(s) {
  const nodes = s.nodes || [];
  show("nodes-part", nodes.length > 0 || !!s.room);
  const room = s.room;
  setText("room-link", room
    ? (room.connected ? `Redis ${room.redis} · room ${room.prefix}` : `Redis ${room.redis} unreachable: ${room.last_error || "?"} (the nodes keep their last data)`)
    : "");
  $("room-link").classList.toggle("error", !!room && !room.connected);
  $("nodes").replaceChildren(...nodes.map((n) => {
    const up = n.state === "up";
    const late = up && (n.connected === false || (n.data_age_s ?? 0) > 300);
    const kind = !up ? "bad" : late ? "warn" : "ok";
    const figures = up
      ? `${n.scenario || "–"} · ${n.fps ?? "–"} fps · p99 ${ms(n.frame_ms_p99)} · ${n.dropped_frames ?? 0} dropped · clock ${(n.clock_offset_ms ?? 0).toFixed(1)} ms`
      : `down for ${n.down_s ?? "?"} s`;
    return el("li", { class: `health-item ${kind}`, data: { node: n.node, state: n.state } }, [
      el("span", { class: "dot", "aria-hidden": "true" }),
      el("span", { class: "id", text: n.node }),
      el("span", { class: "state", text: figures }),
      el("span", { class: "detail", text: `displays ${(n.displays || []).join(", ")}` + (up ? ` (${n.displays_alive} shown)` : "")
        + (n.group && n.group !== "wall" ? ` · group ${n.group}` : "") }),
      up && n.data_age_s != null ? el("span", { class: "detail", text: `data ${n.data_age_s} s old · decision ${n.control_seq}` }) : null,
      up && n.connected === false ? el("span", { class: "error", text: "Redis unreachable from this node" }) : null,
    ]);
  }));
}

// ------------------------------------------------------------------ moderation

function renderModeration(m) {
  show("moderation-off", !m);
  show("moderation-on", Boolean(m));
  if (!m) return;
  const st = m.state || {};
  const killed = Boolean(st.killed);
  $("kill-box").classList.toggle("on", killed);
  setText("kill-state", killed
    ? `Kill switch ON: no post reaches any screen${st.fallback_scenario ? `; the wall shows ${st.fallback_scenario}` : ""}.`
    : "Kill switch off.");
  show("kill", !killed && $("kill-confirm").hidden);
  show("unkill", killed);
  if (killed) show("kill-confirm", false);

  // zones showing their holding card, and why: the wall shows visitors only the brand's card
  const holding = Object.entries((session.status && session.status.moderation && session.status.moderation.holding) || {});
  show("holding", holding.length > 0);
  $("holding").replaceChildren(...holding.map(([zone, why]) =>
    el("li", { data: { zone }, text: `${zone} shows the holding card: ${why}` })));

  const queue = m.queue || [];
  // every post that waits, not only the page of them listed below (the API lists the newest 50)
  const waiting = st.queue_size ?? queue.length;
  setText("queue-count", waiting ? `(${waiting} waiting)` : "");
  show("queue-empty", queue.length === 0);
  const qKey = JSON.stringify(queue.map((p) => [p.key, p.text, p.published_at]));
  if (qKey !== session.queueKey) {
    session.queueKey = qKey;
    $("queue").replaceChildren(...queue.map(queueItem));
  }

  const blocked = [...(st.terms || []).map((t) => ["term", t]), ...(st.authors || []).map((a) => ["author", a])];
  const bKey = JSON.stringify(blocked);
  if (bKey !== session.blockedKey) {
    session.blockedKey = bKey;
    $("blocked").replaceChildren(...blocked.map(([kind, value]) => el("li", { class: "chip", data: { kind } }, [
      el("span", { class: "kind", text: kind === "term" ? "term" : "author" }),
      el("span", { class: "value", text: value }),
      el("button", {
        type: "button", "data-write": true, "aria-label": `unblock ${kind} ${value}`,
        on: { click: (ev) => act(`unblocking ${value}`, "POST", "api/moderation/unblock", { kind, value }, ev.currentTarget) },
      }, [el("span", { text: "Unblock" })]),
    ])));
  }

  const audit = (m.audit || []).slice(0, 12);
  const aKey = JSON.stringify(audit);
  if (aKey !== session.auditKey) {
    session.auditKey = aKey;
    $("audit").replaceChildren(...audit.map((e) => el("li", {}, [
      el("span", { class: "at", text: when(e.at) }),
      el("span", { class: "who", text: e.who }),
      el("span", { class: "action", text: String(e.action || "").replace(/_/g, " ") }),
      el("span", { class: "target", text: e.target }),
    ])));
  }
  applyViewOnly();
}

function authorOf(p) {
  const a = p.author && typeof p.author === "object" ? p.author : {};
  const handle = p.author_handle ?? a.handle ?? "";
  return {
    id: p.author_id ?? a.id ?? "",
    handle: handle && !handle.startsWith("@") ? `@${handle}` : handle,
    name: p.author_name ?? a.name ?? (typeof p.author === "string" ? p.author : ""),
  };
}

function queueItem(p) {
  const author = authorOf(p);
  const blockAs = author.id || author.handle;
  const moderate = (what, path, body) => (ev) => act(what, "POST", path, body, ev.currentTarget);
  return el("li", { class: "post", data: { key: p.key } }, [
    el("div", { class: "meta" }, [
      el("span", { class: "author", text: author.name || author.handle || author.id || "unknown author" }),
      author.handle && author.name ? el("span", { class: "handle", text: author.handle }) : null,
      el("span", { class: "feed", text: p.feed ? `${p.feed}${p.network ? ` · ${p.network}` : ""}` : p.network || "" }),
      el("time", { class: "time", datetime: p.published_at, text: when(p.published_at) }),
    ]),
    p.title ? el("p", { class: "post-title", text: p.title }) : null,
    el("p", { class: "text", text: p.text || "" }),
    el("div", { class: "row actions" }, [
      el("button", { type: "button", class: "approve primary", "data-write": true,
                     on: { click: moderate("approving the post", "api/moderation/approve", { key: p.key }) } },
         [el("span", { text: "Approve" })]),
      el("button", { type: "button", class: "hide", "data-write": true,
                     on: { click: moderate("hiding the post", "api/moderation/hide", { key: p.key }) } },
         [el("span", { text: "Hide" })]),
      blockAs ? el("button", { type: "button", class: "block danger", "data-write": true,
                               on: { click: moderate(`blocking ${author.handle || author.id}`, "api/moderation/block",
                                                     { kind: "author", value: blockAs }) } },
                   [el("span", { text: "Block author" })]) : null,
    ]),
  ]);
}

// ------------------------------------------------------------------ preview

let previewTimer = null;
let previewUrl = null;

function stopPreview() {
  clearTimeout(previewTimer);
  $("preview").removeAttribute("src");
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
}

function previewWidth() {
  const frame = $("preview").parentElement;
  const want = Math.ceil((frame.clientWidth || 960) * (window.devicePixelRatio || 1) / 160) * 160;
  return Math.max(320, Math.min(1920, want));
}

function showPicture(url) {
  const img = $("preview");
  return new Promise((resolve) => {
    const done = () => {
      img.removeEventListener("load", done);
      img.removeEventListener("error", done);
      resolve();
    };
    img.addEventListener("load", done);
    img.addEventListener("error", done);
    img.src = url;
  });
}

/** One picture at a time: the next is asked for only once the last one arrived. */
async function previewLoop(gen) {
  if (gen !== session.gen) return;
  if (document.hidden) { // a tablet in a pocket needs no pictures
    previewTimer = setTimeout(() => previewLoop(gen), 500);
    return;
  }
  const began = performance.now();
  try {
    const res = await fetch(`api/snapshot.png?width=${previewWidth()}`, {
      headers: { Authorization: `Bearer ${session.token}` }, cache: "no-store",
    });
    if (gen !== session.gen) return;
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      throw new ApiError(res.status, detailText(body, `${res.status} ${res.statusText}`));
    }
    const blob = await res.blob();
    if (gen !== session.gen) return;
    const url = URL.createObjectURL(blob);
    await showPicture(url);
    if (gen !== session.gen) {
      URL.revokeObjectURL(url);
      return;
    }
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = url;
    const img = $("preview");
    img.dataset.seq = String(Number(img.dataset.seq || 0) + 1);
    setText("preview-caption", `as of ${new Date().toLocaleTimeString()} · refreshed every ${PREVIEW_EVERY_MS / 1000} s`);
    $("preview-caption").classList.remove("error");
  } catch (exc) {
    if (gen !== session.gen) return;
    if (exc instanceof ApiError && exc.status === 401) {
      failed(exc, "preview");
      return;
    }
    setText("preview-caption", `preview unavailable: ${exc.message}`);
    $("preview-caption").classList.add("error");
  }
  if (gen === session.gen) {
    const wait = Math.max(250, PREVIEW_EVERY_MS - (performance.now() - began));
    previewTimer = setTimeout(() => previewLoop(gen), wait);
  }
}

// ------------------------------------------------------------------ wiring

function wire() {
  $("signin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const token = $("signin-token").value.trim();
    if (!token) return;
    session.user = $("signin-user").value.replace(/[\r\n\t]+/g, " ").trim().slice(0, 60);
    if (session.user) localStorage.setItem(USER_KEY, session.user);
    else localStorage.removeItem(USER_KEY);
    session.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    start();
  });
  $("sign-out").addEventListener("click", () => signInPrompt(""));

  $("prev").addEventListener("click", (ev) => act("previous scenario", "POST", "api/prev", undefined, ev.currentTarget));
  $("next").addEventListener("click", (ev) => act("next scenario", "POST", "api/next", undefined, ev.currentTarget));
  $("resume").addEventListener("click", (ev) => act("back to the schedule", "POST", "api/resume", undefined, ev.currentTarget));
  $("freeze").addEventListener("click", (ev) => {
    const on = $("freeze").getAttribute("aria-pressed") !== "true";
    act(on ? "freezing content" : "resuming content", "POST", "api/freeze", { on }, ev.currentTarget);
  });
  $("lock").addEventListener("click", (ev) => {
    const minutes = Number($("lock-minutes").value);
    if (!(minutes > 0 && minutes <= 240)) {
      statusLine("a lock lasts between 1 and 240 minutes", "error");
      return;
    }
    act(`locking for ${minutes} min`, "POST", "api/lock", { on: true, minutes }, ev.currentTarget);
  });
  $("unlock").addEventListener("click", (ev) => act("unlocking", "POST", "api/lock", { on: false }, ev.currentTarget));
  $("spotlight-off").addEventListener("click", (ev) => act("back to the whole wall", "POST", "api/spotlight", { zone: null }, ev.currentTarget));
  $("zone-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const zone = $("zone-input").value.trim();
    if (zone) act(`spotlight on ${zone}`, "POST", "api/spotlight", { zone }, ev.submitter);
  });

  $("kill").addEventListener("click", () => {
    show("kill", false);
    show("kill-confirm", true);
    $("kill-no").focus();
  });
  $("kill-no").addEventListener("click", () => {
    show("kill-confirm", false);
    show("kill", true);
  });
  $("kill-yes").addEventListener("click", async (ev) => {
    await act("kill switch on", "POST", "api/moderation/kill", { on: true }, ev.currentTarget);
    show("kill-confirm", false);
  });
  $("unkill").addEventListener("click", (ev) => act("lifting the kill switch", "POST", "api/moderation/kill", { on: false }, ev.currentTarget));
  $("block-term-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const value = $("block-term").value.trim();
    if (!value) return;
    if (await act(`blocking "${value}"`, "POST", "api/moderation/block", { kind: "term", value }, ev.submitter)) {
      $("block-term").value = "";
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && session.token) refreshSoon();
  });
}

wire();
if (session.token) start();
else signInPrompt("");
