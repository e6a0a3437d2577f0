/**
 * The dashboard page: HTML, CSS and script served by the dashboard itself, with no CDN, no
 * external font and no framework, so it works on a machine with no Internet. The script
 * follows GET /api/stream (Server-Sent Events: the lab's model after every poll), draws each
 * service's throughput and latency as an SVG polyline, and drives the faults controls
 * through the dashboard's /api/faults/* (which forwards them to the faults API).
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netlab dashboard</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1>netlab</h1>
  <span id="conn" data-testid="stream-state">connecting…</span>
  <span id="updated" data-testid="updated"></span>
</header>
<main>
  <section id="services" data-testid="services"></section>
  <section class="panel" id="faults" data-testid="faults">
    <h2>Faults <button type="button" id="reset" data-testid="faults-reset">reset all</button></h2>
    <form id="add-toxic" data-testid="add-toxic">
      <label>proxy <select name="proxy" data-testid="toxic-proxy"></select></label>
      <label>type <select name="type" data-testid="toxic-type">
        <option>latency</option><option>bandwidth</option><option>slow_close</option><option>timeout</option>
        <option>reset_peer</option><option>slicer</option><option>limit_data</option><option>loss</option>
        <option>duplicate</option><option>reorder</option><option>corrupt</option><option>rate</option>
      </select></label>
      <label>stream <select name="stream" data-testid="toxic-stream"><option>downstream</option><option>upstream</option></select></label>
      <label>attributes <input name="attributes" data-testid="toxic-attributes" placeholder="latency=500 jitter=50" size="24"></label>
      <label>toxicity <input name="toxicity" data-testid="toxic-toxicity" value="1" size="4"></label>
      <label>name <input name="name" data-testid="toxic-name" placeholder="(type_stream)" size="14"></label>
      <button type="submit" data-testid="toxic-add">add toxic</button>
    </form>
    <p id="faults-msg" data-testid="faults-msg" role="status"></p>
    <table id="proxies" data-testid="proxies"><thead><tr><th>proxy</th><th>listen</th><th>upstream</th><th>enabled</th><th>toxics</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="panel" id="events-panel">
    <h2>Recent warnings and errors</h2>
    <ol id="events" data-testid="events"></ol>
  </section>
</main>
<script src="/app.js"></script>
</body>
</html>
`

export const PAGE_CSS = `
:root { --bg: #f6f7f9; --fg: #1d232b; --muted: #66707c; --card: #fff; --line: #d9dee5; --ok: #1a7f37; --bad: #c62828; --warn: #b26a00; --tp: #1f6feb; --lat: #d9480f; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; gap: 1rem; align-items: baseline; padding: .6rem 1rem; background: #1d232b; color: #fff; }
header h1 { margin: 0; font-size: 1.2rem; }
header span { color: #b8c1cc; font-size: .85rem; }
main { padding: 1rem; display: grid; gap: 1rem; }
#services { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 1rem; }
.svc, .panel { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .7rem .9rem; }
.svc h2, .panel h2 { margin: 0 0 .4rem; font-size: 1.05rem; display: flex; gap: .5rem; align-items: center; }
.badge { font-size: .75rem; padding: .05rem .45rem; border-radius: 9px; color: #fff; background: var(--muted); }
.badge.up, .badge.healthy { background: var(--ok); }
.badge.down, .badge.unhealthy { background: var(--bad); }
.meta { color: var(--muted); font-size: .82rem; margin-bottom: .3rem; }
table { border-collapse: collapse; width: 100%; }
td, th { padding: .15rem .4rem; text-align: left; border-bottom: 1px solid var(--line); font-size: .85rem; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
svg.chart { width: 100%; height: 70px; background: #fbfcfd; border: 1px solid var(--line); margin: .4rem 0; }
svg .tp { fill: none; stroke: var(--tp); stroke-width: 1.5; }
svg .lat { fill: none; stroke: var(--lat); stroke-width: 1.2; }
svg text { font-size: 9px; fill: var(--muted); }
.legend .tp { color: var(--tp); } .legend .lat { color: var(--lat); }
code { display: block; background: #eef1f4; padding: .3rem .4rem; border-radius: 4px; font-size: .8rem; overflow-x: auto; white-space: nowrap; }
#events { list-style: none; margin: 0; padding: 0; max-height: 16rem; overflow-y: auto; font-size: .83rem; }
#events li { padding: .15rem 0; border-bottom: 1px solid var(--line); }
#events .error, #events .fatal { color: var(--bad); } #events .warn { color: var(--warn); }
form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: .5rem; }
label { display: flex; flex-direction: column; font-size: .75rem; color: var(--muted); }
button { cursor: pointer; }
.toxic { display: inline-block; margin: 0 .3rem .2rem 0; padding: .05rem .3rem; background: #fff4e5; border: 1px solid #f0c890; border-radius: 4px; }
`

export const PAGE_JS = `'use strict'
const $ = (sel, root = document) => root.querySelector(sel)
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') e.textContent = v
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v)
    else e.setAttribute(k, v)
  }
  for (const k of kids) e.append(k)
  return e
}
const SVG = 'http://www.w3.org/2000/svg'
const num = (n) => (n >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(Math.round(n * 10) / 10))
const bytes = (n) => (n >= 1048576 ? (n / 1048576).toFixed(1) + ' MiB' : n >= 1024 ? (n / 1024).toFixed(1) + ' KiB' : Math.round(n) + ' B')
const dur = (s) => (s == null ? '-' : s >= 3600 ? Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm' : s >= 60 ? Math.floor(s / 60) + 'm ' + (s % 60) + 's' : s + 's')

const ROWS = [
  ['requests', 'requests', (c) => c.requests, (r) => r.requestsPerSecond, num],
  ['errors', 'errors', (c) => c.errors, (r) => r.errorsPerSecond, num],
  ['bytesIn', 'bytes in', (c) => c.bytesIn, (r) => r.bytesInPerSecond, bytes],
  ['bytesOut', 'bytes out', (c) => c.bytesOut, (r) => r.bytesOutPerSecond, bytes],
  ['connectionsActive', 'connections open', (c) => c.connectionsActive, null, num],
  ['connectionsAccepted', 'connections accepted', (c) => c.connectionsAccepted, null, num],
  ['connectionsRefused', 'connections refused', (c) => c.connectionsRefused, null, num],
  ['udpDrops', 'UDP drops', (c) => c.udpDrops, null, num],
  ['toxicsApplied', 'toxics applied', (c) => c.toxicsApplied, null, num],
  ['budgetUsedBytes', 'memory budget used', (c) => c.budgetUsedBytes, null, bytes],
]

function chart(svg, history) {
  svg.replaceChildren()
  const W = 240, H = 60
  const pts = history.slice(-60)
  const maxRps = Math.max(1, ...pts.map((p) => p.rps))
  const lats = pts.map((p) => p.latencyMs).filter((v) => v != null)
  const maxLat = Math.max(0.01, ...lats)
  const x = (i) => (pts.length < 2 ? 0 : (i / (pts.length - 1)) * W)
  const line = (cls, ys) => {
    const p = document.createElementNS(SVG, 'polyline')
    p.setAttribute('class', cls)
    p.setAttribute('points', ys.map(([i, y]) => x(i).toFixed(1) + ',' + y.toFixed(1)).join(' '))
    svg.append(p)
  }
  line('tp', pts.map((p, i) => [i, H - 2 - (p.rps / maxRps) * (H - 14)]))
  line('lat', pts.flatMap((p, i) => (p.latencyMs == null ? [] : [[i, H - 2 - (p.latencyMs / maxLat) * (H - 14)]])))
  const t = document.createElementNS(SVG, 'text')
  t.setAttribute('x', '2'); t.setAttribute('y', '9')
  t.textContent = 'max ' + num(maxRps) + ' req/s · ' + (lats.length ? maxLat.toFixed(2) + ' ms' : 'no latency yet')
  svg.append(t)
}

function card(s) {
  let c = document.querySelector('.svc[data-service="' + s.service + '"]')
  if (!c) {
    c = el('article', { class: 'svc', 'data-service': s.service, 'data-testid': 'service-' + s.service })
    const svg = document.createElementNS(SVG, 'svg')
    svg.setAttribute('class', 'chart'); svg.setAttribute('viewBox', '0 0 240 60'); svg.setAttribute('preserveAspectRatio', 'none')
    const tbody = el('tbody')
    for (const [key, label] of ROWS)
      tbody.append(el('tr', {}, el('th', { text: label }), el('td', { class: 'num', 'data-counter': key }), el('td', { class: 'num', 'data-rate': key })))
    c.append(
      el('h2', {}, el('span', { text: s.service }), el('span', { class: 'badge state', 'data-testid': 'state' }), el('span', { class: 'badge health', 'data-testid': 'health' })),
      el('div', { class: 'meta', 'data-testid': 'meta' }),
      el('div', { class: 'meta', 'data-testid': 'ports' }),
      el('table', { class: 'counters' }, tbody),
      svg,
      el('div', { class: 'meta legend' }, el('span', { class: 'tp', text: '— requests/s ' }), el('span', { class: 'lat', text: '— mean latency (ms)' })),
      el('div', { class: 'meta', 'data-testid': 'codes' }),
      el('code', { 'data-testid': 'example', text: s.example }),
    )
    $('#services').append(c)
  }
  c.dataset.state = s.state
  c.dataset.health = s.health
  const st = $('[data-testid=state]', c); st.textContent = s.state; st.className = 'badge state ' + s.state
  const he = $('[data-testid=health]', c); he.textContent = s.health; he.className = 'badge health ' + s.health; he.title = s.healthDetail
  $('[data-testid=meta]', c).textContent = 'uptime ' + dur(s.uptimeSeconds) + (s.workers ? ' · ' + s.workers + ' worker threads' : '') + ' · ' + s.healthDetail
  $('[data-testid=ports]', c).textContent = 'ports: ' + s.ports.map((p) => p.port + '/' + p.protocol + ' ' + p.what).join(', ')
  for (const [key, , total, rate, f] of ROWS) {
    const v = s.counters ? total(s.counters) : null
    const td = $('[data-counter=' + key + ']', c)
    td.textContent = v == null ? '-' : f(v)
    td.dataset.value = v == null ? '' : String(v)
    $('[data-rate=' + key + ']', c).textContent = rate && s.rates ? f(rate(s.rates)) + '/s' : ''
  }
  $('[data-testid=codes]', c).textContent = s.errorCodes.length ? 'errors by code: ' + s.errorCodes.slice(0, 6).map((e) => e.code + ' ' + e.count).join(', ') : ''
  chart($('svg', c), s.history)
}

function render(lab) {
  $('#updated').textContent = 'updated ' + new Date(lab.generatedAt).toLocaleTimeString()
  for (const s of lab.services) card(s)
  const ol = $('#events')
  ol.replaceChildren(...lab.events.map((e) => el('li', { class: e.level }, new Date(e.time).toLocaleTimeString() + ' ' + e.service + ' ' + e.level + (e.code ? ' [' + e.code + ']' : '') + ' ' + e.msg)))
}

function follow() {
  const es = new EventSource('/api/stream')
  es.onopen = () => { $('#conn').textContent = 'live' }
  es.onerror = () => { $('#conn').textContent = 'reconnecting…' }
  es.onmessage = (e) => render(JSON.parse(e.data))
}

async function api(method, path, body) {
  const res = await fetch('/api/faults' + path, {
    method,
    headers: { 'x-netlab-dashboard': '1', ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const json = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error((json.code ? json.code + ': ' : '') + (json.error || res.status))
  return json
}
const say = (msg) => { $('#faults-msg').textContent = msg }

async function loadProxies() {
  let proxies
  try { proxies = await api('GET', '/proxies') } catch (err) { say('faults API: ' + err.message); return }
  const list = Object.values(proxies).sort((a, b) => a.name.localeCompare(b.name))
  const select = $('[name=proxy]')
  const chosen = select.value
  select.replaceChildren(...list.map((p) => el('option', { text: p.name })))
  if (chosen) select.value = chosen
  $('#proxies tbody').replaceChildren(...list.map((p) => el('tr', { 'data-proxy': p.name },
    el('td', { text: p.name }), el('td', { text: p.listen }), el('td', { text: p.upstream }),
    el('td', {}, el('button', { type: 'button', 'data-testid': 'toggle-' + p.name, text: p.enabled ? 'enabled: disable' : 'disabled: enable',
      onclick: () => act(() => api('POST', '/proxies/' + p.name, { enabled: !p.enabled }), (p.enabled ? 'disabled ' : 'enabled ') + p.name) })),
    el('td', { 'data-testid': 'toxics-' + p.name }, ...p.toxics.map((t) => el('span', { class: 'toxic', 'data-toxic': t.name },
      t.name + ' ' + JSON.stringify(t.attributes) + ' ',
      el('button', { type: 'button', title: 'remove', 'data-testid': 'remove-' + p.name + '-' + t.name, text: '×',
        onclick: () => act(() => api('DELETE', '/proxies/' + p.name + '/toxics/' + t.name), 'removed ' + t.name) })))),
  )))
}

async function act(f, done) {
  try { await f(); say(done) } catch (err) { say('failed: ' + err.message) }
  await loadProxies()
}

$('#add-toxic').addEventListener('submit', (e) => {
  e.preventDefault()
  const f = new FormData(e.target)
  const attributes = {}
  for (const pair of String(f.get('attributes')).split(/[\\s,]+/).filter(Boolean)) {
    const [k, v] = pair.split('=')
    attributes[k] = Number(v)
  }
  const body = { type: f.get('type'), stream: f.get('stream'), toxicity: Number(f.get('toxicity') || 1), attributes }
  if (f.get('name')) body.name = f.get('name')
  act(() => api('POST', '/proxies/' + f.get('proxy') + '/toxics', body), 'added ' + body.type + ' to ' + f.get('proxy'))
})
$('#reset').addEventListener('click', () => act(() => api('POST', '/reset'), 'reset: every proxy enabled, every toxic removed'))

follow()
loadProxies()
setInterval(loadProxies, 3000)
`
