// Live updates. The gateway's event stream (GET .../events, text/event-stream) needs the bearer token in a header,
// which EventSource cannot send, so this reads the stream with fetch. The ledger stays the truth: every (re)connect
// reloads the view's state from the API, so an event lost while disconnected costs nothing, and an event only says
// "something changed, reload". Where the gateway has no event stream yet (404), the view is polled every 2 seconds,
// and the stream is tried again now and then, so a gateway that gains one is picked up without a change here.

import { headers } from './api.js';

export const PollMs = 2000;
const RetryStreamMs = 30000;
const MaxBackoffMs = 30000;

/**
 * Parses a text/event-stream body: calls dispatch({ type, data, id }) per event, and onRetry(ms) when the server
 * sets the reconnection time. Resolves when the stream ends.
 */
export async function readEvents(body, dispatch, onRetry = () => {}) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let data = [];
  let type = '';
  let id = null;
  const line = text => {
    if (text === '') {
      if (data.length > 0) dispatch({ type: type || 'message', data: data.join('\n'), id });
      data = [];
      type = '';
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') type = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) onRetry(Number(value));
  };

  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (end < 0 || (buffer[end] === '\r' && end === buffer.length - 1)) break;
      line(buffer.slice(0, end));
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
    }
  }
}

/**
 * Keeps a view current: reads the event stream at url (reloading on connect and on every event), or polls reload()
 * every 2 s while the gateway has no stream. onStatus(text, mode) says which; stop() ends it.
 */
export function startLive({ url, reload, onStatus = () => {}, onEvent = () => {} }) {
  let stopped = false;
  let timer = null;
  let controller = null;
  let backoff = 1000;
  let pending = null;

  const refresh = () => {
    // Events come in bursts (a run writes several); one reload answers a burst.
    if (pending) return pending;
    pending = new Promise(resolve => setTimeout(resolve, 50))
      .then(() => reload())
      .catch(() => { /* the view shows its own errors */ })
      .finally(() => { pending = null; });
    return pending;
  };

  const poll = () => {
    onStatus('polling every 2 s', 'poll');
    let waited = 0;
    const tick = async () => {
      if (stopped) return;
      await refresh();
      waited += PollMs;
      if (waited >= RetryStreamMs) connect();
      else timer = setTimeout(tick, PollMs);
    };
    timer = setTimeout(tick, PollMs);
  };

  const retry = () => {
    if (stopped) return;
    onStatus('reconnecting…', 'retry');
    timer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, MaxBackoffMs);
  };

  const connect = async () => {
    if (stopped) return;
    controller = new AbortController();
    let response;
    try {
      response = await fetch(url, { headers: headers({ Accept: 'text/event-stream' }), cache: 'no-store', signal: controller.signal });
    } catch {
      retry();
      return;
    }

    const stream = (response.headers.get('Content-Type') ?? '').startsWith('text/event-stream');
    if (!response.ok || !stream) {
      response.body?.cancel().catch(() => {});
      if (response.status === 401) window.dispatchEvent(new CustomEvent('autonomy:unauthorized'));
      // No stream here (404 until the gateway has one, or not for this role): the view is polled instead.
      if (response.status >= 400 && response.status < 500) poll();
      else retry();
      return;
    }

    backoff = 1000;
    onStatus('live', 'stream');
    refresh();
    try {
      await readEvents(response.body, event => {
        onEvent(event);
        refresh();
      }, ms => { backoff = Math.max(250, ms); });
    } catch {
      // The connection dropped: reconnect below.
    }
    retry();
  };

  connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
    },
    refresh,
  };
}
