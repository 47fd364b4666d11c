import { describe, expect, it } from 'vitest';
import { backoffDelay, initRetryDelay, type NodeMachinePolicy } from '../../../machines/index.js';

const policy: NodeMachinePolicy = {
  degradation: { maxUnavailable: 0, minAvailable: 0 },
  restartBudget: { maxRestarts: 1, windowMs: 1_000 },
  initTimeoutMs: 5_000,
  ackTimeoutMs: 150,
  retryInitialDelayMs: 50,
  retryFactor: 3,
  retryMaxDelayMs: 1_000,
};

describe('backoffDelay', () => {
  it('should grow from the initial delay by the factor, up to the maximum', () => {
    // Act
    const delays = [0, 1, 2, 3, 4].map((attempt) => backoffDelay(policy, attempt));
    // Assert
    expect(delays).toEqual([50, 150, 450, 1_000, 1_000]);
  });
});

describe('initRetryDelay', () => {
  it('should start at the ack timeout and grow by the factor, up to the maximum', () => {
    // Act
    const delays = [0, 1, 2, 3].map((attempt) => initRetryDelay(policy, attempt));
    // Assert
    expect(delays).toEqual([150, 450, 1_000, 1_000]);
  });

  it('should never wait less than the ack timeout, even above the maximum delay', () => {
    // Arrange
    const slowAcks = { ...policy, ackTimeoutMs: 2_000 };
    // Act
    const delays = [0, 1].map((attempt) => initRetryDelay(slowAcks, attempt));
    // Assert
    expect(delays).toEqual([2_000, 2_000]);
  });
});
