// TokenOps dashboard: plain JS, no dependencies, no network beyond this gateway's /api/dashboard.
// Every number comes from the API (which reads the rollups); authorisation is enforced by the API, the UI only follows it.
'use strict';

const state = { me: null, filters: null };
const view = document.getElementById('view');

// ---------- helpers ----------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
function s(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : String(c));
  return el;
}

// Money arrives in nano-USD (integers); formatted with integer arithmetic, rounded half away from zero.
function usd(nanos) {
  if (nanos === null || nanos === undefined) return '–';
  const neg = nanos < 0; let n = Math.abs(nanos);
  const digits = n < 100e9 ? 4 : 2;
  const unit = Math.pow(10, 9 - digits);
  let scaled = Math.floor(n / unit) + ((n % unit) * 2 >= unit ? 1 : 0);
  const p = Math.pow(10, digits);
  const whole = Math.floor(scaled / p), frac = String(scaled % p).padStart(digits, '0');
  return (neg ? '-$' : '$') + whole.toLocaleString('en-US') + '.' + frac;
}
function axisUsd(nanos, max) {
  const d = max >= 100e9 ? 0 : max >= 1e9 ? 2 : 4;
  return '$' + (nanos / 1e9).toFixed(d);
}
function usdDecimal(d) { return d === null || d === undefined ? '–' : usd(Math.round(Number(d) * 1e9)); }
function num(n) { return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'); }
function pct(a, b) { return b > 0 ? Math.round(a * 1000 / b) / 10 + '%' : '–'; }
function period() { return document.getElementById('period').value; }

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || 'overview', arg: parts[1] || null, query: new URLSearchParams(query || '') };
}

