/**
 * The hosted wallet: one customer's saved cards (add, make default, remove) and their recent payments,
 * whose statuses refresh every two seconds.
 */
import { brandLabel } from './card.js';
import { wireCardFields } from './card-form.js';
import { ProblemError, SessionEndedError, el, formatDate, formatMoney, onEndSession, pageSession, statusPill } from './common.js';

const TRANSACTIONS_POLL_MS = 2000;

const $ = (id) => document.getElementById(id);
const main = $('main');
const form = $('add-form');

const { api, follow, over: sessionOver } = pageSession('wallet', main);

/** Runs a call; a 401 ends the page, a refusal is shown in `where`. Returns undefined when it failed. */
async function attempt(call, where) {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SessionEndedError) {
      sessionOver();
      return undefined;
    }
    where.textContent = error instanceof ProblemError ? error.message : 'Something went wrong. Check your connection and try again.';
    return undefined;
  }
}

function expiryText(card) {
  return `${String(card.exp_month).padStart(2, '0')} / ${String(card.exp_year).slice(-2)}`;
}

function cardItem(card) {
  const name = `${brandLabel(card.brand) || card.brand} ending in ${card.last4}`;
  return el('li', { class: card.is_default ? 'saved-card default' : 'saved-card', 'data-payment-method': card.payment_method_id },
    el('div', { class: 'card-text' },
      el('strong', {}, name),
      el('span', { class: 'muted' }, ` Expires ${expiryText(card)}`),
      card.is_default ? el('span', { class: 'badge default-badge' }, 'Default') : null,
    ),
    el('div', { class: 'actions' },
      card.is_default ? null : el('button', { type: 'button', class: 'secondary', 'data-action': 'default', 'aria-label': `Make ${name} the default card` }, 'Make default'),
      el('button', { type: 'button', class: 'danger', 'data-action': 'remove', 'aria-label': `Remove ${name}` }, 'Remove'),
    ),
  );
}

function renderWallet(wallet) {
  $('customer').textContent = [wallet.name, wallet.email].filter(Boolean).join(' · ');
  $('cards').replaceChildren(...wallet.cards.map(cardItem));
  if (wallet.cards.length === 0) $('wallet-status').textContent = 'No saved cards yet.';
}

async function loadWallet() {
  const wallet = await attempt(() => api('GET', '../wallet'), $('wallet-status'));
  if (wallet !== undefined) renderWallet(wallet);
}

$('cards').addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  if (button === null) return;
  const id = button.closest('[data-payment-method]').dataset.paymentMethod;
  button.disabled = true;
  const status = $('wallet-status');
  status.textContent = '';
  const wallet =
    button.dataset.action === 'default'
      ? await attempt(() => api('PUT', '../wallet/default_payment_method', { payment_method_id: id }), status)
      : await attempt(() => api('DELETE', `../wallet/payment_methods/${encodeURIComponent(id)}`), status);
  button.disabled = false;
  if (wallet === undefined) return;
  renderWallet(wallet);
  status.textContent = button.dataset.action === 'default' ? 'Default card changed.' : 'Card removed.';
});

const fields = wireCardFields(form);

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  $('form-error').textContent = '';
  if (!fields.validate()) return;
  // Sent once, in this body; take() empties the number and CVC, reset() the rest.
  const body = fields.take();
  form.reset();
  $('add-button').disabled = true;
  const saved = await attempt(() => api('POST', '../wallet/payment_methods', body), $('form-error'));
  $('add-button').disabled = false;
  if (saved === undefined) return;
  $('wallet-status').textContent = `Saved ${brandLabel(saved.brand) || saved.brand} ending in ${saved.last4}.`;
  await loadWallet();
});

function transactionRow(txn) {
  return el('tr', { 'data-transaction': txn.transaction_id },
    el('td', {}, formatDate(txn.created)),
    el('td', {}, formatMoney(txn.amount, txn.currency, txn.currency_exponent)),
    el('td', {}, `${brandLabel(txn.card.brand) || txn.card.brand} •••• ${txn.card.last4}`),
    el('td', {}, statusPill(txn.status)),
  );
}

async function refreshTransactions() {
  const transactions = await api('GET', '../wallet/transactions?limit=10');
  $('transactions').replaceChildren(...transactions.map(transactionRow));
  $('no-transactions').hidden = transactions.length > 0;
  return true;
}

onEndSession($('end-session'), api, '../wallet', sessionOver, 'You signed out. Open a new link to manage your cards again.');

if (api === undefined) {
  sessionOver('This link is incomplete. Open the link you were given again.');
} else {
  void loadWallet();
  follow(refreshTransactions, TRANSACTIONS_POLL_MS);
}
