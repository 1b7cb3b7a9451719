// The assistant's optional language model (issue 20): with --llm-url, --llm-model and --llm-key
// a question the grammar does not understand goes to an OpenAI-compatible chat-completions
// endpoint (here a local mock that checks the key, the model and the tools offered) with the
// read queries as tools. A reply whose figures all come from a tool result reaches the user,
// naming its query; a reply with an invented figure does not (the user gets the help text).
// Without the settings nothing leaves the server (chat-assistant.test.js runs without them and
// its mocks would see any call).
'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');
const { pay } = require('./lib/accounting');
const { StripeTenant } = require('./lib/stripe');
const { SlackMock, slackHeaders, slackEvent, LlmMock } = require('./lib/chat-mocks');

const TEAM = 'T0LLM00001';
const SLACK_TOKEN = 'xoxb-llm-test-0001';
const SIGNING = 'slack-signing-secret-llm';
const KEY = 'sk-test-llm-key-0001';
const MODEL = 'books-model-1';

let server;
let T;
let slack;
let llm;
let n = 0;

async function ask(text) {
  const before = slack.of('postMessage').length;
  const body = slackEvent({ teamId: TEAM, eventId: `EvL${++n}`, text });
  const res = await server.request('/api/chatbot/slack', {
    method: 'POST', body, headers: { 'content-type': 'application/json', ...slackHeaders(SIGNING, body) },
  });
  assert.equal(res.status, 200, res.text);
  const calls = await slack.waitFor('postMessage', before + 1);
  assert.equal(calls.length, before + 1, `no reply to ${text}`);
  return calls.at(-1).body.text;
}

before(async () => {
  slack = await new SlackMock({ botToken: SLACK_TOKEN, teamId: TEAM }).start();
  llm = await new LlmMock({ key: KEY, model: MODEL }).start();
  server = await startServer({ args: ['--llm-url', `${llm.base}/v1/chat/completions`,
                                      '--llm-model', MODEL, '--llm-key', KEY] });
  T = new StripeTenant(server, await server.createTenant('LLM Books', 'pro'));
  await T.install({ autoPost: true, direction: 'revenue', vatRate: '20' });
  await pay(T, '2026-03-10', { amount: 123456, name: 'Acme GmbH', email: 'acme@example.com' });
  const r = await server.request('/api/connectors/slack-assistant/install', {
    method: 'POST', token: T.token,
    json: { config: { botToken: SLACK_TOKEN, signingSecret: SIGNING, apiBaseUrl: slack.base } },
  });
  assert.equal(r.status, 201, r.text);
  const code = await server.request('/api/chatbot/links', { method: 'POST', token: T.token, json: {} });
  assert.match(await ask(`/link ${code.json.code}`), /You are linked/);
});

after(async () => {
  slack?.stop();
  llm?.stop();
  await server?.stop();
});

test('a figure from a tool result reaches the user, with the query named', async () => {
  llm.script = {
    tool: 'revenue', args: { period: '2026-03' },
    reply: (result) => {
      const t = result.totals[0];
      assert.equal(t.minor, 123456);
      assert.equal(t.value, '1234.56');
      return 'Im März 2026 lief es gut: Ihr Umsatz betrug 1.234,56 €.';
    },
  };
  const before = llm.of('completion').length;
  const reply = await ask('Wie lief das Geschäft eigentlich so im Frühjahr?');
  assert.match(reply, /^Im März 2026 lief es gut: Ihr Umsatz betrug 1\.234,56 €\.\n\(Quelle: Abfrage „Umsatz“\)$/);
  const calls = llm.of('completion').slice(before);
  assert.equal(calls.length, 2, 'one round for the tool, one for the answer');
  for (const c of calls) assert.deepEqual(c.problems, []);
  assert.ok(calls[0].body.tools.some((t) => t.function.name === 'vat_due'), 'the queries are offered as tools');
  const tool = calls[1].body.messages.at(-1);
  assert.equal(tool.role, 'tool');
  assert.equal(tool.tool_call_id, 'call_1');
});

test('a reply with an invented figure is not sent; the help is', async () => {
  llm.script = {
    tool: 'revenue', args: { period: '2026-03' },
    reply: () => 'Your revenue in March 2026 was €9,999.99, up 12.5% on February.',
  };
  const reply = await ask('How is business going these days, roughly?');
  assert.doesNotMatch(reply, /9,999\.99|9\.999,99|12\.5/);
  assert.match(reply, /^Sorry, I did not understand that\. I answer from your books/);
});

test('questions the grammar understands never reach the model', async () => {
  const before = llm.of('completion').length;
  assert.match(await ask('revenue 2026-03'), /€1,234\.56/);
  assert.equal(llm.of('completion').length, before);
});
