// The control center's shell: sign-in, the views the token's roles may see, routing (#/seller, #/admin,
// #/auditor, #/account/{id}), the kill-switch banner on every view, and live updates of the open view.

import { api, session, signIn, signOut, takeTokenFromFragment, tenantPath, token } from './api.js';
import { h, put, time } from './dom.js';
import { startLive } from './live.js';
import { sellerView } from './seller.js';
import { adminView } from './admin.js';
import { auditorView } from './auditor.js';
import { accountView } from './account.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const liveStatus = document.getElementById('live');
const banner = document.getElementById('killswitch');
const signOutButton = document.getElementById('signout');

const has = (s, role) => s.roles.includes(role);

/** The views a token's roles may open, in the order the navigation shows them. */
const Views = [
  { name: 'seller', title: 'Seller', allowed: s => has(s, 'seller') || has(s, 'admin'), create: sellerView },
  { name: 'admin', title: 'Admin', allowed: s => has(s, 'admin'), create: adminView },
  { name: 'auditor', title: 'Auditor', allowed: s => has(s, 'auditor') || has(s, 'admin'), create: auditorView },
  { name: 'account', title: 'Account', allowed: s => has(s, 'seller') || has(s, 'admin'), create: accountView },
];

let current = null;

function showSignIn(message) {
  current?.live.stop();
  current = null;
  nav.replaceChildren();
  who.textContent = '';
  liveStatus.textContent = '';
  banner.hidden = true;
  signOutButton.hidden = true;
  const input = h('textarea', { id: 'token', rows: '4', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'eyJhbGciOi…' });
  const status = h('p', { class: 'note bad', role: 'alert', text: message ?? '' });
  const form = h('form', { class: 'card signin' },
    h('h1', { text: 'Sign in' }),
    h('p', {}, 'Paste a bearer token, or open the link ', h('code', { text: 'mint-token --open' }), ' prints. The token is kept for this browser session only.'),
    h('label', { for: 'token', text: 'Bearer token' }), input,
    h('button', { type: 'submit', text: 'Sign in' }), status,
    h('p', { class: 'hint' }, 'Mint one in embedded mode: ', h('code', { text: 'dotnet run --project src/Gateway -- mint-token --tenant acme --role seller --sub seller-1 --open' })));
  form.addEventListener('submit', event => {
    event.preventDefault();
    if (signIn(input.value)) start();
    else status.textContent = 'That is not a token: a JWT has three dot-separated parts and a sub claim.';
  });
  put(main, form);
}

function start() {
  const s = session();
  if (!s) {
    showSignIn();
    return;
  }

  if (s.expires && s.expires < new Date()) {
    signOut();
    showSignIn(`The token expired at ${time(s.expires.toISOString())}; sign in with a new one.`);
    return;
  }

  const views = Views.filter(v => v.allowed(s));
  who.textContent = `${s.sub} · ${s.roles.join(', ')}${s.tenant ? ` · tenant ${s.tenant}` : ''}`;
  signOutButton.hidden = false;
  put(nav, views.map(v => h('a', { href: `#/${v.name}`, dataset: { view: v.name }, text: v.title })));
  if (views.length === 0) {
    put(main, h('section', { class: 'card' }, h('h1', { text: 'Nothing to show' }),
      h('p', { text: `The roles ${s.roles.join(', ') || '(none)'} have no view here: the control center is for sellers, admins and auditors.` }),
      has(s, 'operator') ? dashboardLink() : null));
    return;
  }

  route();
}

/**
 * The operator's way into the Orleans Dashboard: its page calls its endpoints without this page's token, so the
 * gateway first turns the token into a cookie scoped to /dashboard (POST /dashboard/session), then the page opens.
 */
