// The admin's view: kill switches, modes (and replaying a change before saving it), budgets, triggers, playbook, engine,
// connectors, Mode 4 opt-in, the policy dry run and the ranking models. Forms are filled once; the live parts (switches, use today, models) refresh.

import { api, query, tenantPath } from './api.js';
import { badge, card, facts, h, meter, note, num, put, table, time, words } from './dom.js';
import { rankingCard } from './ranking.js';
import { replayCard } from './replay.js';

const Modes = ['PROPOSE_ONLY', 'APPROVAL_REQUIRED', 'AUTO_EXECUTE', 'DISABLED'];

/** Runs a save: disables the button, says what happened in the note (the problem's detail on failure). */
async function save(button, status, call, done = 'Saved.') {
  button.disabled = true;
  try {
    const result = await call();
    status.say(typeof done === 'function' ? done(result) : done, 'good');
    return result;
  } catch (e) {
    status.say(`${e.status ? `${e.status}: ` : ''}${e.message}`, 'bad');
    return null;
  } finally {
    button.disabled = false;
  }
}

function field(label, input) {
  return h('label', { class: 'field' }, h('span', { text: label }), input);
}

function numberValue(input) {
  return input.value === '' ? null : Number(input.value);
}

export function adminView(ctx) {
  const error = h('p', { class: 'note bad', role: 'alert' });
  const switches = h('div', { id: 'kill-switches' });
  const modes = h('div', { id: 'modes' });
  const budgetUse = h('div', { id: 'cost-use' });
  const triggers = h('div', { id: 'triggers' });
  const optedIn = h('div');
  const engineState = h('div');
  const ranking = rankingCard(ctx);
  const dialog = killSwitchDialog(ctx);

  const budget = budgetForm();
  const cost = costForm();
  const trigger = triggerForm(ctx);
  const playbook = playbookForm();
  const engine = engineForm(engineState);
  const connector = connectorForm();
  const optIn = optInForm(ctx);
  const dryRun = dryRunForm();
  const replay = replayCard(ctx);

  const el = h('div', { class: 'view admin' },
    h('h1', { text: 'Admin' }), error,
    card('Kill switches', h('p', { class: 'hint', text: 'Engaging one stops execution at once (checked again right before every execution) and survives restarts.' }), switches),
    card('Modes per action type', modes),
    card('Replay before saving', replay.el),
    card('Autonomy budget', budget.el),
    card('Cost budget', budgetUse, cost.el),
    card('Triggers', triggers, trigger.el),
    card('Playbook', playbook.el),
    card('Decision engine', engineState, engine.el),
    card('Connectors', connector.el),
    card('Autonomous schedules (Mode 4)', optIn.el, optedIn),
    card('Policy dry run', dryRun.el),
    ranking.el,
    dialog.el);

  let filled = false;
  let lastState = '';

  async function refresh() {
    try {
      const [autonomy, catalog, registry, engineReading] = await Promise.all([
        api(tenantPath('autonomy')),
        api(tenantPath('actions', 'catalog') + query({ limit: 500 })),
        api(tenantPath('triggers') + query({ limit: 500 })),
        api(tenantPath('engine')),
        ranking.refresh(),
      ]);
      error.textContent = '';
      const state = JSON.stringify([autonomy, catalog, registry, engineReading]);
      if (state === lastState) return;
      lastState = state;
      renderSwitches(autonomy, catalog.items);
      renderModes(autonomy, catalog.items);
      renderCostUse(autonomy);
      renderTriggers(registry.items);
      renderEngine(engineReading);
      put(optedIn, h('p', {}, autonomy.optedInAccounts.length === 0 ? 'No account is opted in.' : `Opted in: ${autonomy.optedInAccounts.join(', ')}`));
      dryRun.types(catalog.items.map(t => t.actionType));
      replay.fill(autonomy, catalog.items);
      if (!filled) {
        filled = true;
        budget.fill(autonomy.budget);
        cost.fill(autonomy.costBudget);
        engine.fill(engineReading.engine);
        playbook.fill(autonomy.playbookRules);
      }
    } catch (e) {
      error.textContent = `Could not load the tenant's state: ${e.message}`;
    }
  }

  function renderSwitches(autonomy, catalog) {
    const k = autonomy.killSwitches;
    const byScope = new Map((k.actionTypes ?? []).map(x => [x.scope, x]));
    const rows = [k.all, ...catalog.map(t => byScope.get(t.actionType) ?? { scope: t.actionType, engaged: false })];
    put(switches,
      k.platform?.engaged ? h('p', { class: 'note bad' }, 'The platform operator\'s kill switch is engaged: ', k.platform.reason ?? '') : null,
      table(['Scope', 'State', 'Reason', 'Changed', ''], rows.map(x => [
        h('code', { text: x.scope }),
        x.engaged ? badge('ENGAGED', 'bad') : badge('released', 'good'),
        x.reason ?? '',
        x.changedAt ? `${x.changedBy ?? ''} · ${time(x.changedAt)}` : '',
        h('button', {
          type: 'button', class: x.engaged ? '' : 'danger', 'data-scope': x.scope,
          onclick: () => dialog.open(x.scope, !x.engaged),
        }, x.engaged ? 'Release…' : 'Engage…'),
      ])));
  }

  function renderModes(autonomy, catalog) {
    const modeOf = new Map(autonomy.modes.map(m => [m.actionType, m]));
    put(modes, h('p', { class: 'hint', text: `Action types without a mode of their own are ${words(autonomy.defaultMode)}.` }),
      table(['Action type', 'Risk', 'Contact', 'Revertible', 'Mode', ''], catalog.map(t => {
        const status = note();
        const current = modeOf.get(t.actionType);
        const select = h('select', { 'aria-label': `Mode of ${t.actionType}`, 'data-action-type': t.actionType },
          Modes.map(m => h('option', { value: m, selected: m === (current?.mode ?? autonomy.defaultMode), text: words(m) })));
        select.addEventListener('change', () =>
          save(select, status, () => api(tenantPath('autonomy', 'modes', t.actionType), { method: 'PUT', body: { mode: select.value } }), r => `Now ${words(r.mode)} (config v${r.version}).`));
        return [h('code', { text: t.actionType }), words(t.riskLevel), t.externalContact ? 'external' : 'internal', t.revertible ? 'yes' : 'no', select, status];
      })));
  }

  function renderCostUse(autonomy) {
    const c = autonomy.costBudget;
    put(budgetUse,
      meter('Decision runs today', autonomy.decisionRunsUsedToday, c.decisionRunsPerDay),
      meter('Engine tokens today', autonomy.engineTokensUsedToday, c.engineTokensPerDay),
      h('p', { class: 'muted', text: `Pulls: at most ${num(c.pullsPerDay)} a day (today's count is not in the API yet).` }));
  }

  function renderTriggers(items) {
    put(triggers, table(['Type', 'Debounce', 'Max wait', 'Cooldown', ''], items.map(t => [
      h('code', { text: t.type }), `${t.debounceSeconds} s`, `${t.maxWaitSeconds} s`, `${t.cooldownSeconds} s`, t.builtIn ? 'built in' : 'tenant',
    ])));
  }

  function renderEngine(r) {
    const e = r.engine;
    put(engineState, facts([
      ['Engine', `${e.kind}${e.kind === 'chat' ? ` (${e.chat?.model ?? ''} at ${e.chat?.baseUrl ?? ''})` : ''}`],
      ['Fallback', e.fallback],
      e.chat ? ['API key', e.chat.apiKeySet ? 'set (never shown)' : 'none'] : null,
    ]), meter('Tokens today', r.engineTokensUsedToday, r.engineTokensPerDay));
  }

  return { el, refresh };
}

