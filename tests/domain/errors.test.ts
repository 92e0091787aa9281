import assert from 'node:assert/strict';
import { AppError, isAppError } from '../../src/domain/errors.ts';

describe('AppError', () => {
  it('maps codes to HTTP statuses and keeps details', () => {
    const e = new AppError('PLAN_HAS_ERRORS', 'plan has errors', { planId: 'p1' });
    assert.equal(e.status, 422);
    assert.equal(e.code, 'PLAN_HAS_ERRORS');
    assert.deepEqual(e.details, { planId: 'p1' });
    assert.ok(isAppError(e));
    assert.ok(!isAppError(new Error('x')));
  });
});
