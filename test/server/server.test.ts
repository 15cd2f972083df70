import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLabApp } from '../../main/server/labApp.js';
import { contentSecurityPolicy, maxBodyBytes, startLabServer, tokensMatch, type RunningLabServer } from '../../main/server/server.js';
import { tempDir } from '../helpers/temp.js';

let server: RunningLabServer;
const folder = tempDir();

before(async () => {
  const staticDir = join(folder, 'renderer');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>lab</title>');
  const { host, handlers } = createLabApp({ dbPath: join(folder, 'lab.sqlite') });
  server = await startLabServer({ host, handlers, staticDir, port: 0 });
});

after(async () => {
  await server.close();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers: { Host: `127.0.0.1:${server.port}`, ...options.headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    outgoing.on('error', reject);
    if (options.body !== undefined) outgoing.write(options.body);
    outgoing.end();
  });
}

const api = (method: string, body: unknown, headers: Record<string, string> = {}) =>
  send(`/api/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Lab-Token': server.token, ...headers }, body: JSON.stringify(body) });

test('server listens on loopback only by default', () => {
  const address = server.server.address();
  assert.ok(address !== null && typeof address === 'object' && address.address === '127.0.0.1');
  assert.match(server.url, new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=`));
});

test('server answers an API call with the token', async () => {
  const reply = await api('studies-list', {});
  assert.equal(reply.status, 200);
  assert.deepEqual(JSON.parse(reply.body), { ok: true, value: [] });
});

test('server rejects a request without the token', async () => {
  const reply = await send('/api/studies-list', { method: 'POST', body: '{}' });
  assert.equal(reply.status, 401);
  assert.match(reply.body, /token is missing or wrong/);
});

test('server rejects a wrong token', async () => {
  const reply = await api('studies-list', {}, { 'X-Lab-Token': `${server.token}x` });
  assert.equal(reply.status, 401);
  const page = await send('/?token=guess');
  assert.equal(page.status, 401);
});

test('server rejects another origin', async () => {
  const reply = await api('studies-list', {}, { Origin: 'http://evil.example' });
  assert.equal(reply.status, 403);
  assert.match(reply.body, /origin http:\/\/evil\.example/);
  const own = await api('studies-list', {}, { Origin: `http://127.0.0.1:${server.port}` });
  assert.equal(own.status, 200);
});

test('server rejects a foreign Host header', async () => {
  const reply = await api('studies-list', {}, { Host: `attacker.example:${server.port}` });
  assert.equal(reply.status, 421);
});

test('server rejects an oversized body', async () => {
  const reply = await send('/api/study-check', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Lab-Token': server.token },
    body: JSON.stringify({ spec: { description: 'x'.repeat(maxBodyBytes + 10) } }),
  });
  assert.equal(reply.status, 413);
});

test('server rejects unknown methods and verbs', async () => {
  assert.equal((await api('study-explode', {})).status, 404);
  const put = await send('/api/studies-list', { method: 'PUT', headers: { 'X-Lab-Token': server.token } });
  assert.equal(put.status, 405);
  const get = await send('/api/studies-list', { headers: { 'X-Lab-Token': server.token } });
  assert.equal(get.status, 405);
});

test('server rejects malformed JSON', async () => {
  const reply = await send('/api/studies-list', { method: 'POST', headers: { 'X-Lab-Token': server.token }, body: '{"a":' });
  assert.equal(reply.status, 400);
  assert.match(reply.body, /not valid JSON/);
});

test('server reports invalid payloads as errors', async () => {
  const reply = await api('study-get', { studyId: 5 });
  const result = JSON.parse(reply.body) as { ok: boolean; error: { kind: string; message: string } };
  assert.equal(result.ok, false);
  assert.equal(result.error.kind, 'invalid-input');
  assert.match(result.error.message, /request\.studyId is 5; it must be a string/);
});

test('first page load sets the token cookie and security headers', async () => {
  const page = await send(`/?token=${server.token}`);
  assert.equal(page.status, 200);
  assert.match(String(page.headers['set-cookie']), /fragility_lab_token=.*HttpOnly; SameSite=Strict/);
  assert.equal(page.headers['content-security-policy'], contentSecurityPolicy);
  assert.equal(page.headers['referrer-policy'], 'no-referrer');
  const cookie = String(page.headers['set-cookie']).split(';')[0]!;
  const withCookie = await send('/', { headers: { Cookie: cookie } });
  assert.equal(withCookie.status, 200);
  assert.match(withCookie.body, /<title>lab<\/title>/);
});

test('server refuses paths outside the renderer build', async () => {
  const reply = await send(`/..%2f..%2fetc%2fpasswd?token=${server.token}`);
  assert.notEqual(reply.body.includes('root:'), true);
});

test('event stream needs the token and pushes events', async () => {
  assert.equal((await send('/api/events')).status, 401);
  const events = await new Promise<string>((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: server.port, path: '/api/events', headers: { Host: `127.0.0.1:${server.port}`, 'X-Lab-Token': server.token } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes('event: studies-changed')) {
          outgoing.destroy();
          resolve(text);
        }
      });
    });
    outgoing.on('error', (error) => (error.message.includes('aborted') ? undefined : reject(error)));
    outgoing.end();
    setTimeout(() => void api('study-create', { spec: { name: 'pushed', model: { kind: 'fcn', hiddenWidths: [8] }, training: { learningRate: 0.1 }, trainSizes: [32, 64], seeds: [0] } }), 200);
  });
  assert.match(events, /event: studies-changed\ndata: \{\}/);
});

test('token comparison is exact', () => {
  assert.equal(tokensMatch('abc', 'abc'), true);
  assert.equal(tokensMatch('abc', 'abd'), false);
  assert.equal(tokensMatch('abc', 'ab'), false);
  assert.equal(tokensMatch('abc', undefined), false);
});