async function api(path, params) {
  const q = new URLSearchParams(params || {});
  if (!q.has('period')) q.set('period', period());
  const res = await fetch('/api/dashboard' + path + '?' + q.toString(), { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  let body = null;
  try { body = await res.json(); } catch { body = null; }
  if (res.status === 401) { state.me = null; start().catch(fail); throw new Stop(); }
  return { status: res.status, body };
}
class Stop extends Error {}

function card(label, value, sub, testid) {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value', 'data-testid': testid }, value), sub ? h('div', { class: 'sub' }, sub) : null);
}
function panel(title, ...children) { return h('section', { class: 'panel' }, h('h2', {}, title), ...children); }
function notice(text, testid) { return h('div', { class: 'notice', 'data-testid': testid || 'notice' }, text); }

// ---------- charts (inline SVG) ----------
function seriesChart(points) {
  const W = 720, H = 220, L = 56, B = 24, T = 10;
  const max = Math.max(1, ...points.map(p => p.costNanos));
  const bw = (W - L - 8) / Math.max(1, points.length);
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Spend over time', 'data-testid': 'series-chart' });
  for (let i = 0; i <= 4; i++) {
    const y = T + (H - T - B) * (1 - i / 4);
    svg.append(s('line', { class: 'axis', x1: L, x2: W - 4, y1: y, y2: y }));
    svg.append(s('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' }, axisUsd(max * i / 4, max)));
  }
  points.forEach((p, i) => {
    const bh = (H - T - B) * p.costNanos / max;
    const r = s('rect', { class: 'bar', x: L + i * bw + 1, y: H - B - bh, width: Math.max(1, bw - 2), height: Math.max(0, bh) });
    r.append(s('title', {}, `${p.bucket}: ${usd(p.costNanos)} · ${num(p.requests)} requests`));
    svg.append(r);
  });
  const every = Math.max(1, Math.ceil(points.length / 8));
  points.forEach((p, i) => {
    if (i % every) return;
    svg.append(s('text', { x: L + i * bw + bw / 2, y: H - 6, 'text-anchor': 'middle' }, p.bucket.length > 10 ? p.bucket.slice(11) + 'h' : p.bucket.slice(5)));
  });
  return svg;
}
function barsChart(rows, label) {
  const top = rows.slice(0, 10);
  const W = 480, rowH = 24, L = 140, H = Math.max(1, top.length) * rowH + 6;
  const max = Math.max(1, ...top.map(r => r.costNanos));
  const svg = s('svg', { class: 'chart bars', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label });
  top.forEach((r, i) => {
    const y = 3 + i * rowH, bw = (W - L - 90) * r.costNanos / max;
    svg.append(s('text', { x: L - 6, y: y + 15, 'text-anchor': 'end' }, r.key.length > 20 ? r.key.slice(0, 19) + '…' : r.key));
    const bar = s('rect', { class: 'bar alt', x: L, y: y + 3, width: Math.max(1, bw), height: rowH - 8 });
    bar.append(s('title', {}, `${r.key}: ${usd(r.costNanos)}`));
    svg.append(bar);
    svg.append(s('text', { x: L + bw + 6, y: y + 15 }, usd(r.costNanos)));
  });
  return svg;
}

// ---------- tables ----------
function table(columns, rows, testid, rowClass) {
  return h('div', { class: 'table-wrap' }, h('table', { 'data-testid': testid },
    h('thead', {}, h('tr', {}, columns.map(c => h('th', { class: c.num ? 'num' : null }, c.title)))),
    h('tbody', {}, rows.map(r => h('tr', { class: rowClass ? rowClass(r) : null }, columns.map(c => h('td', { class: c.num ? 'num' : null, 'data-col': c.key || null }, c.render ? c.render(r) : r[c.key])))))));
}
function breakdown(title, rows, testid, link) {
  const total = rows.reduce((a, r) => a + r.costNanos, 0);
  const cols = [
    { title: title, key: 'key', render: r => link ? link(r.key) : r.key },
    { title: 'Spend', key: 'cost', num: true, render: r => usd(r.costNanos) },
    { title: 'Share', num: true, render: r => pct(r.costNanos, total) },
    { title: 'Requests', num: true, render: r => num(r.requests) },
    { title: 'Tokens in / out', num: true, render: r => num(r.inputTokens) + ' / ' + num(r.outputTokens) },
  ];
  if (!rows.length) return panel('By ' + title.toLowerCase(), h('p', { class: 'muted' }, 'No spend in this period.'));
  return panel('By ' + title.toLowerCase(), h('div', { class: 'split' }, barsChart(rows, 'Spend by ' + title), table(cols, rows, testid)));
}
function seriesPanel(series) {
  const nonEmpty = series.filter(p => p.requests > 0);
  return panel('Spend over time', h('div', { class: 'split' }, seriesChart(series),
    table([{ title: 'Bucket', key: 'bucket' }, { title: 'Spend', num: true, render: p => usd(p.costNanos) }, { title: 'Requests', num: true, render: p => num(p.requests) }],
      nonEmpty.slice().reverse(), 'series-table')));
}
function forecastCard(f) {
  const budget = f.budget;
  const sub = budget ? `budget ${usdDecimal(budget.limitUsd)} · ends ${String(f.periodEnd).slice(0, 10)}` : `no budget configured · ends ${String(f.periodEnd).slice(0, 10)}`;
  const over = budget && f.projectedNanos !== null && f.projectedNanos > Math.round(budget.limitUsd * 1e9);
  return card(over ? 'Forecast (over budget)' : 'Forecast to period end', usd(f.projectedNanos), sub, 'forecast');
}
function totalsCards(t, f) {
  return h('div', { class: 'cards' },
    card('Spend', usd(t.costNanos), `${num(t.requests)} requests`, 'total-cost'),
    card('Requests', num(t.requests), `${num(t.errorRequests)} failed`, 'total-requests'),
    card('Tokens', num(t.inputTokens + t.outputTokens), `${num(t.inputTokens)} in · ${num(t.outputTokens)} out`, 'total-tokens'),
    card('Cache hits', num(t.cacheHitRequests), `${pct(t.cacheHitRequests, t.requests)} of requests`, 'cache-hits'),
    f ? forecastCard(f) : null);
}
function personLink(name) {
  if (!state.me || !state.filters || !state.filters.people.includes(name)) return name;
  return h('a', { href: '#/person/' + encodeURIComponent(name) }, name);
}
function teamLink(name) {
  if (!state.filters || !state.filters.teams.includes(name)) return name;
  return h('a', { href: '#/team/' + encodeURIComponent(name) }, name);
}

// ---------- pages ----------
const pages = {
  async overview() {
    const { body } = await api('/overview');
    return [h('h1', {}, 'Organisation · ', body.period.label),
      totalsCards(body.totals, body.forecast),
      seriesPanel(body.series),
      breakdown('Team', body.byTeam, 'by-team', teamLink),
      breakdown('Project', body.byProject, 'by-project'),
      breakdown('Model', body.byModel, 'by-model'),
      breakdown('Provider', body.byProvider, 'by-provider')];
  },
  async team(name) {
    name = name || (state.me.team);
    if (!name) {
      return [h('h1', {}, 'Teams'), panel('Choose a team', h('ul', { 'data-testid': 'team-list' }, state.filters.teams.map(t => h('li', {}, teamLink(t)))))];
    }
    const { status, body } = await api('/team/' + encodeURIComponent(name));
    if (status !== 200) return [h('h1', {}, 'Team ' + name), notice(body && body.error ? body.error.message : 'Not available', 'forbidden')];
    return [h('h1', {}, 'Team ', h('span', { 'data-testid': 'team-name' }, body.team), ' · ', body.period.label),
      totalsCards(body.totals, body.forecast),
      seriesPanel(body.series),
      body.peopleHidden
        ? panel('By person', notice(`Per-person rows are visible to the team lead (your own row is on your page). ${body.peopleCount} people spent in this period.`, 'people-hidden'))
        : breakdown('Person', body.byPerson, 'by-person', personLink),
      breakdown('Project', body.byProject, 'by-project'),
      breakdown('Model', body.byModel, 'by-model')];
  },
  async person(name) {
    name = name || state.me.person;
    if (!name) {
      return [h('h1', {}, 'People'), panel('Choose a person', h('ul', { 'data-testid': 'person-list' }, state.filters.people.map(p => h('li', {}, personLink(p)))))];
    }
    const { status, body } = await api('/person/' + encodeURIComponent(name));
    if (status !== 200) return [h('h1', {}, name), notice(body && body.error ? body.error.message : 'Not available', 'forbidden')];
    const f = body.forecast;
    const remaining = f.budget ? usdDecimal(f.budget.remainingUsd) : '–';
    const outcomes = await feed('outcomes', { person: name });
    return [h('h1', {}, h('span', { 'data-testid': 'person-name' }, body.person), body.team ? h('span', { class: 'muted' }, ' · team ', teamLink(body.team)) : null, ' · ', body.period.label),
      totalsCards(body.totals, f),
      h('div', { class: 'cards' }, card('Remaining budget', remaining, f.budget ? `of ${usdDecimal(f.budget.limitUsd)}` : 'no personal budget', 'remaining'),
        card('Spent this budget period', usd(f.spentNanos), `since ${String(f.periodStart).slice(0, 10)}`, 'period-spent')),
      seriesPanel(body.series),
      breakdown('Model', body.byModel, 'by-model'),
      breakdown('Project', body.byProject, 'by-project'),
      breakdown('Feature', body.byFeature, 'by-feature'),
      panel('What the spend bought', outcomes)];
  },
  async budgets() {
    const { body } = await api('/budgets');
    const list = body.configured
      ? (body.budgets.length ? table([
          { title: 'Level', key: 'level' }, { title: 'Name', key: 'name' },
          { title: 'Spent', num: true, render: b => usdDecimal(b.spentUsd) }, { title: 'Limit', num: true, render: b => usdDecimal(b.limitUsd) },
          { title: 'Remaining', num: true, render: b => usdDecimal(b.remainingUsd) },
          { title: 'Used', render: b => meter(b.spentUsd + b.reservedUsd, b.limitUsd) },
          { title: 'Period', render: b => String(b.periodStart).slice(0, 10) + ' → ' + String(b.periodEnd).slice(0, 10) },
          { title: 'Kind', render: b => b.hard ? 'hard' : 'soft' }], body.budgets, 'budgets-table') : h('p', { class: 'muted' }, 'No budgets visible to you.'))
      : notice('Budgets are not configured on this gateway.', 'not-configured');
    return [h('h1', {}, 'Budgets & alerts'), panel('Budgets', list), panel('Alerts', await feed('alerts'))];
  },
  // Growth and LLMflation: the scope's monthly spend projected at 1x, 10x and 100x volume, prices falling per tier.
  async growth(_, query) {
    const params = { horizon: query.get('horizon') || '12m', decline: query.get('decline') || '10x/yr', growth: query.get('growth') || '10x' };
    const { status, body } = await api('/growth', params);
    if (status !== 200) return [h('h1', {}, 'Growth & LLMflation'), notice(body && body.error ? body.error.message : 'Not available', 'forbidden')];
    const scope = body.scope.person ? ' · ' + body.scope.person : body.scope.team ? ' · team ' + body.scope.team : ' · organisation';
    const d = body.declinePerYear;
    const last = body.months[body.months.length - 1];
    return [h('h1', {}, 'Growth & LLMflation', scope),
      h('p', { class: 'muted', 'data-testid': 'growth-assumptions' },
        `Today's monthly spend (last 30 days, ${String(body.baselineFrom).slice(0, 10)} → ${String(body.baselineTo).slice(0, 10)}) with volume growing to each multiple over ${body.horizonMonths} months; `
        + `prices per year: frontier ÷${d.frontier}, mid ÷${d.mid}, small ÷${d.small} (a new frontier model resets the price clock, so the frontier is held unless configured).`),
      h('div', { class: 'cards' },
        card('Today per month', usdDecimal(body.baselineMonthlyUsd), 'baseline', 'growth-baseline'),
        body.scenarios.map(x => card(`${x.growth}× volume, ${last}`, usdDecimal(x.monthlyUsd[x.monthlyUsd.length - 1]), `${usdDecimal(x.totalUsd)} over ${body.horizonMonths} months`, 'growth-final-' + x.growth))),
      panel('Monthly cost at 1×, 10× and 100× volume', growthChart(body)),
      panel(`By team at ${body.growth}× volume`, body.byTeam.length ? table([{ title: 'Team', render: t => t.team ? teamLink(t.team) : '(none)' },
        { title: 'Today per month', num: true, render: t => usdDecimal(t.baselineUsd) },
        { title: body.months[0], num: true, render: t => usdDecimal(t.monthlyUsd[0]) },
        { title: last, num: true, render: t => usdDecimal(t.monthlyUsd[t.monthlyUsd.length - 1]) }], body.byTeam, 'growth-by-team') : h('p', { class: 'muted' }, 'No spend in the last 30 days.')),
      panel(`By model at ${body.growth}× volume`, body.byModel.length ? table([{ title: 'Model', key: 'model' }, { title: 'Price tier', key: 'tier' },
        { title: 'Today per month', num: true, render: m => usdDecimal(m.baselineUsd) }, { title: last, num: true, render: m => usdDecimal(m.finalMonthUsd) }],
        body.byModel, 'growth-by-model') : null),
    ];
  },
  async poker() {
    const note = state.me.pokerAnonymised ? h('p', { class: 'muted' }, 'Players are shown anonymised, as the organisation chose.') : null;
    return [h('h1', {}, 'Token poker leaderboard'), panel('This week', note, await feed('poker'))];
  },
  async outcomes() {
    return [h('h1', {}, 'Cost per outcome'), panel('Outcomes', await feed('outcomes'))];
  },
  async requests(_, query) {
    const params = {};
    for (const k of ['person', 'team', 'project', 'model', 'status']) if (query.get(k)) params[k] = query.get(k);
    const form = filterForm(params);
    const body = h('div', {});
    const more = h('button', { type: 'button', 'data-testid': 'more' }, 'Load more');
    let cursor = null, shown = 0;
    const tbody = h('tbody', {});
    const cols = [['Started (UTC)', r => r.startedAt.slice(0, 19).replace('T', ' ')], ['Person', r => r.person || '–'], ['Team', r => r.team || '–'],
      ['Project', r => r.project || '–'], ['Model', r => r.servedModel || r.requestedModel || '–'], ['In', r => num(r.inputTokens), 1], ['Out', r => num(r.outputTokens), 1],
      ['Cost', r => usd(r.costNanos), 1], ['Status', r => r.status + ' ' + r.outcome], ['Latency ms', r => num(r.latencyMs), 1], ['Budget', r => r.budgetAction || '']];
    const count = h('p', { class: 'muted', 'data-testid': 'request-count' });
    async function load() {
      const q = Object.assign({}, params);
      if (cursor) q.cursor = cursor;
      const { status, body: page } = await api('/requests', q);
      if (status !== 200) { body.replaceChildren(notice(page && page.error ? page.error.message : 'Not available', 'forbidden')); return; }
      for (const r of page.rows) tbody.append(h('tr', { 'data-id': r.id }, cols.map(([, f, n]) => h('td', { class: n ? 'num' : null }, f(r)))));
      shown += page.rows.length;
      cursor = page.nextCursor;
      more.hidden = !cursor;
      count.textContent = `${shown} request${shown === 1 ? '' : 's'} shown${cursor ? ' (more available)' : ''}`;
    }
    more.addEventListener('click', () => load().catch(fail));
    body.append(count, h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'requests-table' },
      h('thead', {}, h('tr', {}, cols.map(([t, , n]) => h('th', { class: n ? 'num' : null }, t)))), tbody)), more);
    await load();
    return [h('h1', {}, 'Requests'), h('p', { class: 'muted' }, 'Attribution, model, tokens, cost and status of each request. Prompt and completion text are never stored.'), form, body];
  },
  async savings() {
    const { status, body } = await api('/savings');
    if (status !== 200) return [h('h1', {}, 'Savings'), notice(body && body.error ? body.error.message : 'Not available', 'forbidden')];
    const t = body.totals;
    const scope = body.scope.person ? ' · ' + body.scope.person : body.scope.team ? ' · team ' + body.scope.team : '';
    const leverCols = [
      { title: 'Lever', key: 'lever' },
      { title: 'Requests', key: 'requests', num: true, render: l => num(l.requests) },
      { title: 'Saved (est.)', key: 'saved', num: true, render: l => usd(l.savedNanos) },
      { title: 'Share', num: true, render: l => t.savedNanos > 0 ? pct(l.savedNanos, t.savedNanos) : '–' }];
    const groupCols = title => [
      { title, key: 'key' },
      { title: 'Requests', key: 'requests', num: true, render: r => num(r.requests) },
      { title: 'With a lever', key: 'levered', num: true, render: r => num(r.leveredRequests) },
      { title: 'Moved', key: 'moved', num: true, render: r => num(r.movedRequests) },
      { title: 'Cost', key: 'cost', num: true, render: r => usd(r.costNanos) },
      { title: 'As asked (est.)', key: 'asked', num: true, render: r => usd(r.asAskedNanos) },
      { title: 'Saved (est.)', key: 'saved', num: true, render: r => usd(r.savedNanos) }];
    const savedBars = rows => rows.map(r => ({ key: r.key || r.lever, costNanos: r.savedNanos }));
    return [h('h1', {}, 'Savings · ', body.period.label, scope),
      h('p', { class: 'muted', 'data-testid': 'estimate-note' }, body.estimate),
      h('div', { class: 'cards' },
        card('Saved (estimate)', usd(t.savedNanos), `${pct(t.savedNanos, t.asAskedNanos)} of as asked`, 'total-saved'),
        card('As asked (estimate)', usd(t.asAskedNanos), 'the same tokens, as the clients asked', 'as-asked'),
        card('Actual cost', usd(t.costNanos), `${num(t.requests)} requests · ${num(t.leveredRequests)} with a lever`, 'actual-cost'),
        card('Moved to cheaper models', pct(t.movedRequests, t.requests), `${num(t.movedRequests)} of ${num(t.requests)} requests (routed or degraded)`, 'moved-share')),
      panel('By lever', h('div', { class: 'split' },
        h('div', {}, barsChart(savedBars(body.byLever), 'Saved by lever'),
          h('p', { class: 'muted' }, 'As asked (estimate) against actual cost'),
          barsChart([{ key: 'As asked (est.)', costNanos: t.asAskedNanos }, { key: 'Actual', costNanos: t.costNanos }], 'As asked against actual')),
        table(leverCols, body.byLever, 'lever-table'))),
      panel('By team', body.byTeam.length ? h('div', { class: 'split' }, barsChart(savedBars(body.byTeam), 'Saved by team'), table(groupCols('Team'), body.byTeam, 'savings-by-team'))
        : h('p', { class: 'muted' }, 'No requests in this period.')),
      panel('By model (served)', body.byModel.length ? table(groupCols('Model'), body.byModel, 'savings-by-model') : h('p', { class: 'muted' }, 'No requests in this period.')),
      panel('Provider prompt caching', h('p', { class: 'muted' }, 'Cache reads priced at the uncached input rate, whoever marked the prefix; not added to the levers (TokenOps\' own breakpoints are the cache-breakpoint lever).'),
        h('div', { class: 'cards' },
          card('Cache hits', num(body.cacheHitRequests), `${pct(body.cacheHitRequests, t.requests)} of ${num(t.requests)} requests`, 'savings-cache-hits'),
          card('Saved by caching', usd(body.cacheSavedNanos), `${num(body.cacheReadTokens)} cached input tokens`, 'cache-saved')),
        body.cacheByModel.length ? table([{ title: 'Model', key: 'model' }, { title: 'Cache hits', num: true, render: c => num(c.cacheHitRequests) },
          { title: 'Cached tokens', num: true, render: c => num(c.cacheReadTokens) }, { title: 'Paid', num: true, render: c => usd(c.paidNanos) },
          { title: 'Uncached price', num: true, render: c => usd(c.uncachedNanos) }, { title: 'Saved', num: true, render: c => usd(c.savedNanos) }], body.cacheByModel, 'cache-table')
        : h('p', { class: 'muted' }, 'No cache hits in this period.'))];
  },
  // The audit trail (admins and finance): every change, who made it, from where, before and after; the chain's state.
  async audit(_, query) {
    const action = query.get('action') || '';
    const { status, body } = await api('/audit' + (action ? '?action=' + encodeURIComponent(action) : ''));
    if (status !== 200) return [h('h1', {}, 'Audit'), notice(body && body.error ? body.error.message : 'Not available', 'forbidden')];
    const cols = [
      { title: '#', key: 'seq', num: true, render: e => String(e.seq) },
      { title: 'When (UTC)', key: 'at', render: e => e.at.replace('T', ' ').slice(0, 19) },
      { title: 'Who', key: 'actor', render: e => e.actor },
      { title: 'From', key: 'origin', render: e => e.origin },
      { title: 'Action', key: 'action', render: e => e.action },
      { title: 'On', key: 'subject', render: e => e.subject },
      { title: 'Before', key: 'before', render: e => e.before || '–' },
      { title: 'After', key: 'after', render: e => e.after || '–' },
    ];
    const chain = body.chain === 'verified'
      ? h('p', { class: 'muted', 'data-testid': 'audit-chain' }, `Chain verified: ${num(body.total)} entries, head ${body.head ? body.head.slice(0, 12) : '–'}.`)
      : h('p', { class: 'error', 'data-testid': 'audit-chain' }, `Chain broken at entry ${body.brokenAt}: ${body.brokenReason}`);
    return [h('h1', {}, 'Audit trail'), chain,
      panel('Changes, newest first', body.entries.length ? table(cols, body.entries, 'audit-entries') : h('p', { class: 'muted' }, 'No changes recorded yet.'))];
  },

  // Waste findings (the API scopes them: own, team, all): who, the dollars and how they were worked out, the rows, the fix.
  async waste(_, query) {
    const { status, body } = await api('/waste');
    if (status !== 200) return [h('h1', {}, 'Waste'), notice(body && body.error ? body.error.message : 'Not available', 'forbidden')];
    const only = query.get('detector') || '';
    const shown = only ? body.findings.filter(f => f.detector === only) : body.findings;
    const filter = h('select', { 'data-testid': 'waste-detector', onchange: e => { location.hash = '#/waste' + (e.target.value ? '?detector=' + encodeURIComponent(e.target.value) : ''); } },
      h('option', { value: '' }, 'All detectors'),
      body.byDetector.map(d => h('option', { value: d.detector, selected: d.detector === only }, `${d.detector} (${d.findings})`)));
    const cols = [
      { title: 'Detector', key: 'detector' },
      { title: 'Person', key: 'person', render: f => f.person || '–' },
      { title: 'Team', key: 'team', render: f => f.team || '–' },
      { title: 'Wasted', key: 'wasted', num: true, render: f => usdDecimal(f.wasted_usd) },
      { title: 'Rows', key: 'rows', num: true, render: f => num(f.rowCount) },
      { title: 'How', key: 'formula', render: f => h('span', { class: 'muted' }, f.formula) },
      { title: 'Fix', key: 'fix' }];
    return [h('h1', {}, 'Waste · ', body.period.label, ' · ', body.scope),
      h('div', { class: 'cards' },
        card('Wasted (period)', usdDecimal(only ? shown.reduce((a, f) => a + Number(f.wasted_usd), 0) : body.totalUsd), `${num(shown.length)} finding(s)`, 'waste-total')),
      h('label', {}, 'Detector ', filter),
      panel('Findings', shown.length ? table(cols, shown, 'waste-findings') : h('p', { class: 'muted', 'data-testid': 'waste-none' }, 'No waste found in this period.'))];
  },
};

