// The accounting assistant on Slack, Telegram and WhatsApp (issue 20), against local mocks of
// Slack's Web API, Telegram's Bot API and Meta's Graph API that check each reply's auth and
// shape. The books are filled the way production fills them (signed Stripe webhooks), and every
// answer is checked for its exact figures, in German and in English, asked in several wordings.
//
// What is proven: each platform's verification (good, bad signature, stale, replayed), the
// challenges (Slack's url_verification, Meta's hub handshake, Telegram's setWebhook with its
// secret), linking with one-time codes and the one polite refusal for strangers, a retry of
// the same event answered once, a failing send retried, receipts through WhatsApp's two-step
// media download and Telegram's getFile ending as drafts, "passt" confirming one.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { pay } = require('./lib/accounting');
const { StripeTenant } = require('./lib/stripe');
const docs = require('./lib/documents');
const { BUYER, SELLER, customer, draft, finalize, insertEntries } = require('./lib/invoicing');
const {
  SlackMock, slackHeaders, slackEvent, TelegramMock, telegramUpdate, GraphMock,
  whatsappSignature, whatsappMessage,
} = require('./lib/chat-mocks');

const TEAM = 'T0CHAT0001';
const SLACK_TOKEN = 'xoxb-chat-test-0001';
const SIGNING = 'slack-signing-secret-0001';
const TG_TOKEN = '123456789:AAEchatTestTokenForTheBotApi0001';
const WA_TOKEN = 'EAAGchatTestAccessToken0001';
const WA_PHONE = '106540352242922';
const WA_SECRET = 'meta-app-secret-0001';
const WA_VERIFY = 'my-verify-token-0001';

let server;
let T; // the tenant (business plan)
let slack;
let telegram;
let graph;
let eventNo = 0;

const now = new Date();
const TODAY = now.toISOString().slice(0, 10);
const YEAR = now.getUTCFullYear();

async function api(method, path, json) {
  return server.request(path, { method, token: T.token, json });
}

// Posts a Slack event signed now (or as given); resolves the response.
function slackPost(body, { secret = SIGNING, ts, headers = {} } = {}) {
  return server.request('/api/chatbot/slack', {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', ...slackHeaders(secret, body, ts), ...headers },
  });
}

// Sends text as Slack user `user` and resolves the reply the assistant posted.
async function askSlack(text, user = 'U100') {
  const before = slack.of('postMessage').length;
  const body = slackEvent({ teamId: TEAM, eventId: `Ev${++eventNo}`, user, text });
  const started = Date.now();
  const res = await slackPost(body);
  assert.equal(res.status, 200, res.text);
  assert.ok(Date.now() - started < 3000, 'Slack is answered within its three seconds');
  const calls = await slack.waitFor('postMessage', before + 1);
  assert.equal(calls.length, before + 1, `no reply to "${text}"`);
  const call = calls.at(-1);
  assert.deepEqual(call.problems, []);
  assert.equal(call.body.channel, 'D100');
  return call.body.text;
}

async function linkCode() {
  const r = await api('POST', '/api/chatbot/links', {});
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.code, /^[A-Z2-9]{10}$/);
  return r.json.code;
}

