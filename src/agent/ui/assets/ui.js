// Solder debug UI: makes the server-rendered pages live. Every page is
// complete without this script; it only refreshes what changes.
(function () {
  'use strict';
  const page = document.body.dataset.page;
  const id = document.body.dataset.id;

  async function json(path) {
    const r = await fetch(path, { cache: 'no-store' });
    if (!r.ok) throw new Error(path + ': ' + r.status);
    return r.json();
  }

  // Runs f now and then every ms after it settles, whatever it throws.
  function every(ms, f) {
    const run = () => Promise.resolve().then(f).catch(() => {}).finally(() => setTimeout(run, ms));
    run();
  }

  function setHealth(el, state) {
    if (!el) return;
    el.classList.forEach((c) => { if (c.startsWith('health-')) el.classList.remove(c); });
    el.classList.add('health-' + state);
  }

  function setBadge(badge, state) {
    if (!badge) return;
    badge.textContent = state;
    setHealth(badge, state);
  }

  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  // The stale-config banner, on every page.
  let seenReload;
  every(2000, async () => {
    const st = await json('/api/v0/web/status');
    const b = document.getElementById('banner');
    if (!b) return;
    if (st.banner) {
      setText(b.querySelector('a'), st.banner);
      b.hidden = false;
    } else {
      b.hidden = true;
    }
    // The config page shows the reload's outcome: refresh it when it moves.
    const at = st.lastReload && st.lastReload.time + st.lastReload.success;
    if (page === 'config') {
      if (seenReload !== undefined && seenReload !== at) location.reload();
      seenReload = at;
    }
  });

  function byId(nodes) {
    const m = new Map();
    for (const n of nodes) m.set(n.id, n);
    return m;
  }

  if (page === 'components') {
    every(2000, async () => {
      const g = await json('/api/v0/web/graph');
      const rows = [...document.querySelectorAll('tr[data-id]')];
      const nodes = byId(g.nodes);
      if (rows.length !== g.nodes.length || rows.some((r) => !nodes.has(r.dataset.id))) {
        location.reload();
        return;
      }
      for (const row of rows) {
        const n = nodes.get(row.dataset.id);
        setBadge(row.querySelector('[data-health]'), n.health.state);
        setText(row.querySelector('[data-message]'), n.health.message);
        setText(row.querySelector('[data-in]'), n.throughput.in);
        setText(row.querySelector('[data-out]'), n.throughput.out);
      }
    });
  }

  if (page === 'component') {
    every(2000, async () => {
      const g = await json('/api/v0/web/graph');
      const n = byId(g.nodes).get(id);
      if (!n) return;
      setBadge(document.querySelector('.health [data-health]'), n.health.state);
      setText(document.querySelector('.health [data-message]'), n.health.message);
      setText(document.querySelector('[data-updated]'), n.health.updatedTime);
      setText(document.querySelector('[data-in]'), n.throughput.in);
      setText(document.querySelector('[data-out]'), n.throughput.out);
    });
  }

  if (page === 'graph') {
    const shape = document.body.dataset.shape;
    // The module whose graph this is; '' is the top level.
    const view = '?module=' + encodeURIComponent(document.body.dataset.module || '');
    const apply = (g) => {
      const now = g.nodes.map((n) => n.id).join(',') + '|' + g.edges.map((e) => e.from + '>' + e.to).join(',');
      if (now !== shape) {
        location.reload();
        return;
      }
      const nodes = byId(g.nodes);
      document.querySelectorAll('g.node[data-id]').forEach((el) => {
        const n = nodes.get(el.dataset.id);
        if (n) setHealth(el, n.health.state);
      });
      const edges = new Map(g.edges.map((e) => [e.from + '\u0000' + e.to, e]));
      document.querySelectorAll('g.edge[data-from]').forEach((el) => {
        const e = edges.get(el.dataset.from + '\u0000' + el.dataset.to);
        if (e) setText(el.querySelector('text'), e.label);
      });
      document.querySelectorAll('table.edges tr[data-from]').forEach((el) => {
        const e = edges.get(el.dataset.from + '\u0000' + el.dataset.to);
        if (!e) return;
        setText(el.querySelector('[data-rate]'), e.label);
        setText(el.querySelector('[data-refused]'), String(Object.values(e.refused).reduce((a, b) => a + b, 0)));
      });
    };
    if (window.EventSource) {
      const src = new EventSource('/api/v0/web/graph/stream' + view);
      src.onmessage = (m) => apply(JSON.parse(m.data));
    } else {
      every(1000, async () => apply(await json('/api/v0/web/graph' + view)));
    }
  }

  if (page === 'live') {
    const out = document.getElementById('live');
    if (!out) return; // live debugging is disabled; the page says how to enable it
    const sample = document.getElementById('sample');
    const pause = document.getElementById('pause');
    const state = document.getElementById('live-state');
    const MAX_ENTRIES = 200;
    let src = null;
    const connect = () => {
      if (src) src.close();
      src = new EventSource('/api/v0/web/debug/' + encodeURIComponent(id) + '?sample=' + encodeURIComponent(sample.value));
      src.onopen = () => setText(state, 'streaming');
      src.onerror = () => setText(state, src.readyState === EventSource.CLOSED ? 'stopped (is live debugging still enabled? reload the page)' : 'reconnecting…');
      src.onmessage = (m) => {
        const msg = JSON.parse(m.data);
        const entry = document.createElement('div');
        entry.className = 'entry';
        const head = document.createElement('header');
        const arrow = msg.direction === 'in' ? '← from ' : '→ to ';
        head.textContent = msg.time + '  ' + arrow + msg.peer + '  ' + msg.items + ' ' + msg.unit +
          (msg.dropped ? '  (' + msg.dropped + ' dropped: the page fell behind)' : '');
        const body = document.createElement('pre');
        body.textContent = msg.text;
        entry.append(head, body);
        out.prepend(entry);
        while (out.childElementCount > MAX_ENTRIES) out.lastElementChild.remove();
      };
    };
    sample.addEventListener('change', connect);
    pause.addEventListener('click', () => {
      if (src) {
        src.close();
        src = null;
        pause.textContent = 'Resume';
        setText(state, 'paused');
      } else {
        pause.textContent = 'Pause';
        connect();
      }
    });
    document.getElementById('clear').addEventListener('click', () => out.replaceChildren());
    connect();
  }
})();