/** The confirmation every kill switch change passes: what it does, and a reason that is required. */
function killSwitchDialog(ctx) {
  const title = h('h2');
  const explain = h('p');
  const reason = h('textarea', { id: 'kill-reason', name: 'reason', rows: '3', required: true, maxlength: '1000' });
  const status = note();
  const confirm = h('button', { type: 'submit', class: 'danger', id: 'kill-confirm' });
  const form = h('form', { method: 'dialog' }, title, explain,
    h('label', { for: 'kill-reason', text: 'Reason (required, ledgered)' }), reason, status,
    h('div', { class: 'actions' }, confirm, h('button', { type: 'button', class: 'quiet', value: 'cancel', onclick: () => el.close() }, 'Cancel')));
  const el = h('dialog', { id: 'kill-dialog', 'aria-labelledby': 'kill-title' }, form);
  title.id = 'kill-title';
  let scope = 'all';
  let engage = true;

  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (!reason.value.trim()) {
      status.say('Say why: the reason is ledgered with the change.', 'bad');
      return;
    }
    const done = await save(confirm, status, () => api(tenantPath('kill-switches', scope), { method: 'PUT', body: { engaged: engage, reason: reason.value.trim() } }));
    if (done) {
      el.close();
      ctx.reload();
    }
  });

  return {
    el,
    open(s, e) {
      scope = s;
      engage = e;
      title.textContent = `${e ? 'Engage' : 'Release'} the kill switch ${s === 'all' ? 'for everything' : `for ${s}`}?`;
      explain.textContent = e
        ? `Nothing ${s === 'all' ? '' : `of type ${s} `}executes from now on, not even approved proposals, until it is released.`
        : `Execution ${s === 'all' ? '' : `of ${s} `}resumes within the policy and budgets.`;
      confirm.textContent = e ? 'Engage kill switch' : 'Release kill switch';
      confirm.className = e ? 'danger' : 'primary';
      reason.value = '';
      status.say('');
      el.showModal();
      reason.focus();
    },
  };
}

