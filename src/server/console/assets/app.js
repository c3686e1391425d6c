// The localeval console: pages over the JSON API (src/server/console/mod.rs says why it
// is built this way). Rules kept throughout this file:
// - Text that comes from the server (program output, model answers, names, messages) is
//   only ever written with textContent or as text nodes: this file never assigns HTML.
// - The API token lives in sessionStorage and travels in the Authorization header only.
// - Every action that changes something is a POST; pages only GET.
'use strict';
(function () {
  const TOKEN_KEY = 'localeval.token';
  const main = document.getElementById('page');
  let timers = [];
  let aborts = [];
  let charts = [];

  // ---- DOM helpers: text only ----
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'value') e.value = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  const txt = (s) => document.createTextNode(s === undefined || s === null ? '' : String(s));
  function verdict(v) { return el('span', { class: 'v v-' + v, text: v }); }
  function pre(text, cls, id) {
    const empty = text === undefined || text === null || text === '';
    return el('pre', { class: (cls || '') + (empty ? ' empty' : ''), id, text: empty ? '' : text });
  }
  function fmtMs(ms) { return ms === undefined || ms === null ? '–' : (ms >= 10000 ? (ms / 1000).toFixed(1) + ' s' : Math.round(ms) + ' ms'); }
  function fmtSecs(s) {
    if (s === undefined || s === null) return '–';
    s = Math.round(s);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  function fmtBytes(b) {
    if (b === undefined || b === null) return '–';
    const u = ['B', 'KiB', 'MiB', 'GiB'];
    let i = 0;
    while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
    return (i ? b.toFixed(1) : b) + ' ' + u[i];
  }
  function fmtTime(ms) { return ms ? new Date(ms).toLocaleString() : '–'; }
  function pct(x) { return x === undefined || x === null ? '–' : (100 * x).toFixed(1) + '%'; }
  function table(headers, rows) {
    return el('table', {},
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', { class: h.startsWith('#') ? 'n' : '', text: h.replace(/^#/, '') })))),
      el('tbody', {}, rows));
  }
  function kv(pairs) {
    return el('table', { class: 'kv' }, el('tbody', {}, pairs.map(([k, v]) => el('tr', {}, el('th', { text: k }), el('td', {}, v instanceof Node ? v : txt(v))))));
  }
  function errorBox(message) { return el('p', { class: 'error', role: 'alert', text: message }); }

  // ---- the API ----
  function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
  class HttpError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  async function api(path, opts) {
    opts = opts || {};
    const headers = Object.assign({}, opts.headers || {});
    if (token()) headers.Authorization = 'Bearer ' + token();
    let body = opts.body;
    if (body !== undefined && typeof body !== 'string') {
      body = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(path, { method: opts.method || 'GET', headers, body, signal: opts.signal, credentials: 'omit', cache: 'no-store' });
    if (response.status === 401) { showLogin('The server refused the token.'); throw new HttpError(401, 'missing or wrong API token'); }
    if (!response.ok) {
      let message = response.status + ' ' + response.statusText;
      try { const j = await response.json(); if (j.error) message = j.error; } catch (_) { /* not JSON */ }
      throw new HttpError(response.status, message);
    }
    return response;
  }
  async function getJson(path, opts) { return (await api(path, opts)).json(); }
  const post = (path, body, opts) => api(path, Object.assign({ method: 'POST', body: body === undefined ? '{}' : body }, opts || {}));

  // Reads a response body as it arrives, calling onLine for each complete line.
  async function readLines(response, onLine) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let i;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i).replace(/\r$/, '');
        buffer = buffer.slice(i + 1);
        onLine(line);
      }
    }
    buffer += decoder.decode();
    if (buffer) onLine(buffer);
  }
  // Server-sent events over fetch (EventSource cannot send the Authorization header).
  async function readEvents(response, onEvent) {
    let name = 'message';
    let data = [];
    await readLines(response, (line) => {
      if (line === '') {
        if (data.length) onEvent(name, data.join('\n'));
        name = 'message'; data = [];
      } else if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    });
    if (data.length) onEvent(name, data.join('\n'));
  }
  async function download(path, filename) {
    const blob = await (await api(path)).blob();
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---- login ----
  function showLogin(message) {
    document.getElementById('login').hidden = false;
    main.hidden = true;
    document.getElementById('login-error').textContent = message || '';
    document.getElementById('token').focus();
  }
  document.getElementById('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, document.getElementById('token').value.trim());
    document.getElementById('token').value = '';
    document.getElementById('login').hidden = true;
    main.hidden = false;
    route();
  });
  document.getElementById('logout').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin('');
  });

  // ---- router ----
  function cleanup() {
    timers.forEach(clearInterval); timers = [];
    aborts.forEach((a) => a.abort()); aborts = [];
    charts.forEach((c) => c.destroy()); charts = [];
  }
  function controller() { const a = new AbortController(); aborts.push(a); return a; }
  const pages = {};
  async function route() {
    cleanup();
    const hash = location.hash.replace(/^#\/?/, '') || 'playground';
    const parts = hash.split('/').map(decodeURIComponent);
    const name = parts[0];
    document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('on', a.dataset.page === (name === 'compare' ? 'evals' : name)));
    document.getElementById('logout').hidden = !token();
    main.replaceChildren();
    const page = pages[name] || pages.playground;
    try {
      await page(parts.slice(1));
    } catch (e) {
      if (!(e instanceof HttpError && e.status === 401) && e.name !== 'AbortError') main.append(errorBox(e.message));
    }
  }
  window.addEventListener('hashchange', route);

  // ---- playground ----
  const MODES = {
    python: 'python', javascript: 'javascript', go: 'go', 'go-test': 'go', java: 'text/x-java',
    c: 'text/x-csrc', cpp: 'text/x-c++src', rust: 'rust', ruby: 'ruby', php: 'text/x-php', bash: 'shell',
  };
  const SAMPLES = {
    python: 'import sys\n\nname = sys.stdin.read().strip() or "world"\nfor i in range(3):\n    print(f"hello, {name} #{i}")\n',
    javascript: 'const input = require("fs").readFileSync(0, "utf8").trim() || "world";\nconsole.log(`hello, ${input}`);\n',
    go: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hello, world")\n}\n',
    java: 'public class Main {\n    public static void main(String[] args) {\n        System.out.println("hello, world");\n    }\n}\n',
    c: '#include <stdio.h>\n\nint main(void) {\n    puts("hello, world");\n    return 0;\n}\n',
    cpp: '#include <iostream>\n\nint main() {\n    std::cout << "hello, world" << std::endl;\n}\n',
    rust: 'fn main() {\n    println!("hello, world");\n}\n',
    ruby: 'puts "hello, world"\n',
    php: '<?php\necho "hello, world\\n";\n',
    bash: 'echo "hello, world"\n',
  };
  let editorState = null; // kept across page changes: the code survives navigation
  pages.playground = async function () {
    const [langs, config] = await Promise.all([getJson('/api/v1/languages'), getJson('/api/v1/config')]);
    const names = langs.languages.map((l) => l.name);
    const state = editorState || { language: names.includes('python') ? 'python' : names[0], code: {}, stdin: '' };
    editorState = state;
    const select = el('select', { id: 'pg-language' }, names.map((n) => el('option', { value: n, text: n })));
    select.value = state.language;
    const host = el('div', { id: 'pg-editor' });
    const stdin = el('textarea', { id: 'pg-stdin', rows: 4, placeholder: 'standard input', value: state.stdin });
    const d = config.default_limits || {};
    const m = config.max_limits || {};
    const timeout = el('input', { id: 'pg-timeout', type: 'number', min: 1, max: m.wall_ms, value: d.wall_ms });
    const memory = el('input', { id: 'pg-memory', type: 'number', min: 1, max: Math.floor((m.memory_bytes || 0) / 1048576) || undefined, value: Math.floor((d.memory_bytes || 0) / 1048576) || '' });
    const cpu = el('input', { id: 'pg-cpu', type: 'number', step: '0.1', min: 0.1, value: '' , placeholder: 'default' });
    const run = el('button', { id: 'pg-run', type: 'button', text: 'Run' });
    const stop = el('button', { id: 'pg-stop', type: 'button', class: 'danger', text: 'Stop', disabled: true });
    const stdout = pre('', 'stdout', 'pg-stdout');
    const stderr = pre('', 'stderr', 'pg-stderr');
    const result = el('div', { id: 'pg-result' });
    main.append(el('h1', { text: 'Playground' }),
      el('div', { class: 'grid' },
        el('div', {},
          el('div', { class: 'row' }, el('label', {}, 'language', select),
            el('label', {}, 'wall time (ms)', timeout), el('label', {}, 'memory (MiB)', memory), el('label', {}, 'CPU cores', cpu),
            run, stop),
          host,
          el('h2', { text: 'Standard input' }), stdin),
        el('div', {},
          el('h2', { text: 'Result' }), result,
          el('h2', { text: 'stdout' }), stdout,
          el('h2', { text: 'stderr' }), stderr)));
    const editor = window.CodeMirror(host, {
      value: state.code[state.language] || SAMPLES[state.language] || '',
      mode: MODES[state.language] || null, lineNumbers: true, indentUnit: 4, viewportMargin: 50,
    });
    window.localevalEditor = editor; // the browser test sets code through it
    editor.on('change', () => { state.code[state.language] = editor.getValue(); });
    stdin.addEventListener('input', () => { state.stdin = stdin.value; });
    select.addEventListener('change', () => {
      state.language = select.value;
      editor.setOption('mode', MODES[state.language] || null);
      editor.setValue(state.code[state.language] || SAMPLES[state.language] || '');
    });
    let running = null;
    stop.addEventListener('click', () => { if (running) running.abort(); });
    run.addEventListener('click', async () => {
      const request = { language: select.value, code: editor.getValue(), input: stdin.value };
      if (timeout.value) request.timeout_ms = Number(timeout.value);
      if (memory.value) request.memory_limit_mb = Number(memory.value);
      if (cpu.value) request.cpu_limit = Number(cpu.value);
      for (const p of [stdout, stderr]) { p.textContent = ''; p.classList.remove('empty'); }
      result.replaceChildren(el('p', { class: 'muted', id: 'pg-status', text: 'running…' }));
      run.disabled = true; stop.disabled = false;
      running = controller();
      try {
        const response = await post('/api/v1/execute/stream', request, { headers: { Accept: 'text/event-stream' }, signal: running.signal });
        await readEvents(response, (name, data) => {
          const ev = JSON.parse(data);
          if (name === 'stdout') stdout.append(txt(ev.data));
          else if (name === 'stderr') stderr.append(txt(ev.data));
          else if (name === 'result') showResult(result, ev.result, stdout, stderr);
          else if (name === 'error') result.replaceChildren(errorBox(ev.error));
        });
      } catch (e) {
        if (e.status !== 401) result.replaceChildren(errorBox(e.name === 'AbortError' ? 'stopped (the server kills the program when the client goes away)' : e.message));
      } finally {
        run.disabled = false; stop.disabled = true; running = null;
      }
    });
  };
  function showResult(host, r, stdout, stderr) {
    // The final result holds the whole (capped) output: it replaces the streamed chunks.
    stdout.textContent = r.stdout || ''; stdout.classList.toggle('empty', !r.stdout); // CSS says "(empty)"
    stderr.textContent = r.stderr || ''; stderr.classList.toggle('empty', !r.stderr);
    const o = r.localeval || {};
    const p = o.provenance || {};
    host.replaceChildren(
      el('div', { class: 'cards', id: 'pg-summary' },
        el('div', { class: 'card' }, el('div', { class: 'muted', text: 'verdict' }), el('div', { class: 'big' }, verdict(r.verdict))),
        el('div', { class: 'card' }, el('div', { class: 'muted', text: 'time' }), el('div', { class: 'big', text: fmtMs(r.execution_time_ms) })),
        el('div', { class: 'card' }, el('div', { class: 'muted', text: 'memory' }), el('div', { class: 'big', text: r.memory_used_mb + ' MiB' })),
        el('div', { class: 'card' }, el('div', { class: 'muted', text: 'exit code' }), el('div', { class: 'big', text: r.exit_code }))),
      r.error ? errorBox(r.error) : txt(''),
      el('details', {}, el('summary', { text: 'provenance: ' + (p.rootfs || '') + ', cgroup ' + (p.cgroup_mode || '') + ', localeval ' + (p.localeval_version || '') }),
        pre(JSON.stringify(p, null, 2))),
      el('p', { class: 'muted' }, 'execution ', el('a', { href: '#/executions/' + encodeURIComponent(r.execution_id), text: r.execution_id })));
  }

  // ---- executions ----
  const VERDICTS = ['OK', 'WA', 'RE', 'SG', 'TLE', 'MLE', 'OLE', 'CE', 'IE'];
  pages.executions = async function (args) {
    if (args[0]) return executionDetail(args[0]);
    const langs = await getJson('/api/v1/languages');
    const fl = el('select', { id: 'ex-language' }, el('option', { value: '', text: 'any' }), langs.languages.map((l) => el('option', { value: l.name, text: l.name })));
    const fv = el('select', { id: 'ex-verdict' }, el('option', { value: '', text: 'any' }), VERDICTS.map((v) => el('option', { value: v, text: v })));
    const fe = el('select', { id: 'ex-endpoint' }, el('option', { value: '', text: 'any' }),
      ['/api/v1/execute', '/api/v1/execute/stream', '/execute', '/api/v1/judge', '/api/v1/evals'].map((v) => el('option', { value: v, text: v })));
    const body = el('div', { id: 'ex-list' });
    let offset = 0;
    const limit = 50;
    const prev = el('button', { type: 'button', class: 'secondary', text: '← newer' });
    const next = el('button', { type: 'button', class: 'secondary', text: 'older →' });
    async function load() {
      const q = new URLSearchParams({ limit, offset });
      if (fl.value) q.set('language', fl.value);
      if (fv.value) q.set('verdict', fv.value);
      if (fe.value) q.set('endpoint', fe.value);
      const page = await getJson('/api/v1/executions?' + q);
      prev.disabled = offset === 0;
      next.disabled = offset + page.items.length >= page.total;
      body.replaceChildren(
        el('p', { class: 'muted', text: page.total + ' executions' + (page.total ? ', showing ' + (offset + 1) + '–' + (offset + page.items.length) : '') }),
        table(['when', 'execution', 'endpoint', 'client', 'language', 'verdict', '#wall', '#memory'],
          page.items.map((x) => el('tr', { class: 'click', onclick: () => { location.hash = '#/executions/' + encodeURIComponent(x.execution_id); } },
            el('td', { text: fmtTime(x.created_at_ms) }), el('td', {}, el('a', { href: '#/executions/' + encodeURIComponent(x.execution_id), text: x.execution_id })),
            el('td', { text: x.endpoint }), el('td', { text: x.client }), el('td', { text: x.language }), el('td', {}, verdict(x.verdict)),
            el('td', { class: 'n', text: fmtMs(x.wall_ms) }), el('td', { class: 'n', text: fmtBytes(x.peak_memory_bytes) })))));
    }
    const reload = () => { offset = 0; load().catch((e) => body.replaceChildren(errorBox(e.message))); };
    [fl, fv, fe].forEach((s) => s.addEventListener('change', reload));
    prev.addEventListener('click', () => { offset = Math.max(0, offset - limit); load(); });
    next.addEventListener('click', () => { offset += limit; load(); });
    main.append(el('h1', { text: 'Executions' }),
      el('div', { class: 'row' }, el('label', {}, 'language', fl), el('label', {}, 'verdict', fv), el('label', {}, 'endpoint', fe), prev, next), body);
    await load();
  };
  async function executionDetail(id) {
    const x = await getJson('/api/v1/executions/' + encodeURIComponent(id));
    const r = x.response;
    main.append(el('p', {}, el('a', { href: '#/executions', text: '← executions' })),
      el('h1', {}, 'Execution ', el('code', { text: x.execution_id }), ' ', verdict(x.verdict)),
      kv([['when', fmtTime(x.created_at_ms)], ['endpoint', x.endpoint], ['client', x.client], ['language', x.language],
        ['wall time', fmtMs(x.wall_ms)], ['peak memory', fmtBytes(x.peak_memory_bytes)], ['code sha256', x.code_sha256]]));
    if (!r) { main.append(el('p', { class: 'muted', text: 'The response was not kept (larger than the history keeps).' })); return; }
    main.append(el('h2', { text: 'stdout' }), pre(r.stdout, 'stdout', 'ex-stdout'),
      el('h2', { text: 'stderr' }), pre(r.stderr, 'stderr', 'ex-stderr'),
      el('h2', { text: 'Full response' }), pre(JSON.stringify(r, null, 2), '', 'ex-response'));
  }

  // ---- evaluations ----
  const EVAL_FIELDS = [
    // [name, label, type, default/placeholder]
    ['models', 'models (comma-separated)', 'list', ''],
    ['dataset', 'dataset', 'text', 'problems'],
    ['backend', 'backend', ['ollama', 'openai'], 'ollama'],
    ['url', 'model server URL', 'text', 'http://localhost:11434'],
    ['language', 'answer language', 'text', ''],
    ['style', 'prompt style', ['', 'chat', 'completion'], ''],
    ['samples', 'samples per problem (n)', 'int', '1'],
    ['k', 'k of pass@k', 'ints', '1,5,10'],
    ['limit', 'first N problems', 'int', ''],
    ['temperature', 'temperature', 'float', '0.2'],
    ['top_p', 'top_p', 'float', '0.95'],
    ['seed', 'seed', 'int', '1234'],
    ['max_tokens', 'max tokens', 'int', '1024'],
    ['concurrency', 'generations at once', 'int', '2'],
    ['gen_timeout_secs', 'generation timeout (s)', 'int', '300'],
    ['retries', 'retries', 'int', '3'],
    ['memory_mb', 'memory (MiB)', 'int', '512'],
    ['time_floor_ms', 'time floor (ms)', 'int', '1000'],
    ['time_factor', 'time factor', 'float', '3'],
    ['pull', 'pull missing models', 'bool', true],
    ['stream', 'stream answers', 'bool', true],
    ['calibrate', 'calibrate time limits', 'bool', true],
    ['system', 'system prompt', 'area', ''],
  ];
  function evalForm(onStart) {
    const inputs = {};
    const fields = EVAL_FIELDS.map(([name, label, type, def]) => {
      let input;
      if (Array.isArray(type)) input = el('select', {}, type.map((o) => el('option', { value: o, text: o || 'dataset default' })));
      else if (type === 'bool') input = el('input', { type: 'checkbox', checked: def });
      else if (type === 'area') input = el('textarea', { rows: 2 });
      else input = el('input', { type: 'text', placeholder: def, size: name === 'models' || name === 'dataset' || name === 'url' ? 30 : 8 });
      if (Array.isArray(type)) input.value = def;
      input.id = 'ev-' + name;
      inputs[name] = input;
      return type === 'bool' ? el('label', { class: 'inline' }, input, label) : el('label', {}, label, input);
    });
    const error = el('span', { class: 'error', id: 'ev-error' });
    const start = el('button', { type: 'submit', id: 'ev-start', text: 'Start evaluation' });
    const form = el('form', { class: 'card', id: 'ev-form' }, el('div', { class: 'row' }, fields), el('div', { class: 'row' }, start, error));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      error.textContent = '';
      const request = {};
      for (const [name, , type, def] of EVAL_FIELDS) {
        const input = inputs[name];
        if (type === 'bool') { if (input.checked !== def) request[name] = input.checked; continue; }
        const v = input.value.trim();
        if (!v) continue;
        if (type === 'list') request[name] = v.split(',').map((s) => s.trim()).filter(Boolean);
        else if (type === 'ints') request[name] = v.split(',').map((s) => Number(s.trim()));
        else if (type === 'int' || type === 'float') request[name] = Number(v);
        else request[name] = v;
      }
      start.disabled = true;
      try {
        const status = await (await post('/api/v1/evals', request)).json();
        onStart(status);
      } catch (err) {
        error.textContent = err.message;
      } finally { start.disabled = false; }
    });
    return form;
  }
  function progressOf(run) {
    const p = run.progress || {};
    return p.total ? p.done / p.total : (run.status === 'complete' ? 1 : 0);
  }
  pages.evals = async function (args) {
    if (args[0]) return evalDetail(args[0]);
    const list = el('div', { id: 'ev-list' });
    const compare = el('button', { type: 'button', class: 'secondary', id: 'ev-compare', text: 'Compare the two selected runs', disabled: true });
    const chosen = new Set();
    compare.addEventListener('click', () => { const [a, b] = [...chosen]; location.hash = '#/compare/' + encodeURIComponent(a) + '/' + encodeURIComponent(b); });
    async function load() {
      const runs = await getJson('/api/v1/evals?limit=100');
      list.replaceChildren(table(['', 'run', 'status', 'models', 'dataset', 'progress', '#passed', 'created'],
        runs.runs.map((r) => {
          const box = el('input', { type: 'checkbox', class: 'ev-pick', checked: chosen.has(r.id) });
          box.addEventListener('change', () => {
            if (box.checked) chosen.add(r.id); else chosen.delete(r.id);
            compare.disabled = chosen.size !== 2;
          });
          return el('tr', {}, el('td', {}, box), el('td', {}, el('a', { href: '#/evals/' + encodeURIComponent(r.id), text: r.id })),
            el('td', { class: 's-' + r.status, text: r.status }), el('td', { text: r.models.join(', ') }), el('td', { text: r.dataset }),
            el('td', {}, el('progress', { max: 1, value: progressOf(r) }), ' ' + r.progress.done + '/' + r.progress.total),
            el('td', { class: 'n', text: r.progress.passed }), el('td', { text: fmtTime(r.created_ms) }));
        })), el('p', { class: 'muted', text: runs.total + ' runs in the store' }));
    }
    main.append(el('h1', { text: 'Evaluations' }),
      el('details', { id: 'ev-new', open: true }, el('summary', { text: 'Start an evaluation (the options of POST /api/v1/evals)' }),
        evalForm((status) => { location.hash = '#/evals/' + encodeURIComponent(status.id); })),
      el('h2', { text: 'Runs' }), el('div', { class: 'row' }, compare), list);
    await load();
    timers.push(setInterval(() => load().catch(() => {}), 5000));
  };
  async function evalDetail(id) {
    const head = el('div', { id: 'ev-head' });
    const bar = el('progress', { id: 'ev-progress', max: 1, value: 0 });
    const percent = el('span', { id: 'ev-percent', class: 'big' });
    const counters = el('div', { class: 'cards', id: 'ev-counters' });
    const actions = el('div', { class: 'row' });
    const chartHost = el('div', { class: 'chart', id: 'ev-chart' });
    const reportHost = el('div', { id: 'ev-report' });
    main.append(el('p', {}, el('a', { href: '#/evals', text: '← evaluations' })), head,
      el('div', { class: 'row' }, percent), bar, counters, actions, chartHost, el('h2', { text: 'Report' }), reportHost);
    const cancel = el('button', { type: 'button', class: 'danger', id: 'ev-cancel', text: 'Cancel', disabled: true });
    const resume = el('button', { type: 'button', id: 'ev-resume', text: 'Resume', disabled: true });
    cancel.addEventListener('click', async () => { cancel.disabled = true; try { render(await (await post('/api/v1/evals/' + encodeURIComponent(id) + '/cancel')).json()); } catch (e) { actions.append(errorBox(e.message)); } });
    resume.addEventListener('click', async () => { resume.disabled = true; try { await post('/api/v1/evals/' + encodeURIComponent(id) + '/resume'); await watch(); } catch (e) { actions.append(errorBox(e.message)); } });
    const dl = (fmt, ext) => el('button', { type: 'button', class: 'secondary', text: fmt, onclick: () => download('/api/v1/evals/' + encodeURIComponent(id) + '/report?format=' + fmt, id + '.' + ext).catch((e) => actions.append(errorBox(e.message))) });
    actions.append(cancel, resume, el('span', { class: 'muted', text: 'download the report:' }), dl('html', 'html'), dl('json', 'json'), dl('markdown', 'md'));
    const series = [[], []];
    let chart = null;
    const t0 = Date.now();
    let lastStatus = null;
    function render(run) {
      lastStatus = run.status;
      const p = run.progress;
      head.replaceChildren(el('h1', {}, 'Evaluation ', el('code', { text: run.id }), ' ', el('span', { class: 's-' + run.status, id: 'ev-status', text: run.status })),
        el('p', { class: 'muted', text: run.models.join(', ') + ' · ' + run.dataset + (run.language ? ' · ' + run.language : '') + ' · n=' + run.samples + ' · started ' + fmtTime(run.created_ms) }),
        run.message ? errorBox(run.message) : txt(''));
      const f = progressOf(run);
      bar.value = f;
      percent.textContent = Math.floor(100 * f) + '%';
      counters.replaceChildren(...[
        ['done', p.done + ' / ' + p.total], ['passed', p.passed], ['failed', p.failed], ['phase', p.phase],
        ['elapsed', fmtSecs(p.elapsed_secs)], ['ETA', run.status === 'running' ? fmtSecs(p.eta_secs) : '–'],
        ['generations', p.generation_requests + ' (+' + p.cached_generations + ' cached)'], ['executions', p.executions + ' (+' + p.cached_executions + ' cached)'],
      ].map(([k, v]) => el('div', { class: 'card' }, el('div', { class: 'muted', text: k }), el('div', { class: 'big', id: 'ev-' + k.toLowerCase(), text: v }))));
      // The buttons stay the same elements (a click is never lost to a re-render).
      cancel.disabled = run.status !== 'running';
      resume.disabled = !['cancelled', 'interrupted', 'incomplete'].includes(run.status);
      if (window.uPlot && p.total) {
        series[0].push((Date.now() - t0) / 1000);
        series[1].push(p.done);
        if (!chart) {
          chart = new window.uPlot({ width: Math.min(900, main.clientWidth), height: 160, title: 'samples judged',
            scales: { x: { time: false } }, axes: [{ label: 'seconds watched' }, {}],
            series: [{ label: 'seconds' }, { label: 'done', stroke: '#0969da', fill: 'rgba(9,105,218,.1)' }] }, series, chartHost);
          charts.push(chart);
        } else chart.setData(series);
      }
    }
    async function showReport() {
      const response = await api('/api/v1/evals/' + encodeURIComponent(id) + '/report?format=html');
      const html = await response.text();
      const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
      // A sandbox that does not allow scripts: nothing in the report can run, whatever it holds
      // (it has no script; the CSP, inherited by the blob document, forbids inline script
      // too). allow-same-origin only lets its #links navigate within the blob document.
      const frame = el('iframe', { class: 'report', id: 'ev-report-frame', sandbox: 'allow-same-origin', title: 'report', src: url });
      reportHost.replaceChildren(frame);
    }
    async function watch() {
      const a = controller();
      const response = await api('/api/v1/evals/' + encodeURIComponent(id) + '/events?interval_ms=500', { headers: { Accept: 'text/event-stream' }, signal: a.signal });
      await readEvents(response, (name, data) => {
        const v = JSON.parse(data);
        if (name === 'progress') render(v); else reportHost.append(errorBox(v.error));
      });
      if (lastStatus !== 'running') await showReport();
    }
    render(await getJson('/api/v1/evals/' + encodeURIComponent(id)));
    reportHost.append(el('p', { class: 'muted', text: 'The report appears when the run stops.' }));
    await watch();
  }
  pages.compare = async function (args) {
    const [a, b] = args;
    const [ra, rb] = await Promise.all([a, b].map((id) => getJson('/api/v1/evals/' + encodeURIComponent(id) + '/report?format=json')));
    main.append(el('p', {}, el('a', { href: '#/evals', text: '← evaluations' })),
      el('h1', { text: 'Compare runs' }),
      kv([['A', ra.run_id + ' (' + ra.dataset + ', ' + ra.status + ')'], ['B', rb.run_id + ' (' + rb.dataset + ', ' + rb.status + ')'],
        ['same questions', ra.metadata.dataset_sha256 === rb.metadata.dataset_sha256 ? 'yes (same dataset hash)' : 'no: the dataset hashes differ']]));
    const ks = [...new Set([...ra.ks, ...rb.ks])].sort((x, y) => x - y);
    const models = [...new Set([...ra.models.map((m) => m.model), ...rb.models.map((m) => m.model)])];
    const at = (r, model, k) => { const m = r.models.find((x) => x.model === model); const p = m && m.pass_at_k.find((x) => x.k === k); return p ? p.mean : null; };
    const rows = [];
    for (const model of models) {
      for (const k of ks) {
        const x = at(ra, model, k); const y = at(rb, model, k);
        const d = x !== null && y !== null ? y - x : null;
        rows.push(el('tr', {}, el('td', { text: model }), el('td', { class: 'n', text: 'pass@' + k }), el('td', { class: 'n', text: pct(x) }), el('td', { class: 'n', text: pct(y) }),
          el('td', { class: 'n ' + (d > 0 ? 'up' : d < 0 ? 'down' : ''), text: d === null ? '–' : (d >= 0 ? '+' : '') + (100 * d).toFixed(1) + ' pts' })));
      }
    }
    main.append(el('h2', { text: 'pass@k' }), table(['model', '#k', '#A', '#B', '#B − A'], rows));
    const solved = (r, model) => { const m = r.models.find((x) => x.model === model); return new Set(m ? m.problems.filter((p) => p.c > 0).map((p) => p.problem_id) : []); };
    for (const model of models) {
      const sa = solved(ra, model); const sb = solved(rb, model);
      const onlyA = [...sa].filter((p) => !sb.has(p)); const onlyB = [...sb].filter((p) => !sa.has(p));
      main.append(el('h2', { text: model }), kv([['solved in A, not in B', onlyA.join(', ') || 'none'], ['solved in B, not in A', onlyB.join(', ') || 'none']]));
    }
  };

  // ---- images ----
  pages.images = async function () {
    const list = el('div', { id: 'im-list' });
    const input = el('input', { id: 'im-ref', type: 'text', size: 40, placeholder: 'python:3.12-slim' });
    const insecure = el('input', { id: 'im-insecure', type: 'checkbox' });
    const pull = el('button', { type: 'submit', id: 'im-pull', text: 'Pull' });
    const bar = el('progress', { id: 'im-progress', max: 1, value: 0, hidden: true });
    const status = el('p', { id: 'im-status', class: 'muted' });
    const log = el('pre', { id: 'im-log', hidden: true });
    async function load() {
      const images = await getJson('/api/v1/images');
      list.replaceChildren(images.length === 0 ? el('p', { class: 'muted', text: 'No image in the store (or this server has no image store).' }) :
        table(['reference', 'digest', '#layers', '#compressed', '#unpacked', 'pulled', 'last used'], images.map((i) => el('tr', {},
          el('td', { text: i.reference }), el('td', {}, el('code', { text: i.digest.slice(0, 19) + '…', title: i.digest })), el('td', { class: 'n', text: i.layers.length }),
          el('td', { class: 'n', text: fmtBytes(i.size) }), el('td', { class: 'n', text: fmtBytes(i.unpacked_bytes) }),
          el('td', { text: fmtTime(i.pulled_at * 1000) }), el('td', { text: i.last_used ? fmtTime(i.last_used * 1000) : '–' })))));
    }
    const form = el('form', { class: 'card row' }, el('label', {}, 'image', input), el('label', { class: 'inline' }, insecure, 'plain HTTP (registries the server lists as insecure)'), pull);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      pull.disabled = true; bar.hidden = false; log.hidden = false; log.textContent = ''; bar.value = 0; status.textContent = 'pulling…';
      const blobs = new Map();
      let total = 0;
      try {
        const response = await post('/api/v1/images/pull', { image: input.value.trim(), insecure: insecure.checked }, { signal: controller().signal });
        await readLines(response, (line) => {
          if (!line) return;
          const ev = JSON.parse(line);
          log.append(txt(line + '\n'));
          if (ev.status === 'resolved') total = ev.total;
          if (ev.status === 'downloading') blobs.set(ev.digest, ev.completed);
          if (ev.status === 'downloaded' && !blobs.has(ev.digest)) blobs.set(ev.digest, 0);
          const got = [...blobs.values()].reduce((x, y) => x + y, 0);
          if (total) { bar.value = Math.min(1, got / total); status.textContent = fmtBytes(got) + ' of ' + fmtBytes(total); }
          if (ev.status === 'unpacking') status.textContent = 'unpacking…';
          if (ev.status === 'success') { bar.value = 1; status.textContent = 'pulled ' + ev.image + ' (' + ev.digest + ')' + (ev.cached ? ', already in the store' : ''); }
          if (ev.status === 'error') status.replaceChildren(errorBox(ev.error));
        });
        await load();
      } catch (err) {
        status.replaceChildren(errorBox(err.message));
      } finally { pull.disabled = false; }
    });
    main.append(el('h1', { text: 'Images' }), form, bar, status, log, el('h2', { text: 'Store' }), list);
    await load();
  };

  // ---- health ----
  pages.health = async function () {
    const [health, config] = await Promise.all([getJson('/api/v1/health'), getJson('/api/v1/config')]);
    const limits = (l) => l ? [fmtMs(l.wall_ms) + ' wall', fmtMs(l.cpu_ms) + ' CPU', fmtBytes(l.memory_bytes) + ' memory', l.pids + ' processes', fmtBytes(l.output_bytes) + ' output'].join(' · ') : '–';
    const live = el('div', { class: 'cards', id: 'hl-live' });
    const chartHost = el('div', { class: 'chart', id: 'hl-chart' });
    main.append(el('h1', {}, 'Health ', el('span', { id: 'hl-status', class: health.healthy ? 'ok' : 'error', text: health.status })),
      live, chartHost,
      el('h2', { text: 'Isolation' }),
      kv([['isolation', health.isolation.join(', ')], ['cgroup mode', health.cgroup_mode], ['rootless', String(health.host.rootless)],
        ['weakened', health.host.weakened.length ? health.host.weakened.join('; ') : 'nothing'], ['version', health.version], ['languages', health.languages.join(', ')]]),
      el('h2', { text: 'Limits' }),
      kv([['default run', limits(config.default_limits)], ['maximum', limits(config.max_limits)], ['compile', limits(config.compile_limits)],
        ['executions at once', config.max_concurrent], ['queue', config.max_queue], ['rate limit', config.rate_limit ? JSON.stringify(config.rate_limit) : 'off'],
        ['body limit', fmtBytes(config.body_limit_bytes)], ['token required', String(config.auth_required)]]));
    const data = [[], [], [], []];
    let last = null;
    let chart = null;
    async function tick() {
      const s = await getJson('/api/v1/stats');
      const now = Date.now() / 1000;
      const rate = last ? (s.total_executions - last.total_executions) / (now - last.t) : 0;
      last = { t: now, total_executions: s.total_executions };
      live.replaceChildren(...[['running', s.running], ['queued', s.queued], ['executions/s', rate.toFixed(2)], ['executions', s.total_executions],
        ['requests', s.total_requests], ['errors', s.total_errors], ['uptime', fmtSecs(s.uptime_seconds)]]
        .map(([k, v]) => el('div', { class: 'card' }, el('div', { class: 'muted', text: k }), el('div', { class: 'big', id: 'hl-' + k.replace(/\W/g, ''), text: v }))));
      data[0].push(now); data[1].push(rate); data[2].push(s.running); data[3].push(s.queued);
      if (data[0].length > 300) data.forEach((d) => d.shift());
      if (window.uPlot) {
        if (!chart) {
          chart = new window.uPlot({ width: Math.min(900, main.clientWidth), height: 180, title: 'throughput and queue (every 2 s while this page is open)',
            series: [{ label: 'time' }, { label: 'executions/s', stroke: '#1a7f37' }, { label: 'running', stroke: '#0969da' }, { label: 'queued', stroke: '#bc4c00' }] }, data, chartHost);
          charts.push(chart);
        } else chart.setData(data);
      }
    }
    await tick();
    timers.push(setInterval(() => tick().catch(() => {}), 2000));
  };

  // ---- start ----
  document.getElementById('who').textContent = location.host;
  route();
})();
