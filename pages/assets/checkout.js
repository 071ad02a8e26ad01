/**
 * The hosted checkout: shows what is being paid, checks the card as it is typed, pays once through
 * POST ../checkout/pay, then follows the payment's status every second until it is final.
 */
import { brandLabel } from './card.js';
import { wireCardFields } from './card-form.js';
import { FINAL_STATUSES, ProblemError, SessionEndedError, STATUS_LABELS, declineMessage, formatMoney, onEndSession, pageSession } from './common.js';

const POLL_MS = 1000;
const RETRYABLE = new Set(['declined', 'failed', 'canceled']);

const $ = (id) => document.getElementById(id);
const main = $('main');
const form = $('pay-form');
const payButton = $('pay-button');

const { api, follow, over: sessionOver } = pageSession('checkout', main);
let view;

const fields = wireCardFields(form);

function renderSummary() {
  $('merchant-name').textContent = view.merchant_name;
  $('amount').textContent = formatMoney(view.amount, view.currency, view.currency_exponent);
  $('description').textContent = view.description ?? '';
  payButton.textContent = `Pay ${formatMoney(view.amount, view.currency, view.currency_exponent)}`;
  document.title = `Pay ${view.merchant_name}`;
}

function renderPayment(payment) {
  const live = payment !== null && !RETRYABLE.has(payment.status);
  $('pay-section').hidden = live;
  $('status-section').hidden = payment === null;
  if (payment === null) return;
  const status = $('status');
  status.textContent = STATUS_LABELS[payment.status] ?? payment.status;
  status.dataset.status = payment.status;
  let detail = '';
  if (payment.status === 'declined') detail = declineMessage(payment.decline_code);
  else if (payment.status === 'failed') detail = 'We could not complete the payment. Nothing was charged. Try again in a moment.';
  else if (payment.status === 'pending') detail = `Checking ${brandLabel(payment.card.brand) || 'card'} •••• ${payment.card.last4} with your bank…`;
  else if (payment.status === 'authorized' || payment.status === 'captured') detail = 'Approved. Finishing up…';
  else if (payment.status === 'settled') detail = `Paid with ${brandLabel(payment.card.brand) || 'card'} •••• ${payment.card.last4}. Thank you!`;
  $('status-detail').textContent = detail;
  const returnLink = $('return-link');
  const done = payment.status === 'captured' || payment.status === 'settled';
  if (done && view.return_url !== null) {
    returnLink.href = view.return_url;
    returnLink.hidden = false;
  }
}

async function refresh() {
  view = await api('GET', '../checkout');
  renderSummary();
  renderPayment(view.payment);
  return view.payment !== null && !FINAL_STATUSES.has(view.payment.status);
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  $('form-error').textContent = '';
  if (!fields.validate()) return;
  // The number and CVC leave the page once, in this body; take() empties their fields.
  const body = fields.take();
  payButton.disabled = true;
  payButton.textContent = 'Paying…';
  try {
    const payment = await api('POST', '../checkout/pay', body);
    renderPayment(payment);
    $('status').focus();
    follow(refresh, POLL_MS);
  } catch (error) {
    if (error instanceof SessionEndedError) return sessionOver();
    const message = error instanceof ProblemError ? error.message : 'The payment could not be sent. Check your connection and try again.';
    $('form-error').textContent = message;
  } finally {
    payButton.disabled = false;
    if (view !== undefined) renderSummary();
  }
});

onEndSession($('end-session'), api, '../checkout', sessionOver, 'You closed this checkout. Nothing more will be charged through this link.');

if (api === undefined) {
  sessionOver('This link is incomplete. Open the payment link you were given again.');
} else {
  follow(refresh, POLL_MS);
}