function meter(used, limit) {
  const ratio = limit > 0 ? used / limit : 0;
  const m = h('div', { class: 'meter' + (ratio >= 1 ? ' over' : ratio >= 0.8 ? ' warn' : ''), title: pct(used, limit) });
  const bar = h('span', {});
  bar.style.width = Math.min(100, Math.round(ratio * 100)) + '%';
  m.append(bar);
  return m;
}

function filterForm(params) {
  const f = state.filters;
  const sel = (name, values) => h('label', {}, name,
    h('select', { name, 'data-testid': 'filter-' + name }, h('option', { value: '' }, 'any'), values.map(v => h('option', { value: v, selected: params[name] === v }, v))));
  const form = h('form', { class: 'filters', 'data-testid': 'filters' },
    sel('person', f.people), sel('team', f.teams), sel('project', f.projects), sel('model', f.models), sel('status', f.statuses),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'apply' }, 'Apply'));
  form.addEventListener('submit', e => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const el of form.querySelectorAll('select')) if (el.value) q.set(el.name, el.value);
    location.hash = '#/requests' + (q.toString() ? '?' + q.toString() : '');
  });
  return form;
}

// A page owned by another part of TokenOps: any JSON it returns is shown as tables; 404 means not configured.
async function feed(name, params) {
  const { status, body } = await api('/feed/' + name, params);
  if (status === 404 || body === null || body.configured === false) return notice(`${name === 'poker' ? 'Token poker' : name === 'alerts' ? 'Alerts' : 'Outcomes'} not configured on this gateway.`, 'not-configured');
  if (status !== 200) return notice(body && body.error ? body.error.message : 'Not available', 'forbidden');
  return (feedViews[name] || renderAny)(body, name);
}

