import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';

describe('machines', () => {
  it('should build both statecharts and start each in its initial state', async () => {
    // Arrange: imported here, not at the top, so that a chart that cannot be built (a target or
    // initial state that does not resolve) fails this test instead of stopping the file loading.
    const { nodeMachine, supervisorMachine } = await import('../../../machines/index.js');
    const degradation = { maxUnavailable: 1, minAvailable: 0 };
    const restartBudget = { maxRestarts: 1, windowMs: 1_000 };
    // Act
    const node = createActor(nodeMachine, {
      input: {
        shape: { id: 'n', children: [{ id: 'a' }] },
        parentId: 'p',
        policy: {
          degradation,
          restartBudget,
          initTimeoutMs: 1_000,
          ackTimeoutMs: 100,
          retryInitialDelayMs: 100,
          retryFactor: 2,
          retryMaxDelayMs: 400,
        },
      },
    }).start();
    const supervisor = createActor(supervisorMachine, {
      input: { nodeId: 'n', degradation, restartBudget },
    }).start();
    // Assert
    expect(node.getSnapshot().value).toEqual({ DISCONNECTED: 'idle' });
    expect(supervisor.getSnapshot().value).toBe('supervising');
    node.stop();
    supervisor.stop();
  });
});