function budgetForm() {
  const max = h('input', { type: 'number', min: '0', max: '10000', required: true, name: 'maxPerAccountPerDay' });
  const perType = h('input', { type: 'text', name: 'perType', placeholder: 'CREATE_TASK=3, SEND_EMAIL=1' });
  const halfLife = h('input', { type: 'number', min: '0.01', step: 'any', name: 'halfLifeDays', placeholder: 'none' });
  const floor = h('input', { type: 'number', min: '0', name: 'floor', placeholder: 'none' });
  const status = note();
  const button = h('button', { type: 'submit', text: 'Save budget' });
  const el = h('form', { class: 'grid' },
    h('p', { class: 'hint', text: 'Actions autopilot may take per account per day, and per action type. Each account\'s use today is on its account page.' }),
    field('Per account per day', max), field('Per action type per day', perType), field('Decay half-life (days)', halfLife), field('Decay floor', floor), button, status);
  el.addEventListener('submit', event => {
    event.preventDefault();
    const maxPerActionTypePerDay = {};
    for (const pair of perType.value.split(',').map(x => x.trim()).filter(Boolean)) {
      const [type, limit] = pair.split('=').map(x => x.trim());
      maxPerActionTypePerDay[type] = Number(limit);
    }
    const decay = halfLife.value === '' && floor.value === '' ? null : { halfLifeDays: numberValue(halfLife), floor: numberValue(floor) };
    save(button, status, () => api(tenantPath('autonomy', 'budget'), { method: 'PUT', body: { maxPerAccountPerDay: numberValue(max), maxPerActionTypePerDay, decay } }),
      r => `Saved (config v${r.version}).`);
  });
  return {
    el,
    fill(b) {
      max.value = b.maxPerAccountPerDay ?? '';
      perType.value = Object.entries(b.maxPerActionTypePerDay ?? {}).map(([t, n]) => `${t}=${n}`).join(', ');
      halfLife.value = b.decay?.halfLifeDays ?? '';
      floor.value = b.decay?.floor ?? '';
    },
  };
}

