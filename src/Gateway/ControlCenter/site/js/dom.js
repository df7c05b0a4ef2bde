// Building the page without HTML strings: every value goes through textContent or a DOM property, so a string a
// user or upstream system controls is always shown as text, never parsed as markup.

/** An element: h('p', { class: 'x', onclick: f }, 'text', child). Null, undefined and false children are skipped. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value' || key === 'checked' || key === 'disabled' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  add(el, children);
  return el;
}

/** Appends children (nodes, strings, numbers, nested arrays) as nodes and text. */
export function add(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces an element's children. */
export function put(el, ...children) {
  el.replaceChildren();
  return add(el, children);
}

/**
 * Keeps a list's elements in step with its items without rebuilding it: an item whose key is unchanged keeps its
 * element (and whatever a person is typing in it); new keys get a new element, gone keys lose theirs.
 */
export function syncList(container, items, keyOf, render) {
  const old = new Map([...container.children].map(el => [el.dataset.key, el]));
  const next = items.map(item => {
    const key = keyOf(item);
    let el = old.get(key);
    if (el) old.delete(key);
    else {
      el = render(item);
      el.dataset.key = key;
    }
    return el;
  });
  for (const el of old.values()) el.remove();
  next.forEach((el, i) => {
    if (container.children[i] !== el) container.insertBefore(el, container.children[i] ?? null);
  });
}

/** A card: a titled section of a view. */
export function card(title, ...children) {
  return h('section', { class: 'card' }, h('h2', { text: title }), ...children);
}

/** A definition list from [label, value] pairs; values may be nodes. Empty values show a dash. */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([label, value]) => [
    h('dt', { text: label }),
    h('dd', {}, value === null || value === undefined || value === '' ? '–' : value),
  ]));
}

/** A table whose wrapper scrolls sideways on a narrow screen, so the page itself never does. */
export function table(headers, rows) {
  return h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, headers.map(x => h('th', { scope: 'col', text: x })))),
    h('tbody', {}, rows.map(cells => h('tr', {}, cells.map(c => h('td', {}, c)))))));
}

export function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}`.trim(), text });
}

/** A status line under a form: a message, or a problem's detail in red. */
export function note(kind = '') {
  const el = h('p', { class: `note ${kind}`.trim(), role: 'status' });
  el.say = (text, k = '') => { el.className = `note ${k}`.trim(); el.textContent = text; };
  return el;
}

export function time(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function num(value, digits = 0) {
  if (value === null || value === undefined) return '–';
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function pct(value) {
  return value === null || value === undefined ? '–' : `${Math.round(Number(value) * 100)} %`;
}

/** A used-of-limit bar: "12 of 100". */
export function meter(label, used, limit) {
  const share = limit > 0 ? Math.min(1, used / limit) : 0;
  const m = h('meter', { min: '0', max: '1', value: String(share), high: '0.8', optimum: '0' });
  return h('div', { class: 'meter' }, h('span', { text: `${label}: ${num(used)} of ${num(limit)}` }), m);
}

/** SNAKE_CASE to words: AUTO_EXECUTE -> "auto execute". */
export function words(code) {
  return String(code ?? '').toLowerCase().replaceAll('_', ' ');
}

/** JSON shown as text, indented. */
export function json(value) {
  return h('pre', { class: 'json', text: JSON.stringify(value ?? null, null, 2) });
}

/** A link inside the control center (hash route); parts are encoded. */
export function link(text, ...parts) {
  return h('a', { href: '#/' + parts.map(p => encodeURIComponent(p)).join('/'), text });
}
