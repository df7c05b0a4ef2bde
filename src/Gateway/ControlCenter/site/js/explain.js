// A ledger payload as a person reads it: labelled facts, not JSON. Keys become words, nested objects become
// nested lists, and long arrays are cut with a count.

import { badge, h, time, words } from './dom.js';

const MaxItems = 20;
const MaxDepth = 4;

/** camelCase to words: policyVersion -> "policy version". */
export function label(key) {
  return String(key).replace(/([a-z0-9])([A-Z])/g, '$1 $2').replaceAll('_', ' ').toLowerCase();
}

const IsoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const Code = /^[A-Z][A-Z0-9_]+$/;

/** One value as text or nodes. */
export function value(v, depth = 0) {
  if (v === null || v === undefined) return h('span', { class: 'muted', text: 'none' });
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'string') {
    if (IsoTime.test(v)) return time(v);
    if (Code.test(v)) return badge(v, 'reason');
    return v;
  }
  if (depth >= MaxDepth) return h('code', { text: JSON.stringify(v) });
  if (Array.isArray(v)) {
    if (v.length === 0) return h('span', { class: 'muted', text: 'none' });
    if (v.every(x => typeof x !== 'object' || x === null)) return v.slice(0, MaxItems).map(x => value(x, depth + 1)).flatMap((x, i) => (i ? [', ', x] : [x])).concat(v.length > MaxItems ? [` … and ${v.length - MaxItems} more`] : []);
    return h('ol', { class: 'nested' }, v.slice(0, MaxItems).map(x => h('li', {}, value(x, depth + 1))),
      v.length > MaxItems ? h('li', { class: 'muted', text: `… and ${v.length - MaxItems} more` }) : null);
  }
  return describe(v, depth + 1);
}

/** An object as a definition list of its fields. */
export function describe(obj, depth = 0) {
  const entries = Object.entries(obj ?? {});
  if (entries.length === 0) return h('span', { class: 'muted', text: 'nothing' });
  return h('dl', { class: 'facts nested' }, entries.map(([k, v]) => [h('dt', { text: label(k) }), h('dd', {}, value(v, depth))]));
}

/**
 * A run's explanation in three parts: why (the chain of steps, each in a sentence), what it knew (signals, trigger,
 * cost gate, the engine's proposals) and which policy (each evaluation's version, rule and parameters, the budget,
 * kill-switch and human checks).
 */
export function explanation(x) {
  const items = list => list.length === 0
    ? h('p', { class: 'muted', text: 'Nothing recorded.' })
    : list.map(item => h('article', { class: 'item' },
      h('h4', {}, words(item.type), h('span', { class: 'muted', text: ` · ${time(item.at)}` })),
      describe(item.payload)));
  return h('div', { class: 'explanation', id: 'explanation', dataset: { runId: x.runId } },
    h('h3', {}, 'Run ', h('code', { text: x.runId })),
    h('section', {}, h('h4', { class: 'part', text: 'Why: the chain of steps' }),
      h('ol', { class: 'steps' }, x.why.map(step => h('li', {},
        h('strong', { text: words(step.type) }), ' ',
        step.summary ?? (step.reason ? `(${step.reason})` : ''),
        h('span', { class: 'muted', text: ` — ${step.actor}, ${time(step.at)}` }))))),
    h('section', {}, h('h4', { class: 'part', text: 'What it knew' }), items(x.knew)),
    h('section', {}, h('h4', { class: 'part', text: 'Which policy' }), items(x.policy)));
}
