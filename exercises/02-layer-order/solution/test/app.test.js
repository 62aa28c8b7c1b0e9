'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { createApp } = require('../src/app');

async function withServer(fn) {
  const server = createApp().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    await fn(base);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

test('GET /health answers 200 with status ok', async () => {
  await withServer(async (base) => {
    const res = await fetch(`${base}/health`);
    assert.strictEqual(res.status, 200);
    assert.strictEqual((await res.json()).status, 'ok');
  });
});

test('POST /notes stores a note and rejects an empty one', async () => {
  await withServer(async (base) => {
    const post = (body) => fetch(`${base}/notes`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.strictEqual((await post({ text: 'hello' })).status, 201);
    assert.strictEqual((await post({})).status, 400);
    assert.deepStrictEqual(await (await fetch(`${base}/notes`)).json(), [{ id: 1, text: 'hello' }]);
  });
});
