/**
 * The statechart policy the machine tests share. Delays in simulated ms: INIT resends 100, 200,
 * 400 (capped), recovery rounds the same; a 1 s init budget; 3 restarts per 10 s.
 */
import type { NodeMachinePolicy } from '../../machines/index.js';

export const machineTestPolicy: NodeMachinePolicy = {
  degradation: { maxUnavailable: { ratio: 0.5 }, minAvailable: 0 },
  restartBudget: { maxRestarts: 3, windowMs: 10_000 },
  initTimeoutMs: 1_000,
  ackTimeoutMs: 100,
  retryInitialDelayMs: 100,
  retryFactor: 2,
  retryMaxDelayMs: 400,
};