function costForm() {
  const runs = h('input', { type: 'number', min: '0', required: true, name: 'decisionRunsPerDay' });
  const tokens = h('input', { type: 'number', min: '0', required: true, name: 'engineTokensPerDay' });
  const pulls = h('input', { type: 'number', min: '0', required: true, name: 'pullsPerDay' });
  const status = note();
  const button = h('button', { type: 'submit', text: 'Save limits' });
  const el = h('form', { class: 'grid' }, field('Decision runs per day', runs), field('Engine tokens per day', tokens), field('Pulls per day', pulls), button, status);
  let rest = {};
  el.addEventListener('submit', event => {
    event.preventDefault();
    save(button, status, () => api(tenantPath('cost-budget'), {
      method: 'PUT',
      body: { ...rest, decisionRunsPerDay: numberValue(runs), engineTokensPerDay: numberValue(tokens), pullsPerDay: numberValue(pulls) },
    }), r => `Saved (config v${r.version}).`);
  });
  return {
    el,
    fill(c) {
      runs.value = c.decisionRunsPerDay;
      tokens.value = c.engineTokensPerDay;
      pulls.value = c.pullsPerDay;
      // The cost gate's thresholds have no field here: they are sent back as they are.
      rest = { minMarginalValue: c.minMarginalValue ?? null, minRunIntervalSeconds: c.minRunIntervalSeconds ?? null };
    },
  };
}

function triggerForm(ctx) {
  const type = h('input', { type: 'text', required: true, name: 'type', placeholder: 'RENEWAL_WINDOW_OPENED' });
  const debounce = h('input', { type: 'number', min: '0', required: true, value: '30', name: 'debounceSeconds' });
  const maxWait = h('input', { type: 'number', min: '0', required: true, value: '300', name: 'maxWaitSeconds' });
  const cooldown = h('input', { type: 'number', min: '0', required: true, value: '0', name: 'cooldownSeconds' });
  const status = note();
  const button = h('button', { type: 'submit', text: 'Register or re-tune' });
  const el = h('form', { class: 'grid' }, field('Signal type', type), field('Debounce (s)', debounce), field('Max wait (s)', maxWait), field('Cooldown (s)', cooldown), button, status);
  el.addEventListener('submit', async event => {
    event.preventDefault();
    const done = await save(button, status, () => api(tenantPath('triggers', type.value.trim()), {
      method: 'PUT', body: { debounceSeconds: numberValue(debounce), maxWaitSeconds: numberValue(maxWait), cooldownSeconds: numberValue(cooldown) },
    }), r => `Saved ${r.type} (config v${r.version}).`);
    if (done) ctx.reload();
  });
  return { el };
}

function playbookForm() {
  const text = h('textarea', { rows: '10', spellcheck: 'false', name: 'playbook', 'aria-label': 'Playbook (JSON)' });
  text.value = JSON.stringify({
    rules: [{
      when: { signalType: 'RENEWAL_WINDOW_OPENED' },
      propose: [{ actionType: 'CREATE_TASK', parameters: { title: 'Prepare renewal' }, confidence: 0.9 }],
    }],
  }, null, 2);
  const loaded = h('p', { class: 'hint' });
  const warnings = h('ul', { class: 'plain warnings' });
  const status = note();
  const button = h('button', { type: 'submit', text: 'Replace playbook' });
  const el = h('form', {}, loaded, text, button, status, warnings);
  el.addEventListener('submit', async event => {
    event.preventDefault();
    let body;
    try {
      body = JSON.parse(text.value);
    } catch (e) {
      status.say(`Not JSON: ${e.message}`, 'bad');
      return;
    }
    const r = await save(button, status, () => api(tenantPath('playbook'), { method: 'PUT', body }), x => `Saved ${x.rules ?? ''} rule(s) (config v${x.version}).`);
    put(warnings, (r?.warnings ?? []).map(w => h('li', { class: 'note warn' }, h('code', { text: w.field }), ': ', w.message)));
  });
  return {
    el,
    fill(rules) {
      loaded.textContent = `The tenant's playbook has ${rules} rule(s). The API does not return the rules, so this editor starts from an example; saving replaces them all.`;
    },
  };
}