// ---------- feed pages (poker, outcomes, alerts) ----------
const nanos = d => d === null || d === undefined ? 0 : Math.round(Number(d) * 1e9);
const day = t => t ? String(t).slice(0, 10) : '–';
const share = x => x === null || x === undefined ? '–' : Math.round(Number(x) * 1000) / 10 + '%';
function countChart(rows, label, testid) {
  // Vertical bars of counts (the cost-per-outcome distribution).
  const W = 480, H = 200, L = 36, B = 34, T = 8;
  const max = Math.max(1, ...rows.map(r => r.count));
  const bw = (W - L - 6) / Math.max(1, rows.length);
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, 'data-testid': testid });
  for (let i = 0; i <= 2; i++) {
    const y = T + (H - T - B) * (1 - i / 2), v = max * i / 2;
    svg.append(s('line', { class: 'axis', x1: L, x2: W - 4, y1: y, y2: y }));
    if (Number.isInteger(v)) svg.append(s('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' }, String(v)));
  }
  rows.forEach((r, i) => {
    const bh = (H - T - B) * r.count / max;
    const bar = s('rect', { class: 'bar', x: L + i * bw + 2, y: H - B - bh, width: Math.max(1, bw - 4), height: Math.max(0, bh) });
    bar.append(s('title', {}, `${r.label}: ${r.count}`));
    svg.append(bar);
    svg.append(s('text', { x: L + i * bw + bw / 2, y: H - 18, 'text-anchor': 'middle' }, r.label));
  });
  return svg;
}
// Monthly totals of each growth scenario on a log scale (1x and 100x differ by two orders of magnitude).
function growthChart(body) {
  const W = 900, H = 300, L = 72, R = 90, T = 12, B = 26;
  const all = body.scenarios.flatMap(x => x.monthlyUsd).filter(v => v > 0);
  const svg = s('svg', { class: 'chart growth-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Monthly cost at each growth multiple', 'data-testid': 'growth-chart' });
  if (!all.length) { svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'No spend in the last 30 days.')); return svg; }
  const lo = Math.floor(Math.log10(Math.min(...all))), hi = Math.ceil(Math.log10(Math.max(...all)));
  const span = Math.max(1, hi - lo), n = body.months.length;
  const x = i => L + (n === 1 ? 0 : i * (W - L - R) / (n - 1));
  const y = v => T + (H - T - B) * (1 - (Math.log10(Math.max(v, Math.pow(10, lo))) - lo) / span);
  for (let e = lo; e <= hi; e++) {
    svg.append(s('line', { class: 'axis', x1: L, x2: W - R, y1: y(Math.pow(10, e)), y2: y(Math.pow(10, e)) }));
    svg.append(s('text', { x: L - 6, y: y(Math.pow(10, e)) + 4, 'text-anchor': 'end' }, '$' + (e >= 0 ? Math.pow(10, e).toLocaleString('en-US') : Math.pow(10, e).toFixed(-e))));
  }
  body.months.forEach((m, i) => { if (i % Math.ceil(n / 12) === 0 || i === n - 1) svg.append(s('text', { x: x(i), y: H - 6, 'text-anchor': 'middle' }, m)); });
  body.scenarios.forEach((sc, k) => {
    const pts = sc.monthlyUsd.map((v, i) => `${x(i)},${y(v)}`).join(' ');
    svg.append(s('polyline', { class: 'growth-line g' + k, points: pts, 'data-growth': sc.growth }));
    svg.append(s('text', { x: W - R + 6, y: y(sc.monthlyUsd[sc.monthlyUsd.length - 1]) + 4 }, `${sc.growth}× ${usdDecimal(sc.monthlyUsd[sc.monthlyUsd.length - 1])}`));
  });
  return svg;
}
function bandChart(forecasts) {
  // Per budget, on its own scale (a $0.05 budget beside a $50 one stays readable): committed so far (solid),
  // projected band at period end (light), the limit (red line).
  const W = 860, rowH = 30, L = 160, R = 200, H = Math.max(1, forecasts.length) * rowH + 8;
  const svg = s('svg', { class: 'chart band-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Forecast to period end against budget', 'data-testid': 'forecast-chart' });
  forecasts.forEach((f, i) => {
    const max = Math.max(1e-9, f.limitUsd, f.projectedHighUsd, f.committedUsd) * 1.05;
    const x = v => L + (W - L - R) * Math.max(0, v) / max;
    const y = 4 + i * rowH;
    svg.append(s('text', { x: L - 8, y: y + 17, 'text-anchor': 'end' }, `${f.level} ${f.name}`.slice(0, 24)));
    svg.append(s('rect', { class: 'track', x: L, y: y + 4, width: W - L - R, height: rowH - 10 }));
    const band = s('rect', { class: 'bar band', x: x(f.projectedLowUsd), y: y + 4, width: Math.max(1, x(f.projectedHighUsd) - x(f.projectedLowUsd)), height: rowH - 10 });
    band.append(s('title', {}, `projected ${usdDecimal(f.projectedLowUsd)} – ${usdDecimal(f.projectedHighUsd)} (mid ${usdDecimal(f.projectedUsd)})`));
    svg.append(band);
    const spent = s('rect', { class: 'bar' + (f.runsOutBeforePeriodEnd ? ' over' : ''), x: L, y: y + 9, width: Math.max(1, x(f.committedUsd) - L), height: rowH - 20 });
    spent.append(s('title', {}, `spent ${usdDecimal(f.committedUsd)}`));
    svg.append(spent);
    svg.append(s('line', { class: 'mid', x1: x(f.projectedUsd), x2: x(f.projectedUsd), y1: y + 4, y2: y + rowH - 6 }));
    svg.append(s('line', { class: 'limit', x1: x(f.limitUsd), x2: x(f.limitUsd), y1: y + 1, y2: y + rowH - 3 }));
    svg.append(s('text', { x: W - R + 8, y: y + 17 }, usdDecimal(f.projectedUsd) + ' of ' + usdDecimal(f.limitUsd)));
  });
  return svg;
}
const feedViews = {
  poker(b) {
    const players = b.players || [];
    const cols = [{ title: 'Rank', key: 'rank', num: true }, { title: 'Player', render: p => p.you ? h('strong', {}, p.player + ' (you)') : p.player },
      b.anonymised ? null : { title: 'Team', render: p => p.team || '–' }, { title: 'Hand', num: true, render: p => usdDecimal(p.hand_usd) },
      { title: 'Spent', num: true, render: p => usdDecimal(p.spent_usd) }, { title: 'Left', num: true, render: p => usdDecimal(p.left_usd) },
      { title: 'Requests', num: true, render: p => num(p.requests) }, { title: 'Score', num: true, render: p => String(p.score) },
      { title: 'Winner', render: p => p.winner ? '★' : '' }].filter(Boolean);
    return h('div', {},
      h('div', { class: 'cards' }, card('Week', day(b.week_start) + ' → ' + day(b.week_end), b.anonymised ? 'anonymised' : 'named', 'poker-week'),
        card('Players', num(players.length), 'scoring: ' + b.scoring, 'poker-players')),
      h('p', { class: 'muted' }, b.explanation),
      players.length ? h('div', { class: 'split' }, barsChart(players.map(p => ({ key: (p.you ? '▶ ' : '') + p.player, costNanos: nanos(p.spent_usd) })), 'Spent per player'),
        table(cols, players, 'poker-table', p => p.you ? 'you' : null)) : h('p', { class: 'muted' }, 'Nobody has played this week yet.'));
  },
  outcomes(b) {
    const rowCols = [{ title: 'Completed', render: o => day(o.completedAt) }, { title: 'Type', key: 'type' }, { title: 'Title', render: o => o.title || o.id },
      { title: 'Person', render: o => o.person ? personLink(o.person) : '–' }, { title: 'Team', render: o => o.team || '–' },
      { title: 'Cost', num: true, render: o => usdDecimal(o.costUsd) }, { title: 'Value', num: true, render: o => usdDecimal(o.valueUsd) }];
    if (b.person) {
      return h('div', {}, h('div', { class: 'cards' }, card('Outcomes', num(b.outcomes), b.period.label, 'person-outcomes'),
        card('Linked cost', usdDecimal(b.linkedCostUsd), 'median ' + usdDecimal(b.costPerOutcome.medianUsd) + ' per outcome', 'person-outcome-cost'),
        card('Value', usdDecimal(b.valueUsd), 'stated or time saved')),
        b.rows.length ? table(rowCols, b.rows, 'person-outcomes-table') : h('p', { class: 'muted' }, 'No outcomes linked to this person in the period.'));
    }
    const m = b.summary;
    return h('div', {},
      h('p', { class: 'muted', 'data-testid': 'outcomes-scope' }, 'Scope: ' + b.scope + ' · ' + b.period.label),
      h('div', { class: 'cards' },
        card('Outcomes', num(m.outcomes), 'completed in the period', 'outcomes-count'),
        card('Median cost', usdDecimal(m.medianUsd), 'p90 ' + usdDecimal(m.p90Usd), 'outcomes-median'),
        card('All-in per outcome', usdDecimal(m.allInCostPerOutcomeUsd), m.allInFormula, 'outcomes-allin'),
        card('Unlinked spend', share(m.unlinkedShare), usdDecimal(m.unlinkedUsd) + ' of ' + usdDecimal(m.spendUsd), 'outcomes-unlinked'),
        card('ROI', m.roi === null || m.roi === undefined ? '–' : (Math.round(m.roi * 100) / 100) + '×', 'value ' + usdDecimal(m.valueUsd), 'outcomes-roi')),
      h('p', { class: 'muted formula', 'data-testid': 'roi-formula' }, 'ROI: ' + m.roiFormula),
      panel('Cost per outcome by type', b.byType.length ? h('div', { class: 'split' },
        countChart(b.distribution.map(d => ({ label: '≤' + usdDecimal(d.toUsd), count: d.count })), 'Outcomes per cost band', 'outcome-distribution'),
        table([{ title: 'Type', key: 'type' }, { title: 'Count', num: true, render: t => num(t.count) }, { title: 'Median', num: true, render: t => usdDecimal(t.medianUsd) },
          { title: 'p90', num: true, render: t => usdDecimal(t.p90Usd) }, { title: 'Mean', num: true, render: t => usdDecimal(t.meanUsd) },
          { title: 'Total', num: true, render: t => usdDecimal(t.totalUsd) }], b.byType, 'outcomes-by-type'))
        : h('p', { class: 'muted' }, 'No outcomes completed in this period.')),
      b.byTeam.length ? panel('By team', table([{ title: 'Team', render: g => teamLink(g.team) }, { title: 'Outcomes', num: true, render: g => num(g.outcomes) },
        { title: 'Median', num: true, render: g => usdDecimal(g.medianUsd) }, { title: 'p90', num: true, render: g => usdDecimal(g.p90Usd) },
        { title: 'Spend', num: true, render: g => usdDecimal(g.spendUsd) }, { title: 'Unlinked', num: true, render: g => share(g.unlinkedShare) },
        { title: 'ROI', num: true, render: g => g.roi === null ? '–' : String(Math.round(g.roi * 100) / 100) }], b.byTeam, 'outcomes-by-team')) : null,
      panel('Outcomes', b.rows.length ? table(rowCols, b.rows, 'outcomes-table') : h('p', { class: 'muted' }, 'No outcomes visible to you in this period.'),
        b.rowsHidden ? h('p', { class: 'muted', 'data-testid': 'outcomes-hidden' }, `${b.rowsHidden} other people's outcomes are not shown.`) : null));
  },
  alerts(b) {
    const fc = b.forecasts;
    return h('div', {},
      fc.length ? h('div', {}, h('h2', {}, 'Forecast to period end'),
        h('p', { class: 'muted' }, 'Each budget on its own scale: spent so far (solid), projected at period end with its band (light, mid mark), limit (red line).'), bandChart(fc),
        table([{ title: 'Budget', render: f => f.level + ' ' + f.name }, { title: 'Spent', num: true, render: f => usdDecimal(f.committedUsd) },
          { title: 'Projected (low – high)', num: true, render: f => usdDecimal(f.projectedUsd) + ' (' + usdDecimal(f.projectedLowUsd) + ' – ' + usdDecimal(f.projectedHighUsd) + ')' },
          { title: 'Limit', num: true, render: f => usdDecimal(f.limitUsd) }, { title: 'Per day', num: true, render: f => usdDecimal(f.burnRateUsdPerDay) },
          { title: 'Runs out', render: f => f.runOut ? day(f.runOut) + (f.runsOutBeforePeriodEnd ? ' (before period end)' : '') : 'not this period' },
          { title: 'Period ends', render: f => day(f.periodEnd) }], fc, 'forecasts-table', f => f.runsOutBeforePeriodEnd ? 'over' : null))
        : h('p', { class: 'muted' }, 'No budgets visible to you.'),
      h('h2', { class: 'spaced' }, 'Alerts raised · ' + b.period.label),
      b.alerts.length ? table([{ title: 'When (UTC)', render: a => String(a.createdAt).slice(0, 16).replace('T', ' ') }, { title: 'Kind', key: 'kind' },
        { title: 'Budget', render: a => a.level + ' ' + a.name }, { title: 'Spent', num: true, render: a => usdDecimal(a.spentUsd) },
        { title: 'Limit', num: true, render: a => usdDecimal(a.limitUsd) }, { title: 'Message', key: 'message' }], b.alerts, 'alerts-table')
        : h('p', { class: 'muted', 'data-testid': 'no-alerts' }, 'No alerts in this period.'));
  },
};
function renderAny(data, testid) {
  if (Array.isArray(data)) {
    if (!data.length) return h('p', { class: 'muted' }, 'Nothing yet.');
    if (typeof data[0] !== 'object' || data[0] === null) return h('ul', {}, data.map(x => h('li', {}, String(x))));
    const keys = Object.keys(data[0]);
    return table(keys.map(k => ({ title: k, key: k, num: typeof data[0][k] === 'number', render: r => fmt(k, r[k]) })), data, testid);
  }
  if (data && typeof data === 'object') {
    const scalars = Object.entries(data).filter(([, v]) => v === null || typeof v !== 'object');
    const nested = Object.entries(data).filter(([, v]) => v !== null && typeof v === 'object');
    return h('div', {}, scalars.length ? h('div', { class: 'cards' }, scalars.map(([k, v]) => card(k, fmt(k, v)))) : null,
      nested.map(([k, v]) => h('div', {}, h('h2', {}, k), renderAny(v, testid + '-' + k))));
  }
  return h('p', {}, String(data));
}
function fmt(key, v) {
  if (typeof v === 'number' && /nanos$/i.test(key)) return usd(v);
  if (typeof v === 'number' && /usd$/i.test(key)) return usdDecimal(v);
  if (typeof v === 'number') return num(v);
  if (v && typeof v === 'object') return JSON.stringify(v);
  return v === null || v === undefined ? '–' : String(v);
}

