// coldprof's flame graph page. Everything a log contributed (names, IDs,
// request IDs) is set with textContent only, never parsed as HTML.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('coldprof-data').textContent);
  const $ = (id) => document.getElementById(id);
  const ROW = 18;
  const HUES = [215, 275, 28, 135]; // interpreter, runtime, init, invoke
  const chart = $('chart');
  const tip = $('tip');
  const search = $('search');

  // The current cold start, decoded into objects, and one div per node.
  let cs = null;
  let nodes = [];
  let els = [];
  let shown = []; // per node: "left,width" as last drawn, "" when hidden, null before
  let zoom = -1;
  let tableRows = [];
  let sortKey = 'self';
  let sortDir = -1;

  const ms = (us) => (us / 1000).toFixed(us < 10000 ? 2 : 1) + ' ms';
  const pct = (part, whole) => (whole > 0 ? (100 * part / whole).toFixed(1) : '0.0') + ' %';
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };

  // colour gives every name a stable shade of its phase's hue.
  function colour(phase, name) {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
    const light = 62 + (Math.abs(h) % 16);
    return 'hsl(' + HUES[phase] + ',' + (phase === 0 ? 35 : 65) + '%,' + light + '%)';
  }

  function decode(raw) {
    const s = raw.strings;
    const str = (i) => (i < 0 ? '' : s[i]);
    return raw.nodes.map((n, i) => ({
      i: i, name: str(n[0]), parent: n[1], depth: n[2], start: n[3], dur: n[4],
      self: n[5], cum: n[6], phase: n[7], requestId: str(n[8]), origin: str(n[9]),
    }));
  }

  // show builds the chart of one cold start: one div per node, created once;
  // zooming and searching only change their styles and classes.
  function show(index) {
    current = index;
    cs = data.coldStarts[index];
    nodes = decode(cs);
    zoom = -1;
    document.title = 'coldprof · ' + cs.id;
    $('title').textContent = '· ' + cs.id;
    const frag = document.createDocumentFragment();
    els = nodes.map((n) => {
      const d = el('div', n.name, n.parent < 0 ? 'node phase' : 'node');
      d.dataset.i = n.i;
      d.style.top = (n.depth * ROW) + 'px';
      d.style.background = colour(n.phase, n.name);
      frag.appendChild(d);
      return d;
    });
    chart.replaceChildren(frag);
    shown = new Array(nodes.length).fill(null);
    const depth = nodes.reduce((m, n) => Math.max(m, n.depth), 0);
    chart.style.height = ((depth + 1) * ROW) + 'px';
    showFacts();
    showFindings();
    showSampled();
    fillTable();
    applySearch();
    layout();
    saveView();
  }

  // showFindings lists the cold start's findings; clicking one highlights
  // the modules (and sampled functions) it names, as a search does.
  function showFindings() {
    const list = $('findings');
    list.replaceChildren();
    const fs = cs.findings || [];
    list.hidden = fs.length === 0;
    fs.forEach((f) => {
      const saves = f.savingsUs == null ? 'saving unknown' : '≈ ' + ms(f.savingsUs) + ' (' + f.basis + ')';
      const li = el('li', '');
      li.appendChild(el('span', '[' + f.id + '] ', 'fid'));
      li.appendChild(document.createTextNode(f.title + ' — ' + saves + '. ' + f.action));
      li.title = (f.evidence || []).join('\n');
      li.addEventListener('click', () => {
        const on = !li.classList.contains('on');
        for (const o of list.children) o.classList.remove('on');
        li.classList.toggle('on', on);
        const names = new Set(on ? (f.modules || []).concat(f.functions || []) : []);
        search.value = '';
        chart.classList.toggle('searching', names.size > 0);
        let count = 0;
        for (let i = 0; i < nodes.length; i++) {
          const hit = names.has(nodes[i].name);
          els[i].classList.toggle('match', hit);
          if (hit) count++;
        }
        $('search-status').textContent = on ? count + ' highlighted by the finding' : '';
      });
      list.appendChild(li);
    });
  }

  function showFacts() {
    const facts = [];
    if (cs.runtime) facts.push('runtime ' + cs.runtime);
    if (cs.handler) facts.push('handler ' + cs.handler);
    if (cs.kind && cs.kind !== 'on-demand') facts.push(cs.kind);
    facts.push('format ' + cs.format, 'boundary ' + cs.boundary, cs.imports + ' imports', 'total ' + ms(cs.totalUs));
    if (cs.initDurationMs !== null) facts.push('Lambda Init Duration ' + cs.initDurationMs.toFixed(2) + ' ms');
    if (cs.truncated) facts.push('log truncated');
    $('facts').textContent = facts.join(' · ');
    const legend = $('legend');
    legend.replaceChildren();
    for (const [p, us, count] of cs.phases) {
      const item = el('span');
      const sw = el('i');
      sw.style.background = 'hsl(' + HUES[p] + ',' + (p === 0 ? 35 : 65) + '%,65%)';
      item.append(sw, data.phases[p] + ' ' + ms(us) + ' (' + count + ')');
      legend.appendChild(item);
    }
  }

  // showSampled draws where init went (the parts as blocks on a time axis;
  // every part that is not zero stays at least 3 px wide, so the
  // unexplained "other init" block is always visible) and a flame graph of
  // the sampled stacks.
  const PART_COLOURS = ['hsl(215,35%,65%)', 'hsl(275,65%,72%)', 'hsl(28,65%,65%)', 'hsl(48,85%,62%)',
    'repeating-linear-gradient(45deg,#bbb,#bbb 4px,#e4e4e4 4px,#e4e4e4 8px)'];
  function showSampled() {
    const box = $('sampled');
    const sm = cs.sampled;
    if (!sm) { box.hidden = true; return; }
    box.hidden = false;
    const parts = $('parts');
    parts.replaceChildren();
    const total = sm.totalUs;
    let x = 0;
    sm.parts.forEach(([name, us], i) => {
      const b = el('div', name + ' ' + ms(us), 'part');
      b.style.left = (total > 0 ? 100 * x / total : 0) + '%';
      b.style.width = (total > 0 ? 100 * us / total : 0) + '%';
      b.style.minWidth = us > 0 ? '3px' : '0';
      b.style.background = PART_COLOURS[i];
      b.title = name + ': ' + ms(us) + ' (' + pct(us, total) + ')';
      parts.appendChild(b);
      x += us;
    });
    $('parts-axis').replaceChildren(el('span', '0 ms'), el('span', total > 0 ? ms(total) : ''));
    $('parts-note').textContent = sm.note;
    const flame = $('flame');
    const whole = sm.flame.reduce((m, n) => (n[1] === 0 ? m + n[3] : m), 0);
    const frag = document.createDocumentFragment();
    let depth = 0;
    for (const [name, d, start, dur, self, phase] of sm.flame) {
      const label = cs.strings[name];
      const b = el('div', label, 'snode');
      b.style.top = (d * ROW) + 'px';
      b.style.left = (100 * start / Math.max(whole, 1)) + '%';
      b.style.width = (100 * dur / Math.max(whole, 1)) + '%';
      b.style.background = colour(phase, label);
      b.title = label + ': ' + ms(dur) + ' total, ' + ms(self) + ' self';
      frag.appendChild(b);
      depth = Math.max(depth, d);
    }
    flame.replaceChildren(frag);
    flame.style.height = ((depth + 1) * ROW) + 'px';
  }

  function isAncestor(a, n) {
    for (let p = n.parent; p >= 0; p = nodes[p].parent) if (p === a) return true;
    return false;
  }

  // layout positions every node for the current zoom: the zoomed node fills
  // the width, its ancestors are clipped to it, nodes outside are hidden.
  function layout() {
    const width = Math.max(chart.clientWidth, 200);
    const total = nodes.reduce((m, n) => (n.parent < 0 ? Math.max(m, n.start + n.dur) : m), 0);
    const a = zoom < 0 ? 0 : nodes[zoom].start;
    const b = zoom < 0 ? total : nodes[zoom].start + nodes[zoom].dur;
    const scale = width / Math.max(b - a, 1);
    // Touch the DOM only where something changed: most nodes are hidden
    // when zoomed in and stay hidden from one zoom to the next.
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      const x0 = Math.max(n.start, a);
      const x1 = Math.min(n.start + n.dur, b);
      const w = (x1 - x0) * scale;
      const d = els[i];
      const was = shown[i];
      if (w < 0.5 && !(zoom >= 0 && (i === zoom || isAncestor(i, nodes[zoom])))) {
        if (was !== '') { d.hidden = true; shown[i] = ''; }
        continue;
      }
      const left = Math.round((x0 - a) * scale * 10) / 10;
      const px = Math.round(Math.max(w, 1) * 10) / 10;
      const key = left + ',' + px;
      if (key === was) continue;
      if (was === '') d.hidden = false;
      d.style.left = left + 'px';
      d.style.width = px + 'px';
      const narrow = w < 28;
      if (narrow !== (d.className.indexOf('narrow') >= 0)) d.classList.toggle('narrow', narrow);
      shown[i] = key;
    }
    showCrumbs();
  }

  function zoomTo(i) {
    zoom = i;
    layout();
    saveView();
  }

  // The view (cold start, zoomed node, search) lives in the URL's fragment,
  // so a reload keeps it and a link shows what its sender saw.
  let current = 0;
  function saveView() {
    const parts = [];
    if (current > 0) parts.push('cs=' + current);
    if (zoom >= 0) parts.push('zoom=' + zoom);
    if (search.value) parts.push('q=' + encodeURIComponent(search.value));
    const hash = parts.length ? '#' + parts.join('&') : '';
    if (hash === location.hash) return;
    try {
      history.replaceState(null, '', location.pathname + location.search + hash);
    } catch (e) {
      // Some browsers refuse history changes on file: pages; the view still works.
    }
  }
  function readView() {
    const view = {};
    for (const kv of location.hash.slice(1).split('&')) {
      const eq = kv.indexOf('=');
      if (eq > 0) view[kv.slice(0, eq)] = decodeURIComponent(kv.slice(eq + 1));
    }
    return view;
  }
  function restoreView(view) {
    const c = parseInt(view.cs, 10);
    if (c > 0 && c < data.coldStarts.length) {
      $('picker').value = c;
      show(c);
    }
    if (view.q) { search.value = view.q; applySearch(); }
    const z = parseInt(view.zoom, 10);
    if (z >= 0 && z < nodes.length) zoomTo(z);
  }

  function showCrumbs() {
    const crumbs = $('crumbs');
    crumbs.replaceChildren();
    const path = [];
    for (let p = zoom; p >= 0; p = nodes[p].parent) path.unshift(p);
    const add = (label, target) => {
      const btn = el('button', label);
      btn.type = 'button';
      btn.addEventListener('click', () => zoomTo(target));
      crumbs.appendChild(btn);
    };
    add('all', -1);
    for (const p of path) {
      crumbs.appendChild(el('span', ' › ', 'sep'));
      add(nodes[p].name, p);
    }
  }

  function applySearch() {
    const q = search.value.trim().toLowerCase();
    chart.classList.toggle('searching', q !== '');
    let count = 0;
    let self = 0;
    for (let i = 0; i < nodes.length; i++) {
      const hit = q !== '' && nodes[i].name.toLowerCase().includes(q);
      els[i].classList.toggle('match', hit);
      if (hit) { count++; self += nodes[i].self; }
    }
    $('search-status').textContent = q === '' ? '' : count + ' matches, self ' + ms(self) + ' (' + pct(self, cs.totalUs) + ')';
    return count;
  }

  // buildSVG draws the current view (zoom and search) as an SVG document,
  // for pull requests and slides. Elements are created through the DOM, so
  // names stay text.
  function buildSVG() {
    const NS = 'http://www.w3.org/2000/svg';
    const make = (tag, attrs) => {
      const e = document.createElementNS(NS, tag);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      return e;
    };
    const width = Math.max(chart.clientWidth, 200);
    const height = chart.offsetHeight + 24;
    const svg = make('svg', { xmlns: NS, width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, 'font-family': 'monospace', 'font-size': 11 });
    const title = make('text', { x: 0, y: 14, 'font-size': 13 });
    title.textContent = 'coldprof · ' + cs.id + ' · total ' + ms(cs.totalUs) + (search.value ? ' · search: ' + search.value : '');
    svg.appendChild(title);
    const q = search.value.trim().toLowerCase();
    for (let i = 0; i < nodes.length; i++) {
      if (!shown[i]) continue;
      const n = nodes[i];
      const [x, w] = shown[i].split(',').map(Number);
      const y = 24 + n.depth * ROW;
      const hit = q !== '' && n.name.toLowerCase().includes(q);
      const g = make('g', {});
      const fill = q === '' ? colour(n.phase, n.name) : (hit ? '#ffd400' : '#e8e8e8');
      g.appendChild(make('rect', { x: x, y: y, width: Math.max(w - 1, 0.5), height: ROW - 1, fill: fill }));
      const tip = make('title', {});
      tip.textContent = n.name + ' (' + data.phases[n.phase] + '): self ' + ms(n.self) + ', cumulative ' + ms(n.cum);
      g.appendChild(tip);
      const chars = Math.floor((w - 6) / 6.7);
      if (chars >= 3) {
        const t = make('text', { x: x + 3, y: y + 12 });
        t.textContent = n.name.length > chars ? n.name.slice(0, chars - 1) + '…' : n.name;
        g.appendChild(t);
      }
      svg.appendChild(g);
    }
    return svg;
  }

  function downloadSVG() {
    const text = new XMLSerializer().serializeToString(buildSVG());
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
    a.download = 'coldprof-' + cs.id.replace(/[^A-Za-z0-9._-]+/g, '_') + '.svg';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  function tipRow(table, label, value) {
    const tr = el('tr');
    tr.append(el('td', label), el('td', value));
    table.appendChild(tr);
  }

  function showTip(n, x, y) {
    tip.replaceChildren(el('b', n.name));
    const t = el('table');
    tipRow(t, 'phase', data.phases[n.phase]);
    if (n.parent >= 0) {
      tipRow(t, 'self', ms(n.self) + ' · ' + pct(n.self, cs.totalUs) + ' of cold start');
    }
    tipRow(t, 'cumulative', ms(n.cum) + ' · ' + pct(n.cum, cs.totalUs) + ' of cold start');
    tipRow(t, 'init limit', pct(n.cum, cs.initLimitUs || data.initLimitUs) + ' of ' + (cs.initLimit || 'Lambda’s 10 s init limit'));
    if (n.requestId) tipRow(t, 'request', n.requestId);
    if (n.origin) tipRow(t, 'origin', n.origin);
    tip.appendChild(t);
    tip.hidden = false;
    const r = tip.getBoundingClientRect();
    tip.style.left = Math.min(x + 14, window.innerWidth - r.width - 4) + 'px';
    tip.style.top = Math.min(y + 14, window.innerHeight - r.height - 4) + 'px';
  }

  const nodeAt = (target) => {
    const d = target.closest && target.closest('.node');
    return d ? nodes[+d.dataset.i] : null;
  };
  chart.addEventListener('click', (e) => {
    const n = nodeAt(e.target);
    if (n) zoomTo(n.i);
  });
  chart.addEventListener('mousemove', (e) => {
    const n = nodeAt(e.target);
    if (n) showTip(n, e.clientX, e.clientY); else tip.hidden = true;
  });
  chart.addEventListener('mouseleave', () => { tip.hidden = true; });
  // Searching restyles every node; wait for a pause in typing.
  let searchTimer = 0;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { applySearch(); saveView(); }, 80);
  });
  $('reset').addEventListener('click', () => zoomTo(-1));
  $('save-svg').addEventListener('click', downloadSVG);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { search.value = ''; applySearch(); zoomTo(-1); }
    if (e.key === '/' && document.activeElement !== search) { e.preventDefault(); search.focus(); }
  });
  let resizeTimer = 0;
  window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(layout, 100); });

  // The table: this cold start's hot spots (merged by name and phase), or
  // with several cold starts the medians across them.
  const COLUMNS = {
    cs: [['name', 'module'], ['phase', 'phase'], ['self', 'self'], ['cum', 'cumulative'], ['share', '% total'], ['count', 'count']],
    agg: [['name', 'module'], ['phase', 'phase'], ['self', 'median self'], ['cum', 'median cum.'], ['p90', 'p90 cum.'], ['count', 'cold starts']],
  };

  function fillTable() {
    if ($('table-mode').value === 'agg') {
      tableRows = data.aggregate.modules.map((r) => ({ name: r[0], phase: r[1], count: r[2], self: r[3], cum: r[4], p90: r[5] }));
    } else {
      tableRows = cs.hotSpots.map((r) => ({ name: r[0], phase: r[1], self: r[2], cum: r[3], count: r[4], share: r[3] / Math.max(cs.totalUs, 1) }));
    }
    renderTable();
  }

  function renderTable() {
    const mode = $('table-mode').value;
    const head = document.querySelector('#hot thead tr');
    head.replaceChildren();
    for (const [key, label] of COLUMNS[mode]) {
      const th = el('th', label);
      th.dataset.key = key;
      if (key === sortKey) th.setAttribute('aria-sort', sortDir < 0 ? 'descending' : 'ascending');
      head.appendChild(th);
    }
    const rows = tableRows.slice().sort((x, y) => {
      const a = x[sortKey];
      const b = y[sortKey];
      const c = typeof a === 'string' ? a.localeCompare(b) : a - b;
      return c * sortDir || x.name.localeCompare(y.name);
    });
    const body = document.querySelector('#hot tbody');
    const frag = document.createDocumentFragment();
    for (const r of rows) {
      const tr = el('tr');
      tr.dataset.name = r.name;
      const cells = mode === 'agg'
        ? [r.name, r.phase, ms(r.self), ms(r.cum), ms(r.p90), String(r.count)]
        : [r.name, r.phase, ms(r.self), ms(r.cum), (100 * r.share).toFixed(1) + ' %', String(r.count)];
      for (const c of cells) tr.appendChild(el('td', c));
      tr.firstChild.title = r.name;
      frag.appendChild(tr);
    }
    body.replaceChildren(frag);
    $('table-note').textContent = mode === 'agg'
      ? 'Medians across ' + data.aggregate.coldStarts + ' cold starts, of the cold starts that loaded the module.'
      : 'Entries with the same name and phase merged. Click a row to find it in the chart.';
  }

  document.querySelector('#hot thead').addEventListener('click', (e) => {
    const key = e.target.dataset && e.target.dataset.key;
    if (!key) return;
    sortDir = key === sortKey ? -sortDir : (key === 'name' || key === 'phase' ? 1 : -1);
    sortKey = key;
    renderTable();
  });
  document.querySelector('#hot tbody').addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (!tr) return;
    search.value = tr.dataset.name;
    applySearch();
    saveView();
    // Zoom to the parent of the biggest entry of that name, so it is seen in context.
    let best = -1;
    for (const n of nodes) if (n.name === tr.dataset.name && (best < 0 || n.cum > nodes[best].cum)) best = n.i;
    if (best >= 0) zoomTo(nodes[best].parent);
  });
  $('table-mode').addEventListener('change', () => { sortKey = 'self'; sortDir = -1; fillTable(); });

  function setup() {
    $('note').textContent = 'Bars are laid out in log order on a ' + data.note + '. Click to zoom, Esc to reset.';
    const picker = $('picker');
    data.coldStarts.forEach((c, i) => {
      const o = el('option', c.id + ' — ' + ms(c.totalUs));
      o.value = i;
      picker.appendChild(o);
    });
    picker.addEventListener('change', () => show(+picker.value));
    if (data.coldStarts.length > 1) $('picker-label').hidden = false;
    if (data.omitted > 0) {
      const o = el('option', '(' + data.omitted + ' faster cold starts not charted; the medians include them)');
      o.disabled = true;
      picker.appendChild(o);
    }
    if (data.aggregate) {
      const opt = el('option', 'medians of ' + data.aggregate.coldStarts + ' cold starts');
      opt.value = 'agg';
      $('table-mode').appendChild(opt);
      const med = $('medians');
      med.hidden = false;
      med.append(el('span', 'Across ' + data.aggregate.coldStarts + ' cold starts, median (p90):'));
      for (const [phase, median, p90, present] of data.aggregate.phases) {
        med.append(el('span', phase + ' ' + ms(median) + ' (' + ms(p90) + ', ' + present + ' with entries)'));
      }
    }
    if (data.warnings.length > 0) {
      const w = $('warnings');
      w.hidden = false;
      w.querySelector('summary').textContent = data.warnings.length + ' warnings while reading the logs';
      for (const x of data.warnings) w.querySelector('ul').appendChild(el('li', x.Where + ': ' + x.Message));
    }
    if (data.coldStarts.length > 0) {
      const view = readView(); // before show() rewrites the fragment
      show(0);
      restoreView(view);
    } else {
      $('facts').textContent = 'No cold start in the input.';
    }
  }

  // selfTest drives the page as a user would and writes the verdict to
  // <html data-selftest>, for the headless-browser test (page.html?selftest).
  function selfTest() {
    const fail = (msg) => { throw new Error(msg); };
    const restored = 'zoom=' + zoom + ' q=' + search.value;
    if (data.coldStarts.length === 0) {
      if (chart.querySelectorAll('.node').length !== 0) fail('nodes without a cold start');
      return 'pass: no cold start';
    }
    const counts = [];
    for (let c = 0; c < data.coldStarts.length; c++) {
      $('picker').value = c;
      $('picker').dispatchEvent(new Event('change'));
      const all = chart.querySelectorAll('.node').length;
      const imports = chart.querySelectorAll('.node:not(.phase)').length;
      if (all !== cs.nodes.length || imports !== cs.imports) fail('cold start ' + c + ': ' + all + ' elements for ' + cs.nodes.length + ' nodes, ' + imports + ' for ' + cs.imports + ' imports');
      counts.push(imports);
    }
    $('picker').value = 0;
    $('picker').dispatchEvent(new Event('change'));
    if (nodes.length === 0) return 'pass: empty';
    // Click the widest node that has children and is not a phase frame.
    let target = -1;
    for (const n of nodes) if (n.parent >= 0 && n.i + 1 < nodes.length && nodes[n.i + 1].parent === n.i && (target < 0 || n.dur > nodes[target].dur)) target = n.i;
    if (target < 0) target = 0;
    // Time a zoom including the style and layout work it causes (reading
    // offsetHeight forces both), after the initial render has settled.
    void chart.offsetHeight;
    let t0 = performance.now();
    els[target].dispatchEvent(new MouseEvent('click', { bubbles: true }));
    void chart.offsetHeight;
    const zoomMs = performance.now() - t0;
    if (zoom !== target) fail('click did not zoom');
    const crumbs = $('crumbs').querySelectorAll('button').length;
    if (crumbs !== nodes[target].depth + 2) fail('breadcrumb has ' + crumbs + ' entries, want ' + (nodes[target].depth + 2));
    const w = parseFloat(els[target].style.width);
    if (Math.abs(w - chart.clientWidth) > 2) fail('zoomed node is ' + w + 'px wide, chart ' + chart.clientWidth + 'px');
    $('crumbs').querySelector('button').click();
    if (zoom !== -1) fail('breadcrumb "all" did not zoom out');
    // Search for the deepest node's name.
    const deep = nodes.reduce((m, n) => (n.depth > m.depth ? n : m), nodes[0]);
    search.value = deep.name;
    void chart.offsetHeight;
    t0 = performance.now();
    const found = applySearch();
    void chart.offsetHeight;
    const searchMs = performance.now() - t0;
    if (found < 1 || !els[deep.i].classList.contains('match')) fail('search for ' + deep.name + ' found nothing');
    search.value = '';
    applySearch();
    // Clicking a finding that names modules highlights exactly those.
    const fi = (cs.findings || []).findIndex((f) => (f.modules || []).length > 0);
    if (fi >= 0) {
      $('findings').children[fi].click();
      const want = new Set(cs.findings[fi].modules);
      const lit = els.filter((e) => e.classList.contains('match')).length;
      const expect = nodes.filter((n) => want.has(n.name)).length;
      if (lit < 1 || lit !== expect) fail('finding highlighted ' + lit + ' nodes, want ' + expect);
      $('findings').children[fi].click();
      if (els.some((e) => e.classList.contains('match'))) fail('second click on a finding did not clear it');
    }
    // Sort the table by name, then check the order.
    const th = document.querySelector('#hot th[data-key=name]');
    th.click();
    const names = Array.from(document.querySelectorAll('#hot tbody tr')).map((tr) => tr.dataset.name);
    for (let i = 1; i < names.length; i++) if (names[i - 1].localeCompare(names[i]) > 0) fail('table not sorted by name');
    // The SVG export draws one rectangle per visible node, names as text.
    const svg = buildSVG();
    const visible = shown.filter((k) => k).length;
    const rects = svg.querySelectorAll('rect').length;
    if (rects !== visible) fail('SVG has ' + rects + ' rectangles for ' + visible + ' visible nodes');
    if (svg.querySelector('img, script, foreignObject')) fail('SVG contains markup from a name');
    if (document.body.dataset.pwned) fail('a name from the log ran as HTML');
    return 'pass: ' + counts.join(',') + ' imports; restored ' + restored +
      '; zoom ' + zoomMs.toFixed(1) + ' ms, search ' + searchMs.toFixed(1) + ' ms; svg ' + rects + ' rects';
  }

  const errors = [];
  window.addEventListener('error', (e) => errors.push(String(e.message)));
  const origError = console.error;
  console.error = function () { errors.push(Array.from(arguments).join(' ')); origError.apply(console, arguments); };

  let verdict;
  try { setup(); } catch (e) { verdict = 'fail: setup: ' + e.message; }
  if (/[?&]selftest\b/.test(location.search)) {
    try { verdict = verdict || selfTest(); } catch (e) { verdict = 'fail: ' + e.message; }
    if (errors.length > 0) verdict = 'fail: console: ' + errors.join('; ');
    document.documentElement.dataset.selftest = verdict;
  }
})();