function engineForm(state) {
  const kind = h('select', { name: 'kind' }, ['playbook', 'chat'].map(k => h('option', { value: k, text: k })));
  const fallback = h('select', { name: 'fallback' }, ['defer', 'playbook'].map(k => h('option', { value: k, text: k })));
  const baseUrl = h('input', { type: 'url', name: 'baseUrl', placeholder: 'https://api.openai.com/v1' });
  const model = h('input', { type: 'text', name: 'model', placeholder: 'gpt-4o-mini' });
  // Write-only: the stored key is never sent to the page, and this field is never filled in.
  const apiKey = h('input', { type: 'password', name: 'apiKey', autocomplete: 'new-password', placeholder: 'unchanged unless typed' });
  const status = note();
  const button = h('button', { type: 'submit', text: 'Save engine' });
  const el = h('form', { class: 'grid' }, field('Engine', kind), field('Fallback', fallback), field('Chat base URL', baseUrl), field('Chat model', model), field('Chat API key', apiKey), button, status);
  el.addEventListener('submit', async event => {
    event.preventDefault();
    const body = { kind: kind.value, fallback: fallback.value };
    if (kind.value === 'chat') body.chat = { baseUrl: baseUrl.value, model: model.value, ...(apiKey.value ? { apiKey: apiKey.value } : {}) };
    const r = await save(button, status, () => api(tenantPath('engine'), { method: 'PUT', body }), x => `Saved (config v${x.version}).`);
    apiKey.value = '';
    if (r) state.dataset.saved = 'true';
  });
  return {
    el,
    fill(e) {
      kind.value = e.kind;
      fallback.value = e.fallback;
      baseUrl.value = e.chat?.baseUrl ?? '';
      model.value = e.chat?.model ?? '';
    },
  };
}

function connectorForm() {
  const name = h('input', { type: 'text', name: 'name', required: true, pattern: '[a-z0-9][a-z0-9_-]{0,39}', placeholder: 'crm' });
  const body = h('textarea', { rows: '8', spellcheck: 'false', name: 'connector', 'aria-label': 'Connector settings (JSON, without the secret)' });
  body.value = JSON.stringify({ kind: 'SYNTHETIC', enabled: true }, null, 2);
  // Write-only: never filled from the server (it only says secretSet).
  const secret = h('input', { type: 'password', name: 'secret', autocomplete: 'new-password', placeholder: 'unchanged unless typed' });
  const clear = h('input', { type: 'checkbox', name: 'clearSecret' });
  const shown = h('div');
  const status = note();
  const load = h('button', { type: 'button', text: 'Load' });
  const button = h('button', { type: 'submit', text: 'Save connector' });
  const el = h('form', {},
    h('div', { class: 'inline' }, field('Name', name), load),
    shown, field('Settings (JSON; the secret goes below)', body), field('Secret', secret),
    h('label', { class: 'check' }, clear, ' Remove the stored secret'), button, status);

  const show = c => {
    put(shown, facts([
      ['Kind', c.kind], ['Enabled', c.enabled ? 'yes' : 'no'], ['Endpoint', c.endpoint], ['Auth header', c.authHeader],
      ['Secret', c.secretSet ? 'set (never shown)' : 'none'], ['Version', String(c.version)],
    ]));
    const { name: _n, secretSet: _s, version: _v, ...editable } = c;
    body.value = JSON.stringify(editable, null, 2);
  };

  load.addEventListener('click', async () => {
    const c = await save(load, status, () => api(tenantPath('connectors', name.value.trim())), 'Loaded.');
    if (c) show(c);
  });
  el.addEventListener('submit', async event => {
    event.preventDefault();
    let settings;
    try {
      settings = JSON.parse(body.value);
    } catch (e) {
      status.say(`Not JSON: ${e.message}`, 'bad');
      return;
    }
    if (secret.value) settings.secret = secret.value;
    if (clear.checked) settings.clearSecret = true;
    const c = await save(button, status, () => api(tenantPath('connectors', name.value.trim()), { method: 'PUT', body: settings }), 'Saved.');
    secret.value = '';
    clear.checked = false;
    if (c) show(c);
  });
  return { el };
}

