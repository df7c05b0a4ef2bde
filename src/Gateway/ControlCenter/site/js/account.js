// An account: heat, tier, posture, pulls and their outcomes, cooldowns, budget use, open proposals and recent runs,
// from GET .../accounts/{id} (and, for ledger readers, the account's runs of the last day from the ledger).

import { api, query, tenantPath } from './api.js';
import { badge, card, facts, h, link, meter, num, put, syncList, table, time, words } from './dom.js';
import { describe } from './explain.js';
import { actionItem, actionKey, proposalCard, proposalKey } from './proposals.js';

export function accountView(ctx) {
  const accountId = ctx.args[0] ?? '';
  const ledgerReader = ctx.session.roles.includes('admin') || ctx.session.roles.includes('auditor');
  const error = h('p', { class: 'note bad', role: 'alert' });
  const overview = h('div', { id: 'account-overview' });
  const posture = h('div');
  const pulls = h('div');
  const cooldowns = h('div');
  const budget = h('div');
  const proposals = h('div', { class: 'list', id: 'account-proposals' });
  const actions = h('ol', { class: 'list' });
  const runs = h('div');
  const picker = h('form', {
    class: 'inline',
    onsubmit: event => {
      event.preventDefault();
      location.hash = `#/account/${encodeURIComponent(event.target.elements.account.value.trim())}`;
    },
  }, h('label', { for: 'account-id', text: 'Account' }), h('input', { id: 'account-id', name: 'account', required: true, value: accountId }), h('button', { type: 'submit', text: 'Open' }));

  const el = h('div', { class: 'view account' }, h('h1', { text: accountId ? `Account ${accountId}` : 'Account' }), picker, error,
    accountId ? [
      card('Overview', overview), card('Posture', posture), card('Pulls', pulls), card('Cooldowns', cooldowns), card('Autonomy budget today', budget),
      card('Open proposals', proposals), card('Recent actions', actions), card('Recent runs', runs),
    ] : h('p', { class: 'muted', text: 'Open an account by its id (the proposals and the timeline link to theirs).' }));

  let last = '';

  async function refresh() {
    if (!accountId) return;
    let a;
    try {
      a = await api(tenantPath('accounts', accountId));
      error.textContent = '';
    } catch (e) {
      error.textContent = `Could not load account ${accountId}: ${e.message}`;
      return;
    }

    syncList(proposals, a.pendingProposals, proposalKey, p => proposalCard(p, ctx.reload));
    if (a.pendingProposals.length === 0) proposals.replaceChildren(h('p', { class: 'muted', text: 'None open.', dataset: { key: '-' } }));
    syncList(actions, a.recentActions, actionKey, x => actionItem(x, ctx.reload));

    const key = JSON.stringify({ ...a, pendingProposals: null, recentActions: null });
    if (key === last) return;
    last = key;
    put(overview, facts([
      ['Owner', a.ownerId ? link(a.ownerId, 'seller', a.ownerId) : 'none'],
      ['Lifecycle', a.lifecycle],
      ['Heat', Number(a.heat).toFixed(3)],
      ['Tier', badge(a.tier, a.tier === 'HOT' ? 'bad' : a.tier === 'WARM' ? 'warn' : '')],
      ['Renewal', a.renewalDate],
      ['Autonomous schedules', a.autonomousSchedules ? 'opted in (Mode 4)' : 'off'],
      ['Last tick', time(a.lastTickAt)],
      ['Next tick', time(a.nextTickAt)],
      ['Next ritual', time(a.nextRitualAt)],
      ['Run due', time(a.pendingRunDueAt)],
    ]));
    put(posture, a.posture ? describe(a.posture) : h('p', { class: 'muted', text: 'No posture reported.' }));
    put(pulls, a.pulls.length === 0
      ? h('p', { class: 'muted', text: 'No connector pulls this account.' })
      : table(['Connector', 'Tier', 'Every', 'Last pull', 'Outcome', 'Next pull'], a.pulls.map(p => [
        h('code', { text: p.connector }), words(p.tier), `${num(p.intervalSeconds)} s`, time(p.lastPullAt), badge(p.lastOutcome, 'reason'), time(p.nextPullAt),
      ])));
    const cooling = Object.entries(a.cooldowns ?? {});
    put(cooldowns, cooling.length === 0 ? h('p', { class: 'muted', text: 'None.' }) : facts(cooling.map(([type, until]) => [words(type), `until ${time(until)}`])));
    const perType = Object.entries(a.budgetUse.perActionType ?? {});
    put(budget, meter(`Actions on ${a.budgetUse.day}`, a.budgetUse.used, a.budgetUse.limit),
      perType.length ? facts(perType.map(([type, n]) => [words(type), num(n)])) : null);
    await renderRuns(a);
  }

  /** The account's runs: those its proposals and actions came from, and for ledger readers the last day's from the ledger. */
  async function renderRuns(a) {
    const seen = new Map();
    for (const x of [...a.pendingProposals, ...a.recentActions]) if (!seen.has(x.runId)) seen.set(x.runId, { runId: x.runId, at: x.createdAt ?? x.executedAt, what: words(x.actionType) });
    if (ledgerReader) {
      try {
        const since = new Date(Date.now() - 86400000).toISOString();
        const page = await api(tenantPath('ledger') + query({ accountId, type: 'TRIGGER_FIRED', from: since, limit: 100 }));
        for (const e of page.items) if (e.runId && !seen.has(e.runId)) seen.set(e.runId, { runId: e.runId, at: e.at, what: `started by ${e.payload?.triggerType ?? 'a trigger'}` });
      } catch {
        // The ledger part is extra; the account's own runs are shown anyway.
      }
    }
    const list = [...seen.values()].sort((x, y) => String(y.at).localeCompare(String(x.at)));
    put(runs, list.length === 0 ? h('p', { class: 'muted', text: 'No runs yet.' }) : table(['Run', 'When', 'What'], list.map(r => [
      ledgerReader ? link(r.runId, 'auditor', 'run', r.runId) : h('code', { text: r.runId }), time(r.at), r.what,
    ])));
  }

  return { el, refresh };
}
