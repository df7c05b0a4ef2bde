// Ranking models (admin): the versions with their shadow evaluation next to the ranker active when they were
// trained, the report, promote (through the gate), rollback, calibrate now, and the exploration rate.

import { api, headers, tenantPath } from './api.js';
import { badge, card, facts, h, note, num, put, table, time } from './dom.js';

const f4 = x => (x === null || x === undefined ? '–' : Number(x).toFixed(4));

export function rankingCard(ctx) {
  const summary = h('div');
  const versions = h('div', { id: 'ranking-models' });
  const report = h('div', { id: 'ranking-report' });
  const history = h('div');
  const status = note();
  const calibrate = h('button', { type: 'button', text: 'Calibrate now' });
  const rate = h('input', { type: 'number', min: '0', max: '0.5', step: '0.01', name: 'exploration', 'aria-label': 'Exploration rate' });
  const setRate = h('button', { type: 'submit', text: 'Set exploration' });
  const exploration = h('form', { class: 'inline' }, h('label', { class: 'field' }, h('span', { text: 'Exploration rate (0 to 0.5)' }), rate), setRate);
  const el = card('Ranking models', summary, h('div', { class: 'actions' }, calibrate), exploration, status, versions, report, history);
  el.id = 'ranking';

  const act = async (button, what, call) => {
    button.disabled = true;
    try {
      const r = await call();
      status.say(what(r), 'good');
      ctx.reload();
    } catch (e) {
      status.say(`${e.status ? `${e.status}: ` : ''}${e.message}`, 'bad');
    } finally {
      button.disabled = false;
    }
  };

  calibrate.addEventListener('click', () => act(calibrate, r => `Trained ${r.version}: the gate ${r.gate.passed ? 'passed' : 'failed'}.`,
    () => api(tenantPath('ranking', 'calibrate'), { method: 'POST' })));
  exploration.addEventListener('submit', event => {
    event.preventDefault();
    act(setRate, r => `Exploration ${r.rate}.`, () => api(tenantPath('ranking', 'exploration'), { method: 'PUT', body: { rate: Number(rate.value) } }));
  });

  let last = '';
  let rateFilled = false;

  async function refresh() {
    const models = await api(tenantPath('ranking', 'models'));
    const key = JSON.stringify(models);
    if (key === last) return;
    last = key;
    if (!rateFilled) {
      rateFilled = true;
      rate.value = String(models.explorationRate);
    }
    put(summary, facts([
      ['Active', h('code', { id: 'ranking-active', text: models.active })],
      ['Exploration', String(models.explorationRate)],
      ['Last nightly run', models.lastNight],
    ]));
    put(versions, models.items.length === 0
      ? h('p', { class: 'muted', text: 'No model trained yet: the queue is ordered by the engine\'s confidence (the prior).' })
      : table(['Version', 'Status', 'Gate', 'precision@1 (cand. / active)', 'NDCG', 'Brier', 'Trained', ''], models.items.map(v => {
        const e = v.evaluation;
        const m = (c, a) => `${f4(c)} / ${f4(a)}`;
        const buttons = h('div', { class: 'actions' },
          !v.active
            ? h('button', { type: 'button', class: 'primary', 'data-action': 'promote', 'data-version': v.version, onclick: event => act(event.target, r => `${r.version} is active.`, () => api(v.links.promote, { method: 'POST' })) }, 'Promote')
            : null,
          v.active
            ? h('button', { type: 'button', 'data-action': 'rollback', 'data-version': v.version, onclick: event => act(event.target, r => `Rolled back: ${r.version} is no longer active.`, () => api(v.links.rollback, { method: 'POST' })) }, 'Roll back')
            : null,
          h('button', { type: 'button', class: 'quiet', 'data-action': 'report', onclick: () => showReport(v) }, 'Report'),
          h('button', { type: 'button', class: 'quiet', onclick: event => download(event.target, v) }, 'Report (HTML)'));
        return [
          h('code', { text: v.version }), v.active ? badge('ACTIVE', 'good') : badge(v.status.toLowerCase()),
          v.gate.passed ? badge('passed', 'good') : badge('failed', 'bad'),
          m(e.candidateMetrics.precisionAt1, e.activeMetrics.precisionAt1), m(e.candidateMetrics.ndcg, e.activeMetrics.ndcg),
          m(e.candidateMetrics.brier, e.activeMetrics.brier), time(v.createdAt), buttons,
        ];
      })));
    put(history, models.history.length === 0 ? null : h('details', {}, h('summary', { text: `Changes (${models.history.length})` }),
      h('ul', { class: 'plain' }, models.history.map(c => h('li', { text: `${time(c.at)} · ${c.change} ${c.from} → ${c.to} by ${c.actor}` })))));
  }

  /** The evaluation report, built from its JSON: the gate's verdict and reasons, the metrics, each type's calibration. */
  function showReport(v) {
    const e = v.evaluation;
    const row = (name, key) => [name, f4(e.candidateMetrics[key]), f4(e.activeMetrics[key])];
    put(report, h('section', { class: 'report' },
      h('h3', { text: `Report of ${v.version}` }),
      h('p', { class: v.gate.passed ? 'note good' : 'note bad', text: v.gate.passed ? 'The gate passed.' : 'The gate failed.' }),
      h('ul', { class: 'plain' }, v.gate.reasons.map(r => h('li', { text: r }))),
      facts([['Training outcomes', num(e.trainExamples)], ['Held out', `${num(e.holdoutExamples)} outcomes in ${num(e.holdoutSlates)} decisions`], ['Evaluated against', e.active]]),
      table(['Metric', `${e.candidate} (candidate)`, `${e.active} (active)`], [
        row('precision@1', 'precisionAt1'), row('NDCG', 'ndcg'), row('Brier (shown confidence)', 'brier'), row('ECE (shown confidence)', 'ece'),
      ]),
      table(['Action type', 'Method', 'Outcomes', 'Brier before', 'Brier after', 'Why'], (e.calibration ?? []).map(c => [
        h('code', { text: c.actionType }), c.method, num(c.outcomes), f4(c.brierBefore), f4(c.brierAfter), c.why,
      ]))));
  }

  /** The HTML report needs the bearer token, so it is fetched here and saved as a file rather than linked. */
  async function download(button, v) {
    button.disabled = true;
    try {
      const response = await fetch(v.links.reportHtml, { headers: headers({ Accept: 'text/html' }), cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      save(await response.blob(), `ranking-${v.version}.html`);
    } catch (e) {
      status.say(`Report not downloaded: ${e.message}`, 'bad');
    } finally {
      button.disabled = false;
    }
  }

  return { el, refresh };
}

/** Saves a blob as a file through a temporary link. */
export function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