async function install(slug, config) {
  const r = await api('POST', `/api/connectors/${slug}/install`, { config });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

before(async () => {
  server = await startServer({ args: ['--public-url', 'https://books.example.test'] });
  slack = await new SlackMock({ botToken: SLACK_TOKEN, teamId: TEAM }).start();
  telegram = await new TelegramMock({ botToken: TG_TOKEN }).start();
  graph = await new GraphMock({ accessToken: WA_TOKEN, phoneNumberId: WA_PHONE }).start();

  // The books: revenue and an expense with 20 % VAT (Austrian chart, the default).
  T = new StripeTenant(server, await server.createTenant('Chat Books', 'business'));
  await T.install({ autoPost: true, direction: 'revenue', vatRate: '20' });
  const settings = await api('PUT', '/api/settings', { vatNumber: 'ATU12345678' });
  assert.equal(settings.status, 200, settings.text);
  await pay(T, '2026-03-10', { amount: 123456, name: 'Acme GmbH', customer: 'cus_acme', email: 'acme@example.com', number: 'RE-2026-0042' });
  await pay(T, '2026-04-02', { amount: 50000, name: 'Beta AG', customer: 'cus_beta', email: 'beta@example.com' });
  await pay(T, `${YEAR - 1}-06-15`, { amount: 100000, name: 'Gamma KG', customer: 'cus_gamma', email: 'gamma@example.com' });
  await pay(T, TODAY, { amount: 7700, name: 'Delta OG', customer: 'cus_delta', email: 'delta@example.com' });
  await T.configure({ autoPost: true, direction: 'expense', vatRate: '20' });
  await pay(T, '2026-03-15', { amount: 60000, accountName: 'Papier Müller GmbH' });
  // A webhook with a bad signature: the failed webhooks answer names it.
  const bad = await T.post('{"id":"evt_bad","type":"invoice.paid"}', { headers: { 'stripe-signature': 't=1,v1=00' } });
  assert.equal(bad.status, 400, bad.text);

  await install('slack-assistant', { botToken: SLACK_TOKEN, signingSecret: SIGNING, apiBaseUrl: slack.base });
  await install('telegram-assistant', { botToken: TG_TOKEN, botUsername: 'ChatBooksBot', apiBaseUrl: telegram.base });
  await install('whatsapp', { accessToken: WA_TOKEN, phoneNumberId: WA_PHONE, businessAccountId: '102290129340398',
                              appSecret: WA_SECRET, verifyToken: WA_VERIFY, apiBaseUrl: `${graph.base}/v25.0` });
});

after(async () => {
  slack?.stop();
  telegram?.stop();
  graph?.stop();
  await server?.stop();
});

describe('Slack', () => {
  test('installing learns the team with auth.test using the bot token', () => {
    const calls = slack.of('auth.test');
    assert.ok(calls.length >= 1);
    assert.deepEqual(calls[0].problems, []);
  });

  test('url_verification is answered with its challenge when signed', async () => {
    const body = JSON.stringify({ token: 'x', challenge: 'chal-123', type: 'url_verification' });
    const ok = await slackPost(body);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.challenge, 'chal-123');
    const bad = await slackPost(body, { secret: 'another-secret' });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json.error.code, 'invalid_signature');
  });

  test('bad signatures and stale timestamps are refused and queue nothing', async () => {
    const body = slackEvent({ teamId: TEAM, eventId: 'EvBad1', text: 'revenue 2026' });
    const bad = await slackPost(body, { secret: 'wrong' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_signature');
    const stale = await slackPost(body, { ts: Math.floor(Date.now() / 1000) - 600 });
    assert.equal(stale.status, 400);
    assert.match(stale.json.error.message, /five minutes/);
    const tampered = await server.request('/api/chatbot/slack', {
      method: 'POST', body: body.replace('revenue', 'expenses'),
      headers: { 'content-type': 'application/json', ...slackHeaders(SIGNING, body) },
    });
    assert.equal(tampered.status, 400);
    const msgs = await api('GET', '/api/chatbot/messages');
    assert.ok(!msgs.json.messages.some((m) => m.messageId === 'EvBad1'));
  });

  test('a stranger gets one polite refusal and nothing else', async () => {
    const reply = await askSlack('What is our revenue?', 'U999');
    assert.match(reply, /only answer people this business has linked/);
    assert.doesNotMatch(reply, /\d{2,}/, 'no figure for a stranger');
    const before = slack.of('postMessage').length;
    const res = await slackPost(slackEvent({ teamId: TEAM, eventId: 'EvStranger2', user: 'U999', text: 'revenue 2026' }));
    assert.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(slack.of('postMessage').length, before, 'a second message of a stranger is not answered');
    const msgs = await api('GET', '/api/chatbot/messages');
    assert.equal(msgs.json.messages.find((m) => m.messageId === 'EvStranger2').status, 'ignored');
  });

  test('an admin code links a person once; links are listed', async () => {
    const code = await linkCode();
    const reply = await askSlack(`/link ${code}`);
    assert.match(reply, /You are linked/);
    const again = await askSlack(`/link ${code}`, 'U200');
    assert.match(again, /unknown, used already or expired/);
    // Guessing further gets no answers: a stranger's failed code counts as the one refusal.
    const before = slack.of('postMessage').length;
    assert.equal((await slackPost(slackEvent({ teamId: TEAM, eventId: 'EvGuess2', user: 'U200', text: '/link ABCDEFGHJK' }))).status, 200);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(slack.of('postMessage').length, before);
    const links = await api('GET', '/api/chatbot/links');
    assert.equal(links.status, 200);
    assert.ok(links.json.links.some((l) => l.platform === 'slack' && l.userId === 'U100'));
    assert.ok(!links.json.links.some((l) => l.userId === 'U200'));
  });

  // Each question in several wordings, in both languages, with its exact figures.
  const QUESTIONS = [
    ['revenue in March 2026', ['What was our revenue in March 2026?', 'revenue 2026-03', 'How much did we earn in march 2026', 'sales march 2026'],
      /^Revenue in March 2026: €1,234\.56 \(gross, 1 invoice\)\./],
    ['Umsatz im März 2026', ['Wie hoch war der Umsatz im März 2026?', 'Umsatz März 2026', 'Was haben wir im März 2026 eingenommen?', 'Erlöse 2026-03'],
      /^Umsatz im März 2026: 1\.234,56 € \(brutto, 1 Rechnung\)\./],
    ['revenue Q2 2026', ['revenue 2026-Q2', 'What was the revenue in Q2 2026?'], /Revenue in Q2 2026: €500\.00 \(gross, 1 invoice\)/],
    ['revenue last year', ['What was our revenue last year?', `revenue ${YEAR - 1}`],
      new RegExp(`Revenue in ${YEAR - 1}: €1,000\\.00 \\(gross, 1 invoice\\)`)],
    ['Umsatz letztes Jahr', ['Umsatz letztes Jahr', 'Wie viel Umsatz hatten wir im Vorjahr?'],
      new RegExp(`Umsatz ${YEAR - 1}: 1\\.000,00 € \\(brutto, 1 Rechnung\\)`)],
    ['revenue this month', ['revenue this month', 'How much revenue this month?'], /: €77\.00 \(gross, 1 invoice\)/],
    ['Umsatz diesen Monat', ['Umsatz diesen Monat', 'Wie hoch ist der Umsatz in diesem Monat?'], /: 77,00 € \(brutto, 1 Rechnung\)/],
    ['expenses March', ['What were the expenses in March 2026?', 'How much did we spend in 2026-03?', 'costs march 2026'],
      /^Expenses in March 2026: €600\.00 \(gross, 1 invoice\)\./],
    ['Ausgaben März', ['Ausgaben im März 2026', 'Wie hoch waren die Kosten im März 2026?', 'Was haben wir 2026-03 ausgegeben?'],
      /^Ausgaben im März 2026: 600,00 € \(brutto, 1 Rechnung\)\./],
    ['VAT Q1', ['How much VAT is due for 2026-Q1?', 'VAT due Q1 2026', 'vat 2026-q1'],
      /^VAT due for Q1 2026: €105\.76 \(output VAT €205\.76 less input VAT €100\.00\)\./],
    ['USt Q1', ['Wie hoch ist die Umsatzsteuer-Zahllast für 2026-Q1?', 'USt Q1 2026', 'Wie viel Mehrwertsteuer zahlen wir für das 1. Quartal 2026?'],
      /^Umsatzsteuer-Zahllast für Q1 2026: 105,76 € \(Umsatzsteuer 205,76 € abzüglich Vorsteuer 100,00 €\)\./],
    ['largest customers 2026', ['Who are our largest customers in 2026?', 'top customers 2026', 'biggest clients 2026'],
      /Largest customers in 2026:\n1\. Acme GmbH €1,234\.56 \(1 invoice\)\n2\. Beta AG €500\.00/],
    ['größte Kunden 2026', ['Wer sind unsere größten Kunden 2026?', 'Kunden 2026'], /Größte Kunden 2026:\n1\. Acme GmbH 1\.234,56 € \(1 Rechnung\)/],
    ['largest suppliers', ['Who are our biggest suppliers in 2026?', 'top vendors 2026'], /1\. Papier Müller GmbH €600\.00 \(1 invoice\)/],
    ['größte Lieferanten', ['Welche Lieferanten hatten wir 2026?', 'größte Lieferanten 2026'], /1\. Papier Müller GmbH 600,00 € \(1 Rechnung\)/],
    ['invoice by number', ['Find invoice RE-2026-0042', 'invoice number RE-2026-0042', 'show me invoice re-2026-0042'],
      /Found 1 invoice:\n• RE-2026-0042, Acme GmbH, €1,234\.56, dated 2026-03-10/],
    ['Rechnung nach Nummer', ['Rechnung Nr. RE-2026-0042', 'Zeig mir die Rechnung RE-2026-0042'], /1 Rechnung gefunden:\n• RE-2026-0042, Acme GmbH, 1\.234,56 €, vom 2026-03-10/],
    ['invoice by amount', ['invoice over 1,234.56 €', 'Which invoice was €1,234.56?'], /Found 1 invoice:\n• RE-2026-0042/],
    ['Rechnung nach Betrag', ['Rechnung über 1.234,56 €', 'Welche Rechnung hatte 1.234,56 Euro?'], /1 Rechnung gefunden:\n• RE-2026-0042/],
    ['invoice by party', ['invoices from Beta AG', 'show invoices for beta'], /Found 1 invoice:\n• .*Beta AG, €500\.00/],
    ['Rechnung nach Partei', ['Rechnungen von Beta AG', 'Zeige Rechnungen für Beta'], /1 Rechnung gefunden:\n• .*Beta AG, 500,00 €/],
    ['open invoices', ['Which invoices are open?', 'unpaid invoices?', 'What is still outstanding?'], /^You have no open invoices\./],
    ['offene Rechnungen', ['Welche Rechnungen sind offen?', 'Offene Rechnungen?'], /^Sie haben keine offenen Rechnungen\./],
    ['overdue', ['Any overdue invoices?', 'Which invoices are past due? overdue'], /^You have no overdue invoices\./],
    ['überfällig', ['Gibt es überfällige Rechnungen?'], /^Sie haben keine überfälligen Rechnungen\./],
    ['failed webhooks', ['Show failed webhooks', 'Did any webhook fail?'], /Last failed webhooks:\n• \d{4}-\d\d-\d\dT[\d:]+ stripe: invalid_signature/],
    ['fehlgeschlagene Webhooks', ['Welche Webhooks sind fehlgeschlagen?'], /Letzte fehlgeschlagene Webhooks:\n• .*stripe: invalid_signature/],
    ['failed deliveries', ['Failed deliveries?', 'Were there failed notifications?'], /^No failed deliveries\./],
    ['Zustellungen', ['Gab es fehlgeschlagene Zustellungen?'], /^Keine fehlgeschlagenen Zustellungen\./],
    ['connectors', ['Which connectors are installed?', 'list integrations'], /Installed connectors \(4\):\n• slack-assistant\n• stripe\n• telegram-assistant\n• whatsapp/],
    ['Konnektoren', ['Welche Konnektoren sind installiert?'], /Installierte Konnektoren \(4\):/],
    ['last sync', ['When was the last sync?', 'sync status'], /^No sync has run yet\./],
    ['letzte Synchronisierung', ['Wann war die letzte Synchronisierung?'], /^Es gab noch keine Synchronisierung\./],
  ];
  for (const [what, wordings, expected] of QUESTIONS) {
    test(`answers: ${what}`, async () => {
      for (const q of wordings) {
        const reply = await askSlack(q);
        assert.match(reply, expected, `asked "${q}"`);
        assert.match(reply, /\n\((source: query “|Quelle: Abfrage „)/, 'the reply names its query');
      }
    });
  }

  test('an outgoing invoice not yet paid is open, in both languages, with its exact figures', async () => {
    let r = await api('PUT', '/api/settings/invoicing', SELLER);
    assert.equal(r.status, 200, r.text);
    const buyer = await customer(server, T, 'Kunde Zeta GmbH', BUYER);
    const t = { ...T, customer: buyer };
    insertEntries(server, t, [{ start: `${TODAY}T08:00:00.000Z`, minutes: 60 }]);
    const d = await draft(server, t, { from: TODAY, to: TODAY, rate: '50.00' });
    assert.equal(d.status, 201, d.text);
    r = await finalize(server, t, d.json.id);
    assert.equal(r.status, 201, r.text);
    const number = r.json.invoiceNumber;
    assert.equal(r.json.gross, '60.00', r.text);
    const en = await askSlack('Which invoices are open?');
    assert.match(en, new RegExp(`^You have 1 open invoice totalling €60\\.00:\\n• ${number}, Kunde Zeta GmbH, €60\\.00, due \\d{4}-\\d\\d-\\d\\d\\n`));
    const de = await askSlack('Welche Rechnungen sind noch offen?');
    assert.match(de, new RegExp(`^Sie haben 1 offene Rechnung über insgesamt 60,00 €:\\n• ${number}, Kunde Zeta GmbH, 60,00 €, fällig `));
    assert.match(await askSlack('overdue invoices?'), /^You have no overdue invoices\./);
  });

  test('what it does not understand gets the list of what it can do, in the language asked', async () => {
    assert.match(await askSlack('Tell me a joke about penguins'), /^Sorry, I did not understand that\. I answer from your books/);
    assert.match(await askSlack('Erzähl mir einen Witz über Pinguine bitte'), /^Das habe ich leider nicht verstanden\. Ich antworte aus Ihrer Buchhaltung/);
    assert.match(await askSlack('help'), /^I answer from your books/);
  });

  test('a retry of an event (X-Slack-Retry-Num) is answered once', async () => {
    const before = slack.of('postMessage').length;
    const body = slackEvent({ teamId: TEAM, eventId: 'EvRetried', text: 'revenue 2026-03' });
    assert.equal((await slackPost(body)).status, 200);
    const retry = await slackPost(body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    assert.equal(retry.status, 200, retry.text);
    await slack.waitFor('postMessage', before + 1);
    await new Promise((r) => setTimeout(r, 2500));
    const replies = slack.of('postMessage').slice(before);
    assert.equal(replies.length, 1, 'one answer for one event');
    assert.match(replies[0].body.text, /€1,234\.56/);
  });

  test('a reply that Slack refuses with 500 is sent again later, once', async () => {
    const before = slack.of('postMessage').length;
    slack.failNext = 1;
    const body = slackEvent({ teamId: TEAM, eventId: 'EvSlackDown', text: 'expenses 2026-03' });
    assert.equal((await slackPost(body)).status, 200);
    const calls = await slack.waitFor('postMessage', before + 1, 20000);
    assert.equal(calls.length, before + 1);
    assert.match(calls.at(-1).body.text, /€600\.00/);
    assert.equal(slack.of('failed').length, 1);
  });

  test('a slash command is verified and answered in its channel', async () => {
    const before = slack.of('postMessage').length;
    const form = new URLSearchParams({ token: 'x', team_id: TEAM, channel_id: 'C777', user_id: 'U100',
                                       user_name: 'eva', command: '/books', text: 'Umsatz März 2026',
                                       trigger_id: 'trig.1', response_url: 'https://hooks.slack.com/x' }).toString();
    const res = await server.request('/api/chatbot/slack', {
      method: 'POST', body: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackHeaders(SIGNING, form) },
    });
    assert.equal(res.status, 200, res.text);
    const calls = await slack.waitFor('postMessage', before + 1);
    assert.equal(calls.at(-1).body.channel, 'C777');
    assert.match(calls.at(-1).body.text, /^Umsatz im März 2026: 1\.234,56 €/);
  });

  test('a file shared with the bot is downloaded with the bot token and filed as a draft', async () => {
    slack.files.set('/files-pri/T0CHAT0001-F1/download/rechnung.xml',
                    docs.ubl({ ...docs.INVOICE, number: 'SLACK-7' }));
    const before = slack.of('postMessage').length;
    const body = JSON.stringify({
      team_id: TEAM, api_app_id: 'A1', type: 'event_callback', event_id: 'EvFile1',
      event: { type: 'message', subtype: 'file_share', channel_type: 'im', user: 'U100', text: '',
               ts: '1700000001.000200', channel: 'D100',
               files: [{ id: 'F1', name: 'rechnung.xml', mimetype: 'application/xml',
                         url_private: `${slack.base}/files-pri/T0CHAT0001-F1/rechnung.xml`,
                         url_private_download: `${slack.base}/files-pri/T0CHAT0001-F1/download/rechnung.xml` }] },
    });
    assert.equal((await slackPost(body)).status, 200);
    const calls = await slack.waitFor('postMessage', before + 1, 30000);
    assert.deepEqual(slack.of('file').at(-1).problems, []);
    assert.match(calls.at(-1).body.text, /Receipt filed as a draft\. I read: Kontorbedarf Müller GmbH, €239\.87, dated 2026-03-02, number SLACK-7/);
    const list = await api('GET', '/api/documents');
    assert.ok(list.json.documents.some((d) => d.source === 'slack' && d.sourceRef === 'EvFile1'));
  });

  test('a shared file on another host is not fetched with the bot token', async () => {
    const before = slack.of('postMessage').length;
    const files = slack.of('file').length;
    const body = JSON.stringify({
      team_id: TEAM, api_app_id: 'A1', type: 'event_callback', event_id: 'EvFile2',
      event: { type: 'message', subtype: 'file_share', channel_type: 'im', user: 'U100', text: '',
               ts: '1700000002.000200', channel: 'D100',
               files: [{ id: 'F2', name: 'x.pdf', mimetype: 'application/pdf',
                         url_private_download: 'http://127.0.0.1:1/steal' }] },
    });
    assert.equal((await slackPost(body)).status, 200);
    const calls = await slack.waitFor('postMessage', before + 1);
    assert.match(calls.at(-1).body.text, /could not fetch this file/);
    assert.equal(slack.of('file').length, files);
  });

  test('a revoked link is refused again', async () => {
    const code = await linkCode();
    assert.match(await askSlack(`/link ${code}`, 'U300'), /You are linked/);
    const links = await api('GET', '/api/chatbot/links');
    const link = links.json.links.find((l) => l.userId === 'U300');
    const del = await api('DELETE', `/api/chatbot/links/${link.id}`);
    assert.equal(del.status, 204);
    assert.equal((await api('DELETE', `/api/chatbot/links/${link.id}`)).status, 404);
    assert.match(await askSlack('revenue 2026', 'U300'), /only answer people this business has linked/);
  });
});

describe('Telegram', () => {
  let secret;
  let hookPath;

  before(async () => {
    const calls = telegram.of('setWebhook');
    assert.equal(calls.length, 1, 'installing with an HTTPS public URL registers the webhook');
    assert.deepEqual(calls[0].problems, []);
    secret = calls[0].body.secret_token;
    const url = new URL(calls[0].body.url);
    assert.equal(url.origin, 'https://books.example.test');
    hookPath = url.pathname;
    assert.match(hookPath, /^\/api\/chatbot\/telegram\/[A-Za-z0-9_-]+$/);
    const detail = await api('GET', '/api/connectors/telegram-assistant');
    assert.equal(detail.json.webhookUrl, calls[0].body.url);
  });

  function tgPost(body, token = secret) {
    const headers = { 'content-type': 'application/json' };
    if (token) headers['x-telegram-bot-api-secret-token'] = token;
    return server.request(hookPath, { method: 'POST', body, headers });
  }

  async function askTelegram(update) {
    const before = telegram.of('sendMessage').length;
    const res = await tgPost(update);
    assert.equal(res.status, 200, res.text);
    const calls = await telegram.waitFor('sendMessage', before + 1, 30000);
    assert.equal(calls.length, before + 1, 'no reply');
    assert.deepEqual(calls.at(-1).problems, []);
    return calls.at(-1).body;
  }

  test('a wrong or missing secret token is refused, an unknown path is 404', async () => {
    const body = telegramUpdate({ updateId: 1, text: 'hi' });
    assert.equal((await tgPost(body, 'wrong')).status, 400);
    assert.equal((await tgPost(body, null)).status, 400);
    const res = await server.request('/api/chatbot/telegram/nonexistent', {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    });
    assert.equal(res.status, 404);
  });

  test('linking, then a German question answered with sendMessage in reply to it', async () => {
    const code = await linkCode();
    const linked = await askTelegram(telegramUpdate({ updateId: 100, text: `/link ${code}` }));
    assert.match(linked.text, /linked|verknüpft/);
    const body = await askTelegram(telegramUpdate({ updateId: 101, text: 'Wie hoch war der Umsatz im März 2026?' }));
    assert.equal(body.chat_id, 4242);
    assert.equal(body.reply_parameters.message_id, 1010);
    assert.match(body.text, /^Umsatz im März 2026: 1\.234,56 €/);
  });

  test('an update delivered twice is answered once', async () => {
    const before = telegram.of('sendMessage').length;
    const update = telegramUpdate({ updateId: 102, text: 'VAT 2026-Q1' });
    assert.equal((await tgPost(update)).status, 200);
    assert.equal((await tgPost(update)).status, 200);
    await telegram.waitFor('sendMessage', before + 1);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(telegram.of('sendMessage').length, before + 1);
    assert.match(telegram.of('sendMessage').at(-1).body.text, /€105\.76/);
  });

  test('an e-invoice sent as a document is fetched with getFile, filed as a draft, and "passt" books it', async () => {
    telegram.files.set('doc-ubl-1', { path: 'documents/file_7.xml', bytes: docs.ubl() });
    const upd = JSON.parse(telegramUpdate({ updateId: 103 }));
    upd.message.document = { file_id: 'doc-ubl-1', file_name: 'rechnung.xml', mime_type: 'application/xml', file_size: 1000 };
    upd.message.caption = 'Das ist die Rechnung';
    const reply = await askTelegram(JSON.stringify(upd));
    assert.equal(telegram.of('getFile').length, 1);
    assert.deepEqual(telegram.of('download').at(-1).problems, []);
    assert.match(reply.text, /Kontorbedarf Müller GmbH, 239,87 €, vom 2026-03-02, Nr\. RE-2026-0815/);
    const list = await api('GET', '/api/documents');
    const doc = list.json.documents.find((d) => d.source === 'telegram');
    assert.ok(doc, 'the document is in the store');
    assert.equal(doc.status, 'review');
    const booked = await askTelegram(telegramUpdate({ updateId: 104, text: 'passt' }));
    assert.match(booked.text, /Als Eingangsrechnung .* gebucht/);
    const after = await api('GET', `/api/documents/${doc.id}`);
    assert.equal(after.json.status, 'confirmed');
  });
});

describe('WhatsApp', () => {
  function waPost(body, secret = WA_SECRET) {
    return server.request('/api/chatbot/whatsapp', {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': whatsappSignature(secret, body) },
    });
  }

  async function askWhatsapp(body) {
    const before = graph.of('message').length;
    const res = await waPost(body);
    assert.equal(res.status, 200, res.text);
    const calls = await graph.waitFor('message', before + 1, 60000);
    assert.equal(calls.length, before + 1, 'no reply');
    assert.deepEqual(calls.at(-1).problems, []);
    return calls.at(-1).body;
  }

  test('the hub.verify_token handshake answers the challenge, a wrong token 403', async () => {
    const ok = await server.request(`/api/chatbot/whatsapp?hub.mode=subscribe&hub.verify_token=${WA_VERIFY}&hub.challenge=1158201444`);
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '1158201444');
    const bad = await server.request('/api/chatbot/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1');
    assert.equal(bad.status, 403);
  });

  test('X-Hub-Signature-256 must match the raw body', async () => {
    const body = whatsappMessage({ phoneNumberId: WA_PHONE, id: 'wamid.bad1', text: 'hi' });
    assert.equal((await waPost(body, 'wrong-secret')).status, 400);
    const res = await server.request('/api/chatbot/whatsapp', {
      method: 'POST', body, headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 400);
  });

  test('a message Meta delivers twice is answered once; a stranger is refused once', async () => {
    const before = graph.of('message').length;
    const body = whatsappMessage({ phoneNumberId: WA_PHONE, from: '4915100000001', id: 'wamid.dup1', text: 'Umsatz 2026' });
    assert.equal((await waPost(body)).status, 200);
    assert.equal((await waPost(body)).status, 200);
    const calls = await graph.waitFor('message', before + 1);
    assert.match(calls.at(-1).body.text.body, /^Hallo! Ich antworte nur Personen, die dieses Unternehmen verknüpft hat/);
    assert.equal(calls.at(-1).body.to, '4915100000001');
    const again = whatsappMessage({ phoneNumberId: WA_PHONE, from: '4915100000001', id: 'wamid.dup2', text: 'Umsatz 2026' });
    assert.equal((await waPost(again)).status, 200);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(graph.of('message').length, before + 1);
  });

  test('linking, an English question, and a receipt photo through the two-step media download', async () => {
    const code = await linkCode();
    const linked = await askWhatsapp(whatsappMessage({ phoneNumberId: WA_PHONE, id: 'wamid.l1', text: `/link ${code}` }));
    assert.equal(linked.to, '436641234567');
    assert.match(linked.text.body, /You are linked/);
    const q = await askWhatsapp(whatsappMessage({ phoneNumberId: WA_PHONE, id: 'wamid.q1', text: 'Who are our largest customers in 2026?' }));
    assert.match(q.text.body, /1\. Acme GmbH €1,234\.56/);

    const photo = docs.receiptPhoto([
      'Bäckerei Sonnenschein GmbH', 'Hauptstraße 12, 10115 Berlin', '',
      'Datum: 14.03.2026  09:41', 'Beleg-Nr. 4711', '',
      '2x Brötchen          1,20', '1x Kaffee gross      3,40', '1x Croissant         2,10', '',
      'Summe EUR            6,70', 'MwSt 7% Netto 6,26   0,44',
    ], { format: 'png', degrees: 2 });
    graph.media.set('1037543291543636', { bytes: photo, mime: 'image/png' });
    const receipt = await askWhatsapp(whatsappMessage({ phoneNumberId: WA_PHONE, id: 'wamid.r1', image: '1037543291543636' }));
    assert.deepEqual(graph.of('media').at(-1).problems, [], 'step one with the token');
    assert.deepEqual(graph.of('download').at(-1).problems, [], 'step two with the same token');
    assert.match(receipt.text.body, /Receipt filed as a draft|Beleg als Entwurf abgelegt/);
    assert.match(receipt.text.body, /6[.,]70/);
    const list = await api('GET', '/api/documents');
    const doc = list.json.documents.find((d) => d.source === 'whatsapp');
    assert.ok(doc, 'the photo is in the document store');
    assert.equal(doc.status, 'review');
    assert.equal(doc.reading.totals.gross, '6.70');
  });
});
