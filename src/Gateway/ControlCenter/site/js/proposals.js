// A proposal waiting for a human and an executed action, as the seller view and the account page show them.

import { api, tenantPath } from './api.js';
import { badge, facts, h, json, link, note, pct, time, words } from './dom.js';

/**
 * A proposal card: what, why (the policy's reason and explanation), how sure, the exact arguments and their digest,
 * and approve / edit / reject. Approve and edit send the digest this card shows, so the server executes exactly what
 * the person saw (a changed proposal is a 409, and the list reloads with the new one).
 */
export function proposalCard(p, reload) {
  const status = note();
  const actions = h('div', { class: 'actions' });
  const form = h('div', { class: 'inline-form' });
  const run = async (what, call) => {
    for (const b of actions.querySelectorAll('button')) b.disabled = true;
    try {
      await call();
      status.say(what, 'good');
      reload();
    } catch (e) {
      status.say(e.status === 409 ? `Not done: ${e.message} The list is reloaded with the proposal as it is now.` : `Not done: ${e.message}`, 'bad');
      for (const b of actions.querySelectorAll('button')) b.disabled = false;
      if (e.status === 409) reload();
    }
  };
  const path = action => tenantPath('proposals', p.proposalId, action);

  const approve = h('button', {
    type: 'button', class: 'primary', 'data-action': 'approve',
    onclick: () => run('Approved: it executes now.', () => api(path('approve'), { method: 'POST', body: { argsDigest: p.argsDigest } })),
  }, 'Approve');

  const edit = h('button', {
    type: 'button', 'data-action': 'edit',
    onclick: () => {
      const text = h('textarea', { rows: '6', spellcheck: 'false', 'aria-label': 'Edited parameters (JSON)', value: JSON.stringify(p.parameters ?? {}, null, 2) });
      form.replaceChildren(h('label', { text: 'Parameters to execute instead (JSON)' }), text,
        h('div', { class: 'actions' },
          h('button', {
            type: 'button', class: 'primary',
            onclick: () => {
              let parameters;
              try {
                parameters = JSON.parse(text.value);
              } catch (e) {
                status.say(`The parameters are not JSON: ${e.message}`, 'bad');
                return;
              }
              run('Edited and executed.', () => api(path('edit'), { method: 'POST', body: { argsDigest: p.argsDigest, parameters } }));
            },
          }, 'Execute edited'),
          h('button', { type: 'button', class: 'quiet', onclick: () => form.replaceChildren() }, 'Cancel')));
    },
  }, 'Edit…');

  const reject = h('button', {
    type: 'button', class: 'danger', 'data-action': 'reject',
    onclick: () => {
      const reason = h('input', { type: 'text', maxlength: '2000', 'aria-label': 'Why not', placeholder: 'Why not (optional)' });
      form.replaceChildren(reason, h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'danger', onclick: () => run('Rejected.', () => api(path('reject'), { method: 'POST', body: { reason: reason.value || null } })) }, 'Reject'),
        h('button', { type: 'button', class: 'quiet', onclick: () => form.replaceChildren() }, 'Cancel')));
      reason.focus();
    },
  }, 'Reject…');

  actions.append(approve, edit, reject);
  return h('article', { class: 'item proposal', dataset: { proposalId: p.proposalId } },
    h('header', {}, h('h3', { text: words(p.actionType) }), badge(p.decision === 'BLOCK' ? 'blocked' : 'needs approval', p.decision === 'BLOCK' ? 'bad' : 'warn'),
      h('span', { class: 'muted' }, ' account ', link(p.accountId, 'account', p.accountId))),
    h('p', { class: 'why' }, badge(p.reason, 'reason'), ' ', p.explanation),
    facts([
      ['Confidence', `${pct(p.confidence)} (engine)${p.calibratedConfidence !== null && p.calibratedConfidence !== undefined ? `, ${pct(p.calibratedConfidence)} calibrated` : ''}`],
      ['Ranked by', `${p.ranker} (score ${Number(p.rankScore).toFixed(3)})`],
      ['Action type', h('code', { text: p.actionType })],
      ['Proposed', time(p.createdAt)],
      ['Expires', time(p.expiresAt)],
      ['Policy', p.policyVersion],
      p.startedBySchedule ? ['Started by', 'a schedule'] : null,
    ]),
    h('details', { open: true }, h('summary', { text: 'Arguments' }), json(p.parameters)),
    h('p', { class: 'digest' }, 'Approving executes exactly these arguments: ', h('code', { class: 'hash', text: p.argsDigest })),
    actions, form, status);
}

/** A timeline item: "Autopilot did X" for autonomous actions, with revert when the action can be undone. */
export function actionItem(a, reload) {
  const status = note();
  const canRevert = a.revertible && a.status === 'SUCCEEDED';
  const revert = canRevert
    ? h('button', {
      type: 'button', 'data-action': 'revert',
      onclick: async event => {
        event.target.disabled = true;
        try {
          await api(tenantPath('actions', a.actionId, 'revert'), { method: 'POST' });
          status.say('Reverted.', 'good');
          reload();
        } catch (e) {
          status.say(`Not reverted: ${e.message}`, 'bad');
          event.target.disabled = false;
        }
      },
    }, 'Revert')
    : null;
  const statusKind = a.status === 'SUCCEEDED' ? 'good' : a.status === 'FAILED' ? 'bad' : 'warn';
  return h('li', { class: 'item action', dataset: { actionId: a.actionId } },
    h('header', {},
      h('h3', { text: a.autonomous ? `Autopilot did ${words(a.actionType)}` : `Executed after approval: ${words(a.actionType)}` }),
      badge(a.status.toLowerCase(), statusKind),
      a.autonomous ? badge('autonomous', 'auto') : null,
      h('span', { class: 'muted' }, ' account ', link(a.accountId, 'account', a.accountId), ' · ', time(a.executedAt))),
    h('p', { class: 'why' }, badge(a.reason, 'reason'), ' ', a.explanation),
    a.outcome || a.detail ? facts([a.outcome ? ['Outcome', words(a.outcome)] : null, a.detail ? ['Detail', a.detail] : null]) : null,
    h('details', {}, h('summary', { text: 'Arguments' }), json(a.parameters)),
    revert ? h('div', { class: 'actions' }, revert) : null, status);
}

export const proposalKey = p => `${p.proposalId}|${p.argsDigest}`;
export const actionKey = a => `${a.actionId}|${a.status}|${a.outcome ?? ''}`;
