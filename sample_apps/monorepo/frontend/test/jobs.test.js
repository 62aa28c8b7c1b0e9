import test from 'node:test';
import assert from 'node:assert';
import { describe } from '../src/jobs.js';

test('describe shows the result of a finished job', () => {
  assert.strictEqual(describe({ text: 'hi', state: 'done', result: 'HI' }), 'hi → HI');
  assert.strictEqual(describe({ text: 'hi', state: 'queued' }), 'hi (queued)');
});