// ---------- shell ----------
function showSignIn(me) {
  document.getElementById('top').hidden = true;
  view.replaceChildren();
  document.getElementById('signin').hidden = false;
  // Single sign-on, when configured: a link that starts the provider's sign-in; a refusal comes back as ?sso_error=.
  const sso = me && me.sso;
  document.getElementById('signin-sso').hidden = !sso;
  if (sso) {
    const link = document.getElementById('signin-sso-link');
    link.href = sso.url;
    link.textContent = 'Sign in with ' + sso.name;
  }
  const error = new URLSearchParams(location.search).get('sso_error');
  if (error) document.getElementById('signin-error').textContent = error;
  document.getElementById('signin-key').focus();
}

function fail(err) {
  if (err instanceof Stop) return;
  view.replaceChildren(notice('Could not load this page: ' + err.message, 'load-error'));
  console.warn(err);
}

let renderSeq = 0;
async function render() {
  if (!state.me) return;
  const { page, arg, query } = parseHash();
  const seq = ++renderSeq;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === page);
  const fn = pages[page] || pages.overview;
  view.setAttribute('aria-busy', 'true');
  try {
    const { body } = await api('/filters');
    state.filters = body;
    const content = await fn(arg, query);
    if (seq !== renderSeq) return;
    view.replaceChildren(...content.filter(Boolean));
    view.dataset.page = page;
  } catch (err) {
    fail(err);
  } finally {
    if (seq === renderSeq) {
      view.setAttribute('aria-busy', 'false');
      // Which view and period are on screen (lets tests and scripts wait for a finished render).
      view.dataset.rendered = location.hash + '|' + period();
    }
  }
}