function optInForm(ctx) {
  const account = h('input', { type: 'text', name: 'account', required: true, placeholder: 'acc-42' });
  const status = note();
  const optIn = h('button', { type: 'submit', value: 'in', text: 'Opt in' });
  const optOut = h('button', { type: 'button', class: 'quiet', text: 'Opt out' });
  const send = async (enabled, button) => {
    const done = await save(button, status, () => api(tenantPath('accounts', account.value.trim(), 'opt-in'), { method: 'PUT', body: { autonomousSchedules: enabled } }),
      r => `${r.accountId}: autonomous schedules ${r.autonomousSchedules ? 'on' : 'off'}.`);
    if (done) ctx.reload();
  };
  const el = h('form', {},
    h('p', {}, 'A scheduled run may act alone only on an account opted in. It requires:'),
    h('ul', { class: 'plain requirements' },
      h('li', { text: 'the account has an owner (a seller);' }),
      h('li', { text: 'that owner\'s daily digest is on (they see every day what autopilot did).' }),
      h('li', { class: 'muted', text: 'Switching the digest off or changing the owner revokes it; a missing requirement is refused with the reason below.' })),
    h('div', { class: 'inline' }, field('Account', account), optIn, optOut), status);
  el.addEventListener('submit', event => {
    event.preventDefault();
    send(true, optIn);
  });
  optOut.addEventListener('click', () => send(false, optOut));
  return { el };
}

function dryRunForm() {
  const types = h('datalist', { id: 'action-types' });
  const actionType = h('input', { type: 'text', name: 'actionType', required: true, list: 'action-types', value: 'CREATE_TASK' });
  const confidence = h('input', { type: 'number', name: 'confidence', min: '0', max: '1', step: '0.01', required: true, value: '0.8' });
  const lifecycle = h('input', { type: 'text', name: 'lifecycle', placeholder: 'CUSTOMER' });
  const account = h('input', { type: 'text', name: 'accountId', placeholder: 'optional' });
  const schedule = h('input', { type: 'checkbox', name: 'startedBySchedule' });
  const result = h('div', { class: 'result' });
  const status = note();
  const button = h('button', { type: 'submit', text: 'Evaluate' });
  const el = h('form', { class: 'grid' }, types,
    h('p', { class: 'hint', text: 'What the policy would decide now, under the tenant\'s configuration. Nothing is executed or stored.' }),
    field('Action type', actionType), field('Confidence', confidence), field('Lifecycle', lifecycle), field('Account', account),
    h('label', { class: 'check' }, schedule, ' Started by a schedule'), button, status, result);
  el.addEventListener('submit', async event => {
    event.preventDefault();
    const r = await save(button, status, () => api(tenantPath('policy', 'evaluate'), {
      method: 'POST',
      body: { actionType: actionType.value.trim(), confidence: numberValue(confidence), lifecycle: lifecycle.value.trim() || null, accountId: account.value.trim() || null, startedBySchedule: schedule.checked },
    }), 'Evaluated.');
    if (r) {
      put(result, facts([
        ['Decision', badge(r.decision, r.decision === 'AUTO_EXECUTE' ? 'good' : r.decision === 'BLOCK' ? 'bad' : 'warn')],
        ['Reason', badge(r.reason, 'reason')], ['Explanation', r.explanation], ['Rule', r.rule], ['Policy', r.policyVersion],
      ]));
    }
  });
  let last = '';
  return {
    el,
    types(list) {
      const key = list.join();
      if (key === last) return;
      last = key;
      put(types, list.map(t => h('option', { value: t })));
    },
  };
}

