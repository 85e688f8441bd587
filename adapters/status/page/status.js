// The status page: polls /v1/status every 5 s with the bearer token from the URL fragment
// (#token=..., never sent to the server) or a prompt, kept in sessionStorage, and draws it.
// Each chart's canvas carries data-points (how many points it drew) and the numbers are written
// as text, so a headless browser's DOM shows what was rendered.
(function () {
  'use strict';
  const POLL_MS = 5000;
  const TOKEN_KEY = 'vetrina-status-token';
  const STAGES = ['requests', 'parsed', 'eligible', 'bid', 'won', 'billed'];
  const DAY_MS = 24 * 3600 * 1000;
  const charts = {};
  let updates = 0;
  let refused = false;  // after a refused token, ask again only on reload

  function token() {
    const match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (match) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
    let t = sessionStorage.getItem(TOKEN_KEY);
    if (!t && !refused) {
      t = window.prompt('Admin or advertiser token') || '';
      if (t) sessionStorage.setItem(TOKEN_KEY, t);
    }
    return t;
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fillTable(table, rows) {
    table.replaceChildren(...rows.map(([label, value, attrs]) => {
      const tr = el('tr');
      tr.append(el('td', {}, label), el('td', Object.assign({ class: 'num' }, attrs || {}), value));
      return tr;
    }));
  }

  // Creates the chart on first use, then swaps its data and options without animation.
  function draw(id, config, points) {
    const canvas = document.getElementById(id);
    const options = Object.assign({ animation: false, responsive: true,
                                    plugins: { legend: { display: config.legend !== false } } },
                                  config.options || {});
    let chart = charts[id];
    if (!chart) {
      chart = charts[id] = new Chart(canvas, { type: config.type, data: config.data, options });
    } else {
      chart.data = config.data;
      chart.options = options;
      chart.update('none');
    }
    canvas.dataset.points = String(points);
    return chart;
  }

  function countPoints(datasets) {
    return datasets.reduce((n, d) => n + d.data.length, 0);
  }

  function renderFunnel(s) {
    const f = s.funnel;
    fillTable(document.getElementById('funnel'),
              STAGES.map((stage) => [stage, String(f[stage]),
                                     { id: 'funnel-' + stage, 'data-value': String(f[stage]) }])
                  .concat([['bids (per imp)', String(f.bids), { id: 'funnel-bids' }]]));
    const data = STAGES.map((stage) => f[stage]);
    draw('chart-funnel', {
      type: 'bar', legend: false,
      data: { labels: STAGES, datasets: [{ label: 'count', data, backgroundColor: '#2563eb' }] },
      options: { indexAxis: 'y' },
    }, data.length);
    const reasons = Object.entries(f.no_bids);
    fillTable(document.getElementById('nobids'),
              reasons.map(([r, n]) => [r, String(n), { 'data-reason': r, 'data-value': String(n) }]));
    const shown = reasons.filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    draw('chart-nobids', {
      type: 'bar', legend: false,
      data: { labels: shown.map(([r]) => r),
              datasets: [{ label: 'no bids', data: shown.map(([, n]) => n), backgroundColor: '#d97706' }] },
      options: { indexAxis: 'y' },
    }, shown.length);
  }

  function renderLatency(s) {
    for (const q of ['p50', 'p99', 'p999']) {
      document.getElementById('latency-' + q).textContent = s.latency_ms[q].toFixed(3);
    }
    document.getElementById('latency-count').textContent =
        s.latency_ms.count + ' bid requests timed';
  }

  function renderThroughput(s) {
    const pts = s.throughput.points;
    const datasets = [
      { label: 'QPS', data: pts.map((p) => ({ x: p.t_ms, y: p.qps })), borderColor: '#2563eb',
        yAxisID: 'qps', pointRadius: 1 },
      { label: 'bid rate %', data: pts.map((p) => ({ x: p.t_ms, y: 100 * p.bid_rate })),
        borderColor: '#16a34a', yAxisID: 'rate', pointRadius: 1 },
    ];
    draw('chart-throughput', {
      type: 'line', data: { datasets },
      options: { parsing: false, scales: {
        x: { type: 'linear', suggestedMin: s.now_ms - 60 * 1000, suggestedMax: s.now_ms,
             ticks: { callback: (v) => new Date(v).toISOString().slice(11, 19) } },
        qps: { position: 'left', beginAtZero: true },
        rate: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false } } } },
    }, countPoints(datasets));
  }

  function renderPrivacy(s) {
    const rules = Object.entries(s.privacy);
    fillTable(document.getElementById('privacy'),
              rules.map(([r, n]) => [r, String(n), { 'data-rule': r, 'data-value': String(n) }]));
    draw('chart-privacy', {
      type: 'bar', legend: false,
      data: { labels: rules.map(([r]) => r),
              datasets: [{ label: 'restricted', data: rules.map(([, n]) => n), backgroundColor: '#7c3aed' }] },
    }, rules.length);
  }

  function age(seconds) {
    if (seconds === undefined) return 'never';
    if (seconds < 120) return seconds.toFixed(1) + ' s ago';
    if (seconds < 7200) return (seconds / 60).toFixed(1) + ' min ago';
    return (seconds / 3600).toFixed(1) + ' h ago';
  }

  function renderFreshness(s) {
    const table = document.getElementById('freshness');
    fillTable(table, Object.entries(s.freshness).map(([name, f]) => [name, age(f.age_s), {
      'data-name': name,
      class: 'num ' + (f.age_s === undefined ? 'fresh-never'
                       : f.age_s > 600 && name.startsWith('fleet') ? 'fresh-stale' : 'fresh-ok'),
    }]));
  }

  function renderFleet(s) {
    const section = document.getElementById('fleet-section');
    section.hidden = !s.fleet;
    if (!s.fleet) return;
    fillTable(document.getElementById('fleet'), Object.entries(s.fleet).map(([k, v]) => [k, String(v)]));
  }

  // Small spends (a CPM is a thousandth per impression) keep their cents' fractions.
  function money(v) {
    const n = Number(v);
    return '$' + (n !== 0 && Math.abs(n) < 1 ? n.toFixed(4) : n.toFixed(2));
  }

  function renderCampaigns(s) {
    const root = document.getElementById('campaigns');
    document.getElementById('campaign-count').textContent =
        '(' + s.campaigns.length + ' of ' + s.campaigns_total + ')';
    const seen = new Set();
    for (const c of s.campaigns) {
      const key = 'campaign-' + c.id;
      seen.add(key);
      let card = document.getElementById(key);
      if (!card) {
        card = el('div', { class: 'campaign', id: key, 'data-campaign-id': c.id });
        card.append(el('h3', {}, c.id), el('div', { class: 'facts' }), el('div', { class: 'charts' }));
        for (const kind of ['pacing', 'clearing']) {
          const box = el('div', { class: 'chart-box' });
          box.append(el('canvas', { id: key + '-' + kind, class: kind }));
          card.lastChild.append(box);
        }
        root.append(card);
      }
      card.querySelector('.facts').textContent =
          c.advertiser + ' · spend today ' + money(c.spend_today) +
          (Number(c.daily_budget) > 0 ? ' of ' + money(c.daily_budget) : '') +
          ' · bids ' + c.bids + ' · wins ' + c.wins +
          ' · win rate ' + (100 * c.win_rate).toFixed(1) + '%';
      card.dataset.winRate = String(c.win_rate);
      const pacing = [
        { label: 'planned', data: c.planned.map(([t, v]) => ({ x: t, y: Number(v) })),
          borderColor: '#9ca3af', borderDash: [4, 4], pointRadius: 0 },
        { label: 'actual', data: c.actual.map(([t, v]) => ({ x: t, y: Number(v) })),
          borderColor: '#2563eb', pointRadius: 2 },
      ];
      const dayStart = Math.floor(s.now_ms / DAY_MS) * DAY_MS;
      draw(key + '-pacing', {
        type: 'line', data: { datasets: pacing },
        options: { parsing: false, maintainAspectRatio: false, scales: {
          x: { type: 'linear', min: dayStart, max: dayStart + DAY_MS,
               ticks: { stepSize: 3 * 3600 * 1000,
                        callback: (v) => new Date(v).toISOString().slice(11, 16) } },
          y: { beginAtZero: true, title: { display: true, text: 'spend today, USD' } } } },
      }, countPoints(pacing));
      const bounds = s.clearing_cpm_bounds;
      const labels = bounds.map((b) => '≤' + b).concat(['>' + bounds[bounds.length - 1]]);
      const clearing = draw(key + '-clearing', {
        type: 'bar', legend: false,
        data: { labels, datasets: [{ label: 'wins by clearing CPM', data: c.clearing_cpm_wins,
                                      backgroundColor: '#16a34a' }] },
        options: { maintainAspectRatio: false,
                   scales: { x: { title: { display: true, text: 'wins by clearing CPM, USD' } },
                             y: { beginAtZero: true, ticks: { precision: 0 } } } },
      }, c.clearing_cpm_wins.length);
      clearing.canvas.dataset.wins = String(c.clearing_cpm_wins.reduce((a, b) => a + b, 0));
    }
    for (const card of Array.from(root.children)) {
      if (!seen.has(card.id)) {
        for (const id of [card.id + '-pacing', card.id + '-clearing']) {
          if (charts[id]) { charts[id].destroy(); delete charts[id]; }
        }
        card.remove();
      }
    }
  }

  function showError(text) {
    const e = document.getElementById('error');
    e.textContent = text;
    e.style.display = text ? 'block' : 'none';
  }

  async function poll() {
    const t = token();
    if (!t) { showError('No token: open this page as /#token=YOUR_TOKEN'); return; }
    try {
      const r = await fetch('/v1/status', { headers: { Authorization: 'Bearer ' + t },
                                            cache: 'no-store' });
      if (r.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        refused = true;
        showError('The token was refused: open this page as /#token=YOUR_TOKEN');
        return;
      }
      if (!r.ok) { showError('/v1/status answered ' + r.status); return; }
      const s = await r.json();
      showError('');
      document.getElementById('scope').textContent = s.scope + (s.ready ? ' · ready' : ' · loading');
      renderFunnel(s);
      renderLatency(s);
      renderThroughput(s);
      renderPrivacy(s);
      renderFreshness(s);
      renderFleet(s);
      renderCampaigns(s);
      updates += 1;
      document.body.dataset.updates = String(updates);
      document.body.dataset.state = 'rendered';
      document.getElementById('updated').textContent =
          'updated ' + new Date(s.now_ms).toISOString().slice(11, 19) + ' UTC';
    } catch (err) {
      showError('Could not reach /v1/status: ' + err);
    }
  }

  poll();
  setInterval(poll, POLL_MS);
})();