async function start() {
  const res = await fetch('/api/dashboard/me', { credentials: 'same-origin' });
  const me = res.status === 200 ? await res.json() : null;
  if (!me || !me.signedIn) { showSignIn(me); return; }
  state.me = me;
  document.getElementById('signin').hidden = true;
  document.getElementById('top').hidden = false;
  const readsAll = me.role === 'admin' || me.role === 'finance';
  document.getElementById('nav-audit').hidden = !readsAll;
  const who = readsAll ? (me.person ? `${me.person} · ${me.role}` : me.role)
    : `${state.me.person} · ${state.me.team} · ${state.me.role === 'lead' ? 'team lead' : 'developer'}`;
  document.getElementById('who').textContent = who;
  await render();
}

document.getElementById('signin-form').addEventListener('submit', async e => {
  e.preventDefault();
  const key = document.getElementById('signin-key').value;
  const res = await fetch('/api/dashboard/session', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ key }) });
  if (res.status !== 200) {
    document.getElementById('signin-error').textContent = 'That key was not accepted.';
    return;
  }
  document.getElementById('signin-key').value = '';
  document.getElementById('signin-error').textContent = '';
  await start();
});
document.getElementById('signout').addEventListener('click', async () => {
  await fetch('/api/dashboard/session', { method: 'DELETE', credentials: 'same-origin' });
  state.me = null;
  showSignIn(null);
});
document.getElementById('period').addEventListener('change', () => render());
window.addEventListener('hashchange', () => render());
start().catch(fail);
