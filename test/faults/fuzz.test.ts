/**
 * Fuzzing the lab server: 1,000 random payloads to every API method over HTTP. Every answer must
 * be a well-formed HTTP response (an ApiResult, or a refusal for a body that is not JSON), and the
 * server must keep answering afterwards.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { requestSchemas } from '../../main/api/schemas.js';
import type { LabApiMethod } from '../../main/api/types.js';
import { createLabApp } from '../../main/server/labApp.js';
import { startLabServer, type RunningLabServer } from '../../main/server/server.js';
import { Rng } from '../../main/util/rng.js';
import { tempDir } from '../helpers/temp.js';

const payloadsPerMethod = 1000;
const folder = tempDir();
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
let server: RunningLabServer;

before(async () => {
  const { host, handlers } = createLabApp({ dbPath: join(folder, 'lab.sqlite'), settingsPath: join(folder, 'settings.json'), workers: 1 });
  server = await startLabServer({ host, handlers, staticDir: folder, port: 0 });
});

after(async () => {
  agent.destroy();
  await server.close();
});

/** Keys the schemas know, so that random objects often look almost right. */
const knownKeys = ['studyId', 'spec', 'name', 'workers', 'studyIds', 'runId', 'format', 'dataFolders', 'backend', 'modelDir', 'initDir', 'xPath', 'yPath', 'task', 'measures', 'noise'];

function randomString(rng: Rng): string {
  const choices = ['', 'tiny', 'baseline', '../../etc/passwd', '\u0000', 'ä∂😀', 'a'.repeat(5000), '{"x":1}', 'html', 'wasm', 'x'.repeat(64), '0'.repeat(64), String(rng.nextUint32())];
  return choices[rng.nextInt(choices.length)]!;
}

function randomValue(rng: Rng, depth: number): unknown {
  switch (rng.nextInt(depth > 2 ? 5 : 7)) {
    case 0:
      return null;
    case 1:
      return rng.nextInt(2) === 0;
    case 2:
      return [0, -1, 1, 1e308, -1e-308, 2 ** 53 + 1, 3.5, 256][rng.nextInt(8)];
    case 3:
    case 4:
      return randomString(rng);
    case 5:
      return Array.from({ length: rng.nextInt(5) }, () => randomValue(rng, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let index = rng.nextInt(5); index > 0; index--) {
        const key = rng.nextInt(4) === 0 ? randomString(rng).slice(0, 20) : knownKeys[rng.nextInt(knownKeys.length)]!;
        object[key] = randomValue(rng, depth + 1);
      }
      return object;
    }
  }
}

function post(method: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { agent, host: '127.0.0.1', port: server.port, path: `/api/${method}`, method: 'POST', headers: { Host: `127.0.0.1:${server.port}`, 'X-Lab-Token': server.token, 'Content-Type': 'application/json' } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

test('server survives 1,000 random payloads per method', { timeout: 10 * 60_000 }, async () => {
  const rng = new Rng(2026, 'fuzz');
  const methods = Object.keys(requestSchemas) as LabApiMethod[];
  let sent = 0;
  const statuses = new Map<number, number>();
  for (const method of methods) {
    const bodies = Array.from({ length: payloadsPerMethod }, () => {
      // One body in twenty is not JSON at all.
      if (rng.nextInt(20) === 0) return ['{', '[1,', 'nul', '"\\ud800"', '{"a":}'][rng.nextInt(5)]!;
      return JSON.stringify(randomValue(rng, 0)) ?? 'null';
    });
    for (let start = 0; start < bodies.length; start += 8) {
      const replies = await Promise.all(bodies.slice(start, start + 8).map((body) => post(method, body)));
      for (const reply of replies) {
        sent++;
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        assert.ok(reply.status === 200 || reply.status === 400, `${method}: status ${reply.status}: ${reply.text.slice(0, 200)}`);
        const result = JSON.parse(reply.text) as { ok: boolean; error?: { kind: string; message: string } };
        assert.equal(typeof result.ok, 'boolean');
        if (!result.ok) {
          assert.equal(typeof result.error?.message, 'string');
          // An internal error is a bug the validation did not foresee.
          assert.notEqual(result.error!.kind, 'internal', `${method}: ${result.error!.message}`);
          assert.doesNotMatch(result.error!.message, /\n\s+at .+:\d+:\d+/, `${method} leaked a stack trace`);
        }
      }
    }
  }
  const alive = await post('studies-list', '{}');
  assert.equal(alive.status, 200);
  assert.deepEqual(JSON.parse(alive.text).ok, true);
  process.stdout.write(`# fuzz: ${sent} payloads to ${methods.length} methods; statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`);
});
