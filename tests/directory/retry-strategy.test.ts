import assert from 'node:assert/strict';
import { parseRetryAfter, throttlingRetryStrategy, RETRYABLE_STATUSES } from '../../src/directory/graph-reader.ts';

const h = (entries: Record<string, string>) => new Headers(entries);
const NOW = Date.parse('2026-04-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    assert.equal(parseRetryAfter(h({ 'Retry-After': '7' }), NOW), 7000);
    assert.equal(parseRetryAfter(h({ 'Retry-After': ' 0 ' }), NOW), 0);
    assert.equal(parseRetryAfter(h({ 'Retry-After': '1.5' }), NOW), 1500);
  });
  it('reads an HTTP date in the future as the time until it', () => {
    const at = new Date(NOW + 12_000).toUTCString();
    assert.equal(parseRetryAfter(h({ 'Retry-After': at }), NOW), 12_000);
  });
  it('reads an HTTP date in the past (or a negative number) as 0', () => {
    assert.equal(parseRetryAfter(h({ 'Retry-After': new Date(NOW - 60_000).toUTCString() }), NOW), 0);
    assert.equal(parseRetryAfter(h({ 'Retry-After': '-3' }), NOW), 0);
  });
  it('prefers retry-after-ms and x-ms-retry-after-ms', () => {
    assert.equal(parseRetryAfter(h({ 'retry-after-ms': '250', 'Retry-After': '9' }), NOW), 250);
    assert.equal(parseRetryAfter(h({ 'x-ms-retry-after-ms': '40' }), NOW), 40);
  });
  it('is undefined when absent or unreadable', () => {
    assert.equal(parseRetryAfter(h({}), NOW), undefined);
    assert.equal(parseRetryAfter(undefined, NOW), undefined);
    assert.equal(parseRetryAfter(h({ 'Retry-After': 'soon' }), NOW), undefined);
    assert.equal(parseRetryAfter(h({ 'Retry-After': '' }), NOW), undefined);
  });
});

describe('throttlingRetryStrategy', () => {
  const strategy = (o: Parameters<typeof throttlingRetryStrategy>[0] = {}) =>
    throttlingRetryStrategy({ random: () => 1, now: () => NOW, retryDelayInMs: 100, maxRetryDelayInMs: 10_000, maxRetries: 3, ...o });

  it('retries 429, 503 and 504 only', () => {
    assert.deepEqual([...RETRYABLE_STATUSES].sort(), [429, 503, 504]);
    for (const status of [400, 401, 403, 404, 410, 500, 502]) {
      assert.deepEqual(strategy().decide({ attempt: 0, status, headers: h({ 'Retry-After': '1' }) }), { retry: false }, String(status));
    }
    for (const status of [429, 503, 504]) assert.equal(strategy().decide({ attempt: 0, status, headers: h({}) }).retry, true);
  });
  it('waits what Retry-After says, in every form', () => {
    const s = strategy();
    assert.deepEqual(s.decide({ attempt: 0, status: 429, headers: h({ 'Retry-After': '2' }) }), { retry: true, delayInMs: 2000, reason: 'retry-after' });
    assert.deepEqual(s.decide({ attempt: 1, status: 503, headers: h({ 'Retry-After': new Date(NOW + 3000).toUTCString() }) }), {
      retry: true,
      delayInMs: 3000,
      reason: 'retry-after',
    });
    assert.deepEqual(s.decide({ attempt: 0, status: 429, headers: h({ 'Retry-After': '0' }) }), { retry: true, delayInMs: 0, reason: 'retry-after' });
    assert.deepEqual(s.decide({ attempt: 0, status: 429, headers: h({ 'retry-after-ms': '15' }) }), { retry: true, delayInMs: 15, reason: 'retry-after' });
  });
  it('caps Retry-After at maxRetryDelayInMs', () => {
    const d = strategy({ maxRetryDelayInMs: 500 }).decide({ attempt: 0, status: 429, headers: h({ 'Retry-After': '3600' }) });
    assert.deepEqual(d, { retry: true, delayInMs: 500, reason: 'retry-after' });
  });
  it('backs off exponentially with jitter when Retry-After is absent or unreadable', () => {
    const s = strategy({ random: () => 1 });
    assert.deepEqual(
      [0, 1, 2].map((attempt) => s.decide({ attempt, status: 503, headers: h({}) })),
      [100, 200, 400].map((delayInMs) => ({ retry: true, delayInMs, reason: 'backoff' })),
    );
    const low = strategy({ random: () => 0 }).decide({ attempt: 2, status: 504, headers: h({ 'Retry-After': 'later' }) });
    assert.deepEqual(low, { retry: true, delayInMs: 200, reason: 'backoff' });
    const capped = strategy({ maxRetries: 20, maxRetryDelayInMs: 1000 }).decide({ attempt: 15, status: 429, headers: h({}) });
    assert.deepEqual(capped, { retry: true, delayInMs: 1000, reason: 'backoff' });
  });
  it('stops after maxRetries', () => {
    const s = strategy({ maxRetries: 2 });
    assert.equal(s.decide({ attempt: 1, status: 429, headers: h({ 'Retry-After': '1' }) }).retry, true);
    assert.deepEqual(s.decide({ attempt: 2, status: 429, headers: h({ 'Retry-After': '1' }) }), { retry: false });
    assert.deepEqual(strategy({ maxRetries: 0 }).decide({ attempt: 0, status: 503 }), { retry: false });
  });
  it('retries network failures with backoff, not aborts', () => {
    const s = strategy();
    const failed = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    assert.deepEqual(s.decide({ attempt: 0, error: failed }), { retry: true, delayInMs: 100, reason: 'backoff' });
    assert.deepEqual(s.decide({ attempt: 0, error: new DOMException('aborted', 'AbortError') }), { retry: false });
    assert.deepEqual(s.decide({ attempt: 0, error: new Error('something else') }), { retry: false });
  });
});
