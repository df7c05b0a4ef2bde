// "Replay before saving": modes and policy parameters edited here are first replayed over the decisions the ledger
// holds for a time range (POST .../policy/replay: nothing executed or stored), so the admin sees which decisions
// would have gone otherwise; only then are they saved, with the same PUTs as everywhere else.

import { api, tenantPath } from './api.js';
import { badge, h, link, note, num, put, table, time, words } from './dom.js';

const Modes = ['PROPOSE_ONLY', 'APPROVAL_REQUIRED', 'AUTO_EXECUTE', 'DISABLED'];
const Day = 24 * 60 * 60 * 1000;

function field(label, input) {
  return h('label', { class: 'field' }, h('span', { text: label }), input);
}

/** A datetime-local input's value for an instant (local time, minutes). */
function localValue(date) {
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function names(text) {
  return text.split(',').map(x => x.trim()).filter(Boolean);
}

function decisionBadge(answer) {
  const kind = answer.decision === 'AUTO_EXECUTE' ? 'good' : answer.decision === 'BLOCK' ? 'bad' : 'warn';
  return h('span', { class: 'answer' }, badge(answer.decision, kind), ' ', badge(answer.reason, 'reason'));
}

export function replayCard(ctx) {
  const modes = h('div', { id: 'replay-modes' });
  const minConfidence = h('input', { type: 'number', name: 'minConfidence', min: '0', max: '1', step: '0.01', required: true });
  const autoLifecycles = h('input', { type: 'text', name: 'autoExecuteLifecycles', placeholder: 'PROSPECT, CUSTOMER' });
  const blockedLifecycles = h('input', { type: 'text', name: 'blockedLifecycles', placeholder: 'DO_NOT_CONTACT' });
  const from = h('input', { type: 'datetime-local', name: 'from', required: true, value: localValue(new Date(Date.now() - 7 * Day)) });
  const to = h('input', { type: 'datetime-local', name: 'to', required: true, value: localValue(new Date(Date.now() + 60_000)) });
  const status = note();
  const replay = h('button', { type: 'submit', id: 'replay-run', text: 'Replay' });
  const more = h('button', { type: 'button', class: 'quiet', id: 'replay-more', text: 'Replay the rest of the range', hidden: true });
  const saveAll = h('button', { type: 'button', class: 'primary', id: 'replay-save', text: 'Save these changes', disabled: true });
  const summary = h('div', { id: 'replay-summary' });
  const result = h('div', { id: 'replay-result' });
  const el = h('form', { id: 'replay' },
    h('p', { class: 'hint', text: 'Try modes and policy parameters on the decisions already taken: the ledgered decisions of the range are re-evaluated under them, and the ones that would change are listed. Nothing is executed or stored until you save.' }),
    modes,
    h('div', { class: 'grid' },
      field('Minimum confidence', minConfidence), field('Lifecycles open to autonomy', autoLifecycles), field('Blocked lifecycles', blockedLifecycles),
      field('From', from), field('To', to)),
    h('div', { class: 'actions' }, replay, more, saveAll), status, summary, result);

  let saved = null;
  let types = '';
  const selects = new Map();
  let nextCursor = null;

  /** What differs from the saved configuration: the request's candidate (null when nothing does). */
  function candidate() {
    const changedModes = {};
    for (const [type, select] of selects) {
      if (select.value !== saved.modes.get(type)) changedModes[type] = { mode: select.value };
    }

    const policy = { minConfidence: Number(minConfidence.value), autoExecuteLifecycles: names(autoLifecycles.value), blockedLifecycles: names(blockedLifecycles.value) };
    const policyChanged = JSON.stringify(policy) !== JSON.stringify(saved.policy);
    return { modes: changedModes, ...(policyChanged ? { policy } : {}) };
  }

  function render(r) {
    const reasonOnly = r.changed - r.decisionsChanged;
    put(summary,
      h('p', { class: r.changed === 0 ? 'note good' : 'note warn' },
        r.changed === 0
          ? `Nothing would change: ${num(r.evaluated)} decision(s) replayed.`
          : `${num(r.changed)} of ${num(r.evaluated)} decision(s) would change: ${num(r.decisionsChanged)} would be decided otherwise${reasonOnly ? `, ${num(reasonOnly)} only for another reason` : ''}.`),
      r.budgetDependent > 0
        ? h('p', { class: 'note' }, `${num(r.budgetDependent)} would now run alone, if that day's autonomy budget allowed it: replay does not simulate the budget.`)
        : null,
      r.skipped > 0 ? h('p', { class: 'muted', text: `${num(r.skipped)} re-evaluation(s) for a human's approval are not replayed: a person decided those.` }) : null,
      r.truncated ? h('p', { class: 'note warn', text: 'The range holds more decisions than one replay reads; replay the rest to see them.' }) : null);
    put(result, r.changes.length === 0 ? null : table(['When', 'Account', 'Run', 'Action type', 'Before', 'After', ''], r.changes.map(c => [
      time(c.at),
      c.accountId ? link(c.accountId, 'account', c.accountId) : '–',
      c.runId ? link(c.runId, 'auditor', 'run', c.runId) : '–',
      h('code', { text: c.actionType }),
      decisionBadge(c.before),
      h('div', {}, decisionBadge(c.after), h('p', { class: 'muted', text: c.after.explanation })),
      [c.decisionChanged ? null : badge('reason only'), c.budgetDependent ? badge('budget decides', 'warn') : null],
    ])));
    nextCursor = r.nextCursor;
    more.hidden = !r.truncated;
  }

  async function run(button, cursor) {
    if (!saved) return;
    button.disabled = true;
    try {
      const body = { candidate: candidate(), from: new Date(from.value).toISOString(), to: new Date(to.value).toISOString(), ...(cursor ? { cursor } : {}) };
      const r = await api(tenantPath('policy', 'replay'), { method: 'POST', body });
      render(r);
      status.say('Replayed. Nothing was saved yet.', 'good');
      saveAll.disabled = false;
    } catch (e) {
      status.say(`${e.status ? `${e.status}: ` : ''}${e.message}`, 'bad');
    } finally {
      button.disabled = false;
    }
  }

  el.addEventListener('submit', event => {
    event.preventDefault();
    run(replay, null);
  });
  more.addEventListener('click', () => run(more, nextCursor));
  // Editing after a replay asks for a new one before saving.
  el.addEventListener('input', () => { saveAll.disabled = true; });

  saveAll.addEventListener('click', async () => {
    const c = candidate();
    saveAll.disabled = true;
    try {
      for (const [type, body] of Object.entries(c.modes)) {
        await api(tenantPath('autonomy', 'modes', type), { method: 'PUT', body });
      }
      if (c.policy) await api(tenantPath('policy', 'parameters'), { method: 'PUT', body: c.policy });
      const count = Object.keys(c.modes).length + (c.policy ? 1 : 0);
      status.say(count === 0 ? 'Nothing to save: the edits match the saved configuration.' : `Saved ${count} change(s).`, 'good');
      saved = null;
      ctx.reload();
    } catch (e) {
      status.say(`${e.status ? `${e.status}: ` : ''}${e.message}`, 'bad');
    }
  });

  return {
    el,
    /** Takes the saved configuration; the edit fields are filled from it the first time and after a save. */
    fill(autonomy, catalog) {
      const modeOf = new Map(autonomy.modes.map(m => [m.actionType, m.mode]));
      const current = new Map(catalog.map(t => [t.actionType, modeOf.get(t.actionType) ?? autonomy.defaultMode]));
      const fresh = saved === null;
      saved = { modes: current, policy: autonomy.policy };
      const key = catalog.map(t => t.actionType).join();
      if (!fresh && key === types) return;
      types = key;
      const kept = new Map([...selects].map(([type, select]) => [type, select.value]));
      selects.clear();
      put(modes, table(['Action type', 'Saved mode', 'Replay with'], catalog.map(t => {
        const select = h('select', { 'aria-label': `Replay ${t.actionType} as`, 'data-replay-type': t.actionType },
          Modes.map(m => h('option', { value: m, text: words(m) })));
        select.value = (fresh ? null : kept.get(t.actionType)) ?? current.get(t.actionType);
        selects.set(t.actionType, select);
        return [h('code', { text: t.actionType }), words(current.get(t.actionType)), select];
      })));
      if (fresh) {
        minConfidence.value = String(autonomy.policy.minConfidence);
        autoLifecycles.value = autonomy.policy.autoExecuteLifecycles.join(', ');
        blockedLifecycles.value = autonomy.policy.blockedLifecycles.join(', ');
      }
    },
  };
}
