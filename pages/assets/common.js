/**
 * What every hosted page shares: the session token (from the URL fragment, then kept for this tab only),
 * the session API client (relative URLs: the cloud serves the pages under a stage prefix), money and
 * status wording, and small DOM helpers. No card data ever passes through here except the one POST body.
 */

const STORAGE_PREFIX = 'session-token:';

/**
 * The session token of this page. It arrives in the fragment (`#token=...`, never sent to a server), is
 * moved to sessionStorage (this tab only, gone when it closes) and taken out of the address bar, so it is
 * not left in the history or shown over a shoulder.
 */
export function takeSessionToken(page) {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const fromUrl = fragment.get('token');
  if (fromUrl !== null && fromUrl !== '') {
    window.sessionStorage.setItem(STORAGE_PREFIX + page, fromUrl);
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    return fromUrl;
  }
  return window.sessionStorage.getItem(STORAGE_PREFIX + page);
}

export function forgetSessionToken(page) {
  window.sessionStorage.removeItem(STORAGE_PREFIX + page);
}

/** Thrown for a 401: the session expired or was ended; the page stops and says so. */
export class SessionEndedError extends Error {}

/** A refusal with the API's problem details (`code`, `detail`, `param`). */
export class ProblemError extends Error {
  constructor(problem) {
    super(problem.detail ?? problem.title ?? 'The request failed.');
    this.problem = problem;
  }
}

/** A client for the session routes. `path` is relative to the page, e.g. `../checkout`. */
export function sessionApi(token) {
  return async function call(method, path, body) {
    const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    const init = { method, headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      // A new key per call: the pages never resend a call, so this protects nothing by itself. A second
      // click is a second call; what stops it charging twice is the checkout paying once (pay-checkout.ts).
      if (method === 'POST') headers['Idempotency-Key'] = crypto.randomUUID();
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (response.status === 401) throw new SessionEndedError('This link has expired or was closed.');
    const payload = response.status === 204 ? undefined : await response.json().catch(() => undefined);
    if (!response.ok) throw new ProblemError(payload ?? { detail: `The request failed (${response.status}).` });
    return payload;
  };
}

/** An amount in minor units, formatted for its currency with the ISO 4217 exponent the API sends. */
export function formatMoney(amount, currency, exponent) {
  const digits = Number.isInteger(exponent) ? exponent : 2;
  const formatter = new Intl.NumberFormat(undefined, {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return formatter.format(amount / 10 ** digits);
}

export const STATUS_LABELS = {
  pending: 'Processing',
  authorized: 'Authorized',
  captured: 'Paid',
  settled: 'Paid and settled',
  declined: 'Declined',
  failed: 'Failed',
  canceled: 'Canceled',
  refunded: 'Refunded',
};

/** What to tell a customer about each decline_code: what happened and what they can do. */
export const DECLINE_MESSAGES = {
  generic_decline: 'Your bank declined this payment. Try another card, or contact your bank.',
  insufficient_funds: 'The card has insufficient funds. Try another card.',
  lost_card: 'This card was reported lost. Use another card.',
  stolen_card: 'This card was reported stolen. Use another card.',
  expired_card: 'This card has expired. Use another card.',
  incorrect_cvc: 'The security code is incorrect. Check it and try again.',
  processing_error: 'We could not reach your bank. Try again in a moment.',
  do_not_honor: 'Your bank declined this payment. Contact your bank, or try another card.',
};

export function declineMessage(code) {
  return DECLINE_MESSAGES[code] ?? DECLINE_MESSAGES.generic_decline;
}

/** Statuses that will not change by themselves (a refund may still come, but no page waits for it). */
export const FINAL_STATUSES = new Set(['settled', 'declined', 'failed', 'canceled', 'refunded']);

export function formatDate(iso) {
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(iso));
}

/** A compact date and time for table rows. */
export function formatShortDate(iso) {
  return new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
}

/** `el('td', { class: 'x' }, 'text', child)`: builds DOM without innerHTML, so no data is ever markup. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/**
 * Runs `tick` now and then every `intervalMs` until it returns false; never two at once. A tick that throws
 * (a network blip) is tried again at the next interval.
 */
export function poll(tick, intervalMs) {
  let stopped = false;
  let timer;
  const run = async () => {
    if (stopped) return;
    let again;
    try {
      again = (await tick()) !== false;
    } catch {
      again = true;
    }
    if (again && !stopped) timer = window.setTimeout(run, intervalMs);
  };
  void run();
  return {
    stop() {
      stopped = true;
      window.clearTimeout(timer);
    },
  };
}

/** Shows the "session is over" state in place of the page's content. */
export function showSessionEnded(main, message) {
  main.replaceChildren(
    el('section', { class: 'card', 'aria-labelledby': 'ended-title' },
      el('h1', { id: 'ended-title' }, 'This session is over'),
      el('p', { role: 'status' }, message ?? 'This link has expired or was closed. Ask for a new link to continue.'),
    ),
  );
}

/**
 * A page's hold on its session. `api` calls the session routes (undefined when the link carried no token);
 * `follow(tick, intervalMs)` keeps one poll running; `over(message)` ends the page: the poll stops, the token
 * is forgotten and the session-ended state replaces `main`.
 */
export function pageSession(page, main) {
  const token = takeSessionToken(page);
  let follower;
  const over = (message) => {
    follower?.stop();
    forgetSessionToken(page);
    showSessionEnded(main, message);
  };
  return {
    api: token === null ? undefined : sessionApi(token),
    over,
    /** Polls `tick` in place of whatever was polled before. A 401 is no blip to retry: it ends the page. */
    follow(tick, intervalMs) {
      follower?.stop();
      follower = poll(async () => {
        try {
          return await tick();
        } catch (error) {
          if (!(error instanceof SessionEndedError)) throw error;
          over();
          return false;
        }
      }, intervalMs);
    },
  };
}

/** A status as a coloured pill (pages.css styles each `status-…`). */
export function statusPill(status) {
  return el('span', { class: `pill status-${status}` }, STATUS_LABELS[status] ?? status);
}

/**
 * Wires the page's sign-out button: ends the session on the server (ended or not, the page is done with it),
 * then shows `message` through the page's own `sessionOver`.
 */
export function onEndSession(button, api, path, sessionOver, message) {
  button.addEventListener('click', async () => {
    try {
      await api?.('DELETE', path);
    } catch {
      // Already ended or expired: either way this page is finished with it.
    }
    sessionOver(message);
  });
}
