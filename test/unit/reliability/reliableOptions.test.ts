import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RELIABLE_OPTIONS,
  resolveReliableOptions,
  type ReliableTransportOptions,
} from '../../../src/reliability/reliableOptions.js';
import { isInvalidPolicyError } from '../../helpers/imports.js';

/** The error `resolveReliableOptions(options)` throws, if any. */
function rejection(options: unknown): unknown {
  try {
    resolveReliableOptions(options as ReliableTransportOptions);
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('resolveReliableOptions', () => {
  it('should apply the documented defaults to absent and undefined options', () => {
    // Arrange: as a JavaScript caller may pass them
    const withUndefined: unknown = { window: 4, holdBack: undefined };
    // Act
    const none = resolveReliableOptions();
    const some = resolveReliableOptions(withUndefined as ReliableTransportOptions);
    // Assert
    expect(none).toEqual({
      resendInitialMs: 200,
      resendFactor: 2,
      resendMaxMs: 2_000,
      jitter: 0.2,
      giveUpAfterMs: 10_000,
      window: 256,
      holdBack: 1_024,
      streamsPerPeer: 8,
    });
    expect(some).toEqual({ ...DEFAULT_RELIABLE_OPTIONS, window: 4 });
  });

  it.each<ReliableTransportOptions>([
    { resendFactor: 1 },
    { jitter: 0 },
    { holdBack: 0 },
    { window: 1, streamsPerPeer: 1 },
    { resendInitialMs: 500, resendMaxMs: 500 },
    { resendInitialMs: 0.5, resendMaxMs: 0.5, giveUpAfterMs: 0.5 },
  ])('should accept the boundary values %o', (options) => {
    expect(resolveReliableOptions(options)).toMatchObject(options);
  });

  it.each<[unknown, string]>([
    [{ resendInitialMs: 0 }, 'options.resendInitialMs must be a duration > 0 (ms); got 0.'],
    [{ resendMaxMs: Infinity }, 'options.resendMaxMs must be a duration > 0 (ms); got Infinity.'],
    [{ giveUpAfterMs: 0 }, 'options.giveUpAfterMs must be a duration > 0 (ms) or Infinity; got 0.'],
    [
      { giveUpAfterMs: '5' },
      'options.giveUpAfterMs must be a duration > 0 (ms) or Infinity; got 5.',
    ],
    [{ resendFactor: Infinity }, 'options.resendFactor must be a finite factor ≥ 1; got Infinity.'],
    [{ jitter: -0.1 }, 'options.jitter must be a fraction in [0, 1); got -0.1.'],
    [{ jitter: '0.5' }, 'options.jitter must be a fraction in [0, 1); got 0.5.'],
    [{ holdBack: -1 }, 'options.holdBack must be an integer ≥ 0; got -1.'],
    [{ window: 2.5 }, 'options.window must be an integer ≥ 1; got 2.5.'],
    [null, 'ReliableTransport options must be an object; got null.'],
    [5, 'ReliableTransport options must be an object; got 5.'],
  ])('should reject %o, saying which rule it breaks', (options, message) => {
    // Act
    const error = rejection(options);
    // Assert
    expect(isInvalidPolicyError(error)).toBe(true);
    expect((error as Error).message).toBe(message);
  });
});
