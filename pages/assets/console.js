/**
 * The hosted merchant console: the merchant's transactions, newest first, refreshed every second, and the
 * chosen transaction's timeline of events with each webhook delivery's attempts.
 */
import { brandLabel } from './card.js';
import { SessionEndedError, el, formatDate, formatMoney, formatShortDate, onEndSession, pageSession, statusPill } from './common.js';

const POLL_MS = 1000;

const $ = (id) => document.getElementById(id);
const main = $('main');
const { api, follow, over: sessionOver } = pageSession('console', main);
let selected;

function transactionRow(txn) {
  const isSelected = txn.transaction_id === selected;
  return el('tr', { 'data-transaction': txn.transaction_id, class: isSelected ? 'selected' : null },
    el('td', { class: 'nowrap' }, formatShortDate(txn.created)),
    el('td', {},
      el('button', {
        type: 'button',
        class: 'link mono',
        'aria-pressed': isSelected ? 'true' : 'false',
        'aria-label': `Timeline of ${txn.transaction_id}`,
        'data-transaction-id': txn.transaction_id,
      }, `…${txn.transaction_id.slice(-8)}`),
    ),
    el('td', { class: 'number' }, formatMoney(txn.amount, txn.currency, txn.currency_exponent)),
    el('td', { class: 'nowrap' }, `${txn.card.brand === 'amex' ? 'Amex' : brandLabel(txn.card.brand) || txn.card.brand} •••• ${txn.card.last4}`),
    el('td', {}, statusPill(txn.status), txn.decline_code === null ? null : el('div', { class: 'muted small' }, txn.decline_code)),
  );
}

function attemptText(attempt) {
  const outcome = attempt.status_code === null ? (attempt.error ?? 'no answer') : `HTTP ${attempt.status_code}`;
  return `Attempt ${attempt.attempt} at ${formatDate(attempt.at)}: ${outcome}`;
}

function timelineItem(event) {
  const deliveries = event.deliveries.map((delivery) =>
    el('li', {},
      `Webhook to ${delivery.endpoint_id}: ${delivery.status}`,
      delivery.attempts.length === 0 ? null : el('ul', {}, ...delivery.attempts.map((attempt) => el('li', {}, attemptText(attempt)))),
    ),
  );
  return el('li', { 'data-event-type': event.type },
    el('strong', {}, event.type),
    el('span', { class: 'muted' }, ` ${formatDate(event.created)}`),
    deliveries.length === 0 ? null : el('ul', { class: 'deliveries' }, ...deliveries),
  );
}

function renderDetail(detail) {
  const txn = detail.transaction;
  $('detail-empty').hidden = true;
  $('detail-body').hidden = false;
  $('detail-title').replaceChildren('Timeline', el('span', { class: 'detail-id mono' }, txn.transaction_id));
  const facts = [
    ['Status', statusPill(txn.status)],
    ['Amount', formatMoney(txn.amount, txn.currency, txn.currency_exponent)],
    ['Card', `${brandLabel(txn.card.brand) || txn.card.brand} •••• ${txn.card.last4}, expires ${String(txn.card.exp_month).padStart(2, '0')}/${txn.card.exp_year}`],
    ['Customer', txn.customer_id ?? '—'],
    ['Order', txn.order_id ?? '—'],
  ];
  if (txn.decline_code !== null) facts.push(['Decline code', txn.decline_code]);
  $('detail-facts').replaceChildren(...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
  $('timeline').replaceChildren(...detail.timeline.map(timelineItem));
  $('timeline-incomplete').hidden = detail.timeline_complete !== false;
}

async function refresh() {
  try {
    const transactions = await api('GET', '../console/transactions?limit=25');
    $('transactions').replaceChildren(...transactions.map(transactionRow));
    $('no-transactions').hidden = transactions.length > 0;
    if (selected !== undefined) renderDetail(await api('GET', `../console/transactions/${encodeURIComponent(selected)}`));
    $('updated').textContent = '';
    return true;
  } catch (error) {
    // A 401 ends the page instead (see follow): no point saying it is reconnecting.
    if (!(error instanceof SessionEndedError)) $('updated').textContent = 'Reconnecting…';
    throw error;
  }
}

$('transactions').addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-transaction-id]');
  if (button === null) return;
  selected = button.dataset.transactionId;
  for (const row of $('transactions').querySelectorAll('tr')) {
    const chosen = row.dataset.transaction === selected;
    row.classList.toggle('selected', chosen);
    row.querySelector('button')?.setAttribute('aria-pressed', chosen ? 'true' : 'false');
  }
  try {
    renderDetail(await api('GET', `../console/transactions/${encodeURIComponent(selected)}`));
  } catch (error) {
    if (error instanceof SessionEndedError) sessionOver();
  }
});

onEndSession($('end-session'), api, '../console', sessionOver, 'You signed out of the console.');

if (api === undefined) {
  sessionOver('This link is incomplete. Open a new console link.');
} else {
  follow(refresh, POLL_MS);
}