function dashboardLink() {
  const status = h('p', { class: 'note', role: 'status' });
  const button = h('button', { type: 'button', id: 'open-dashboard', class: 'primary', text: 'Open the Orleans Dashboard' });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const response = await fetch('/dashboard/session', { method: 'POST', headers: { Authorization: `Bearer ${token()}` } });
      if (response.ok) location.assign('/dashboard/');
      else status.textContent = response.status === 404
        ? 'The Orleans Dashboard is not enabled on this gateway (Autonomy:Dashboard:Enabled).'
        : `The dashboard refused the token (${response.status}).`;
    } finally {
      button.disabled = false;
    }
  });
  return h('div', {}, h('p', { text: 'Operators watch the cluster in the Orleans Dashboard: silos, grains, calls and reminders.' }), button, status);
}

function route() {
  const s = session();
  if (!s) {
    showSignIn();
    return;
  }

  const [name, ...rest] = location.hash.replace(/^#\/?/, '').split('/').map(p => decodeURIComponent(p));
  const allowed = Views.filter(v => v.allowed(s));
  const view = allowed.find(v => v.name === name) ?? allowed[0];
  if (!view) return;
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.view === view.name);

  current?.live.stop();
  const mounted = view.create({ session: s, args: view.name === name ? rest : [], reload: () => current?.live.refresh() });
  put(main, mounted.el);
  const reload = () => Promise.all([mounted.refresh(), refreshKillSwitches(s)]);
  reload().catch(() => {});
  current = {
    view: mounted,
    live: startLive({
      url: mounted.eventsUrl ?? tenantPath('events'),
      reload,
      onStatus: (text, mode) => {
        liveStatus.textContent = text;
        liveStatus.dataset.mode = mode;
      },
    }),
  };
}

/**
 * The kill-switch banner, on every view: red when the platform or the tenant switch stops everything, amber when
 * some action types are stopped, a quiet line when none is. The tenant's autonomy state is readable by admins and
 * sellers; an auditor-only token cannot read it, and the banner says so.
 */
async function refreshKillSwitches(s) {
  if (!has(s, 'admin') && !has(s, 'seller')) {
    banner.hidden = false;
    banner.className = 'killswitch unknown';
    banner.textContent = 'Kill switches: not readable with the auditor role (the ledger shows KILL_SWITCH_CHANGED entries).';
    return;
  }

  let autonomy;
  try {
    autonomy = await api(tenantPath('autonomy'));
  } catch {
    return;
  }

  const k = autonomy.killSwitches;
  const stopping = [k.platform, k.all].filter(x => x?.engaged);
  const types = (k.actionTypes ?? []).filter(x => x.engaged);
  banner.hidden = false;
  banner.dataset.engaged = String(stopping.length > 0 || types.length > 0);
  if (stopping.length > 0) {
    const x = stopping[0];
    banner.className = 'killswitch engaged';
    put(banner,
      h('strong', { text: x.scope === 'platform' ? 'PLATFORM KILL SWITCH ENGAGED' : 'KILL SWITCH ENGAGED' }),
      ' — nothing executes until it is released. ',
      x.reason ? ['Reason: ', h('q', { text: x.reason }), ' '] : null,
      h('span', { class: 'by', text: `(${x.changedBy ?? 'unknown'}, ${time(x.changedAt)})` }));
  } else if (types.length > 0) {
    banner.className = 'killswitch partial';
    put(banner, h('strong', { text: 'Kill switch engaged for ' }),
      types.map((x, i) => [i > 0 ? ', ' : '', h('code', { text: x.scope }), x.reason ? [' (', h('q', { text: x.reason }), ')'] : null]),
      ': those action types do not execute.');
  } else {
    banner.className = 'killswitch clear';
    banner.textContent = 'Kill switches released: autopilot may act within policy and budgets.';
  }
}

window.addEventListener('hashchange', () => {
  if (takeTokenFromFragment()) start();
  else if (token()) route();
});
window.addEventListener('autonomy:unauthorized', () => {
  signOut();
  showSignIn('The server refused the token (401): it is invalid or expired. Sign in again.');
});
signOutButton.addEventListener('click', () => {
  signOut();
  showSignIn();
});

takeTokenFromFragment();
if (token()) start();
else showSignIn();
