// The auditor's view: ledger search, a run's explanation read as a person would, verify (the first problem named,
// the checkpoint coverage), the anchor, and the NDJSON export.

import { api, headers, query, tenantPath } from './api.js';
import { badge, card, facts, h, note, num, put, table, time } from './dom.js';
import { explanation } from './explain.js';
import { save } from './ranking.js';

const Types = ['CONFIG_CHANGED', 'SIGNAL_INGESTED', 'TRIGGER_FIRED', 'TRIGGER_SUPPRESSED', 'COST_GATE', 'DECISION_PROPOSED', 'POLICY_EVALUATED',
  'BUDGET_CHECKED', 'KILL_SWITCH_CHECKED', 'ACTION_EXECUTED', 'ACTION_FAILED', 'ACTION_REVERTED', 'PROPOSAL_RESOLVED', 'OUTCOME_RECORDED',
  'PULL_SCHEDULED', 'PULL_COMPLETED', 'KILL_SWITCH_CHANGED', 'RANKING_MODEL_CHANGED'];

/** datetime-local (the browser's local time) to ISO-8601 UTC, or null. */
const iso = input => (input.value ? new Date(input.value).toISOString() : null);

/** A line about an entry's payload: the fields a reader looks for first. */
function gist(e) {
  const p = e.payload ?? {};
  const parts = [p.actionType, p.action?.actionType, p.decision ?? p.result?.decision, p.reason ?? p.result?.reason, p.verdict, p.triggerType, p.signalType ?? p.type, p.scope, p.change]
    .filter(x => typeof x === 'string');
  return [...new Set(parts)].join(' · ');
}

export function auditorView(ctx) {
  const field = (text, input) => h('label', { class: 'field' }, h('span', { text }), input);
  const account = h('input', { type: 'text', name: 'accountId' });
  const run = h('input', { type: 'text', name: 'runId' });
  const type = h('select', { name: 'type' }, h('option', { value: '', text: 'any' }), Types.map(t => h('option', { value: t, text: t })));
  const from = h('input', { type: 'datetime-local', name: 'from', step: '1' });
  const to = h('input', { type: 'datetime-local', name: 'to', step: '1' });
  const results = h('div', { id: 'ledger-results' });
  const more = h('button', { type: 'button', class: 'quiet', hidden: true, text: 'More' });
  const searchStatus = note();
  const search = h('form', { class: 'grid', id: 'ledger-search' },
    field('Account', account), field('Run', run), field('Type', type), field('From', from), field('To', to),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: 'Search' }),
      h('button', { type: 'button', id: 'export', text: 'Export NDJSON', onclick: event => exportLedger(event.target) })),
    searchStatus);
  const explained = h('div');
  const verifyResult = h('div', { id: 'verify-result' });
  const verifyStatus = note();
  const verify = h('button', { type: 'button', class: 'primary', id: 'verify', text: 'Verify the ledger' });
  const anchor = h('div');

  const el = h('div', { class: 'view auditor' }, h('h1', { text: 'Auditor' }),
    card('Ledger', search, results, more),
    card('Explanation', h('p', { class: 'hint', text: 'Open a run from the ledger to read why it acted, what it knew and which policy allowed or stopped it.' }), explained),
    card('Verify', h('p', { class: 'hint', text: 'Walks every hash chain and the signed checkpoints, and names the first problem.' }), verify, verifyStatus, verifyResult),
    card('Anchor', anchor));

  let cursor = null;
  let rows = [];

  async function runSearch(next) {
    try {
      const page = await api(tenantPath('ledger') + query({
        accountId: account.value.trim(), runId: run.value.trim(), type: type.value, from: iso(from), to: iso(to), limit: 100, cursor: next,
      }));
      rows = next ? rows.concat(page.items) : page.items;
      cursor = page.nextCursor;
      more.hidden = !cursor;
      searchStatus.say(`${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}, oldest first${cursor ? '; more follow' : ''}.`);
      put(results, table(['Time', 'Type', 'Actor', 'Stream', 'What', 'Run'], rows.map(e => [
        time(e.at), badge(e.type, 'reason'), e.actor, `${e.streamId} #${e.seq}`, gist(e),
        e.runId ? h('button', { type: 'button', class: 'quiet', 'data-run': e.runId, onclick: () => openRun(e.runId) }, 'Explain') : '',
      ])));
    } catch (e) {
      searchStatus.say(e.message, 'bad');
    }
  }

  async function openRun(runId) {
    try {
      put(explained, explanation(await api(tenantPath('ledger', 'runs', runId, 'explanation'))));
      explained.scrollIntoView({ block: 'start' });
    } catch (e) {
      put(explained, h('p', { class: 'note bad', text: e.status === 404 ? `The ledger has no run ${runId}.` : e.message }));
    }
  }

  search.addEventListener('submit', event => {
    event.preventDefault();
    runSearch(null);
  });
  more.addEventListener('click', () => runSearch(cursor));

  verify.addEventListener('click', async () => {
    verify.disabled = true;
    try {
      const v = await api(tenantPath('ledger', 'verify'));
      const n = v.notYetCheckpointed;
      put(verifyResult,
        h('p', { class: v.ok ? 'verdict good' : 'verdict bad', id: 'verify-verdict', text: v.ok ? `Intact: ${num(v.entries)} entries verified.` : 'BROKEN: the ledger does not verify.' }),
        v.ok ? null : h('p', { class: 'note bad' }, 'First problem: ', v.problem ?? 'unknown', v.firstBrokenEntryId ? [' at entry ', h('code', { text: v.firstBrokenEntryId })] : null,
          v.streamId ? [' in stream ', h('code', { text: v.streamId })] : null),
        facts([
          ['Entries intact', num(v.entries)],
          ['Signed checkpoints', num(v.checkpoints)],
          ['Last checkpoint', time(v.lastCheckpointAt)],
          ['Covered by a checkpoint', num(v.checkpointedEntries)],
          ['Not yet checkpointed', n ? `${num(n.count)} entries, ${time(n.from)} to ${time(n.to)}` : 'none'],
          ['Signatures checked', v.signaturesChecked ? 'yes' : 'no (no checkpoint key configured here)'],
        ]));
      verifyStatus.say(`Verified at ${time(new Date().toISOString())}.`);
    } catch (e) {
      verifyStatus.say(e.message, 'bad');
    } finally {
      verify.disabled = false;
    }
  });

  async function exportLedger(button) {
    button.disabled = true;
    try {
      const response = await fetch(tenantPath('ledger', 'export') + query({ from: iso(from), to: iso(to) }), { headers: headers({ Accept: 'application/x-ndjson' }), cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      save(await response.blob(), `ledger-${ctx.session.tenant}.ndjson`);
      searchStatus.say('Exported (NDJSON: entries oldest first, then the signed checkpoints).');
    } catch (e) {
      searchStatus.say(`Not exported: ${e.message}`, 'bad');
    } finally {
      button.disabled = false;
    }
  }

  let anchorShown = false;
  async function refresh() {
    if (anchorShown) return;
    try {
      const a = await api(tenantPath('ledger', 'anchor'));
      put(anchor, facts([['Checkpoints also go to', a.url ?? 'nowhere: no anchor is set (an admin sets it with PUT .../ledger/anchor)']]));
      anchorShown = true;
    } catch (e) {
      put(anchor, h('p', { class: 'note bad', text: e.message }));
    }
  }

  if (ctx.args[0] === 'run' && ctx.args[1]) {
    run.value = ctx.args[1];
    openRun(ctx.args[1]);
    runSearch(null);
  } else {
    runSearch(null);
  }

  return { el, refresh };
}
