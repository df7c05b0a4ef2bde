// The seller's view: what waits for them (in ranking order), what autopilot did, and today's digest.

import { api, query, tenantPath } from './api.js';
import { badge, card, facts, h, link, num, put, syncList, time, words } from './dom.js';
import { actionItem, actionKey, proposalCard, proposalKey } from './proposals.js';

export function sellerView(ctx) {
  const s = ctx.session;
  // A seller sees its own queue; an admin may open any seller's (the server enforces both).
  const sellerId = s.roles.includes('admin') ? ctx.args[0] || (s.roles.includes('seller') ? s.sub : '') : s.sub;
  const queue = h('div', { class: 'list', id: 'needs-input', 'aria-live': 'polite' });
  const timeline = h('ol', { class: 'list', id: 'timeline' });
  const digest = h('div', { id: 'digest' });
  const queueState = h('p', { class: 'muted' });
  const timelineState = h('p', { class: 'muted' });
  const error = h('p', { class: 'note bad', role: 'alert' });

  const picker = s.roles.includes('admin')
    ? h('form', {
      class: 'inline',
      onsubmit: event => {
        event.preventDefault();
        location.hash = `#/seller/${encodeURIComponent(event.target.elements.seller.value.trim())}`;
      },
    }, h('label', { for: 'seller-id', text: 'Seller' }), h('input', { id: 'seller-id', name: 'seller', required: true, value: sellerId }), h('button', { type: 'submit', text: 'Open' }))
    : null;

  const el = h('div', { class: 'view seller' },
    h('h1', { text: sellerId ? `Seller ${sellerId}` : 'Seller' }), picker, error,
    card('Needs your input', h('p', { class: 'hint', text: 'Highest ranked first. Approving executes exactly the arguments shown (bound to their digest).' }), queueState, queue),
    card('Autopilot did', timelineState, timeline),
    card('Today\'s digest', digest));

  const base = (...parts) => tenantPath('sellers', sellerId, ...parts);

  async function refresh() {
    if (!sellerId) {
      queueState.textContent = 'Name a seller to open their queue.';
      return;
    }
    try {
      const [needs, done, today] = await Promise.all([
        api(base('needs-input') + query({ limit: 100 })),
        api(base('timeline') + query({ limit: 50 })),
        api(base('digest')),
      ]);
      error.textContent = '';
      queueState.textContent = needs.items.length === 0 ? 'Nothing waits for you.' : `${needs.items.length} proposal(s) wait${needs.nextCursor ? ' (the first 100 shown)' : ''}.`;
      syncList(queue, needs.items, proposalKey, p => proposalCard(p, ctx.reload));
      timelineState.textContent = done.items.length === 0 ? 'Autopilot has not acted for you yet.' : '';
      syncList(timeline, done.items, actionKey, a => actionItem(a, ctx.reload));
      renderDigest(today);
    } catch (e) {
      error.textContent = `Could not load seller ${sellerId}: ${e.message}`;
      queue.replaceChildren();
      timeline.replaceChildren();
      digest.replaceChildren();
    }
  }

  let lastDigest = '';
  function renderDigest(d) {
    const key = JSON.stringify(d);
    if (key === lastDigest) return;
    lastDigest = key;
    put(digest,
      facts([
        ['Date', d.date],
        ['Done', `${num(d.done.length)} action(s), ${num(d.autonomousActions)} by autopilot`],
        ['Waiting', `${num(d.waiting.length)} proposal(s)`],
        ['Skipped', `${num(d.skipped.length)} step(s)`],
        ['Delivery', d.settings.enabled ? `daily at ${d.settings.deliverAt} ${d.settings.timeZone}` : 'off'],
      ]),
      d.skipped.length > 0
        ? h('ul', { class: 'plain' }, d.skipped.map(x => h('li', {},
          badge(x.reason, 'reason'), ' ', words(x.step), ' on ', link(x.accountId, 'account', x.accountId), ': ', x.explanation, h('span', { class: 'muted', text: ` (${time(x.at)})` }))))
        : null);
  }

  return { el, refresh, eventsUrl: sellerId ? base('events') : tenantPath('events') };
}
