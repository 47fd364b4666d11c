/**
 * Coordination policy: every knob of the protocol, with its unit and default, and the
 * validation that refuses a bad value with a message saying which and why.
 */
import type { DegradationPolicy, NodeMachinePolicy, RestartBudget } from '../../machines/index.js';
import { InvalidPolicyError } from '../errors.js';

/** Timeouts per phase, all in ms. */
export interface TimeoutPolicy {
  /**
   * Budget for a node to bring its whole subtree up (INIT → READY), ms. Default 10 000, or
   * {@link SCALED_TIMEOUT_MS_PER_NODE} per node of the tree if that is more (27 778 at
   * 111 111 nodes): a large tree takes longer to start.
   */
  readonly initMs?: number;
  /** Default budget of a command, root to leaves and back, ms. Default 30 000. */
  readonly commandMs?: number;
  /** How long a parent waits for a child's COORD_ACK of a command before it deems the child unreachable, ms. Default 2 000. */
  readonly ackMs?: number;
  /**
   * Silence after which a child is suspected whatever the failure detector has learned, ms; at
   * least twice `heartbeat.maxIntervalMs`. Default the larger of 10 000 and 3 × `maxIntervalMs`.
   */
  readonly heartbeatMs?: number;
  /**
   * Budget of a graceful shutdown; stragglers are force-stopped past it, ms. Default 10 000,
   * or {@link SCALED_TIMEOUT_MS_PER_NODE} per node of the tree if that is more.
   */
  readonly shutdownMs?: number;
}

/** Retry with exponential backoff and jitter: INIT rounds, recovery rounds and leaf handlers. */
export interface RetryPolicy {
  /** First delay, ms. Default 100. */
  readonly initialDelayMs?: number;
  /** Multiplier per attempt. Default 2. */
  readonly factor?: number;
  /** Cap on a delay, ms. Default 5 000. */
  readonly maxDelayMs?: number;
  /**
   * Most runs of a leaf handler for one command. Default 1: a handler runs at most once per
   * command. Above 1, a handler that throws an error marked `retriable: true` (its effect did
   * not happen) is run again after a backoff delay, within the command's deadline.
   */
  readonly maxAttempts?: number;
  /** Random spread of each delay, as a ratio of it (0.2: ±20 %). Default 0.2. */
  readonly jitter?: number;
  /** Handler error codes (`error.code`) never retried, even if marked retriable. Default none. */
  readonly nonRetriableCodes?: readonly string[];
}

/**
 * Heartbeats and failure detection. One round per coordinator (all on one clock timer per
 * tree) pings the children that have been quiet; a phi-accrual detector over their inter-arrival times decides when one is suspected.
 * The interval stretches while every child is healthy and shrinks while one is suspected.
 */
export interface HeartbeatPolicy {
  /** First interval between heartbeat rounds, ms. Default 1 000. */
  readonly intervalMs?: number;
  /** Shortest interval, approached (halving per round) while a child is suspected, ms. Default `intervalMs / 2`. */
  readonly minIntervalMs?: number;
  /** Longest interval, approached while every child is healthy, ms. Default `intervalMs × 2`. */
  readonly maxIntervalMs?: number;
  /** Growth of the interval per round with every child healthy. Default 1.25. */
  readonly stretchFactor?: number;
  /** Suspicion level (phi) at which a child is suspected: 8 means a 10⁻⁸ chance it is merely late. Default 8. */
  readonly phiThreshold?: number;
  /** Floor of the detector's standard deviation of inter-arrival times, ms. Default 100. */
  readonly minStdDevMs?: number;
  /** Pause the detector tolerates beyond the mean interval (GC, a busy event loop, jitter), ms. Default 3 000. */
  readonly acceptablePauseMs?: number;
}

/** Batching of commands sent to one child. */
export interface BatchingPolicy {
  /** Most commands in one COORD_COMMAND envelope. Default 64. */
  readonly maxBatchSize?: number;
  /** Wait before a batch is sent, ms; 0 sends at the end of the current tick. Default 0. */
  readonly maxDelayMs?: number;
}

/** Concurrency at one node. */
export interface ConcurrencyPolicy {
  /** Most commands a node runs (leaf) or has in flight (coordinator) at once; more wait in order. Default 16. */
  readonly maxInFlight?: number;
}

/** Everything configurable, all optional. */
export interface CoordinationPolicy {
  readonly timeouts?: TimeoutPolicy;
  readonly retry?: RetryPolicy;
  readonly heartbeat?: HeartbeatPolicy;
  /** Default `{ maxUnavailable: { ratio: 0.5 }, minAvailable: 0 }`. */
  readonly degradation?: Partial<DegradationPolicy>;
  /** Default `{ maxRestarts: 10, windowMs: 60 000 }`. */
  readonly restartBudget?: Partial<RestartBudget>;
  readonly batching?: BatchingPolicy;
  readonly concurrency?: ConcurrencyPolicy;
}

/** A policy with every default applied. */
export interface ResolvedPolicy {
  readonly timeouts: Required<TimeoutPolicy>;
  readonly retry: Required<RetryPolicy>;
  readonly heartbeat: Required<HeartbeatPolicy>;
  readonly degradation: DegradationPolicy;
  readonly restartBudget: RestartBudget;
  readonly batching: Required<BatchingPolicy>;
  readonly concurrency: Required<ConcurrencyPolicy>;
  /** The subset the node statechart reads. */
  readonly machine: NodeMachinePolicy;
}

/** The defaults, documented above field by field. */
export const DEFAULT_POLICY = {
  timeouts: {
    initMs: 10_000,
    commandMs: 30_000,
    ackMs: 2_000,
    heartbeatMs: 10_000,
    shutdownMs: 10_000,
  },
  retry: {
    initialDelayMs: 100,
    factor: 2,
    maxDelayMs: 5_000,
    maxAttempts: 1,
    jitter: 0.2,
    nonRetriableCodes: [],
  },
  heartbeat: {
    intervalMs: 1_000,
    minIntervalMs: 500,
    maxIntervalMs: 2_000,
    stretchFactor: 1.25,
    phiThreshold: 8,
    minStdDevMs: 100,
    acceptablePauseMs: 3_000,
  },
  degradation: { maxUnavailable: { ratio: 0.5 }, minAvailable: 0 },
  restartBudget: { maxRestarts: 10, windowMs: 60_000 },
  batching: { maxBatchSize: 64, maxDelayMs: 0 },
  concurrency: { maxInFlight: 16 },
} as const satisfies Omit<ResolvedPolicy, 'machine'>;

type Check = 'ms' | 'positiveMs' | 'positive' | 'count' | 'positiveCount' | 'ratio' | 'factor';

function check(path: string, value: unknown, kind: Check): void {
  const fail = (what: string): never => {
    throw new InvalidPolicyError(`policy.${path} must be ${what}; got ${String(value)}.`);
  };
  if (typeof value !== 'number' || !Number.isFinite(value)) fail('a finite number');
  const n = value as number;
  switch (kind) {
    case 'ms':
      if (n < 0) fail('a duration ≥ 0 (ms)');
      break;
    case 'positiveMs':
      if (n <= 0) fail('a duration > 0 (ms)');
      break;
    case 'positive':
      if (n <= 0) fail('a number > 0');
      break;
    case 'count':
      if (!Number.isInteger(n) || n < 0) fail('an integer ≥ 0');
      break;
    case 'positiveCount':
      if (!Number.isInteger(n) || n < 1) fail('an integer ≥ 1');
      break;
    case 'ratio':
      if (n < 0 || n > 1) fail('a ratio between 0 and 1');
      break;
    case 'factor':
      if (n < 1) fail('a factor ≥ 1');
      break;
  }
}

/**
 * What the default `initMs` and `shutdownMs` allow per node of the tree, ms, where that is more
 * than their fixed defaults. Starting or draining a tree in one process costs CPU per node
 * (about 0.12 ms each at 111 111 nodes on a 2-core machine); this leaves twice that.
 */
export const SCALED_TIMEOUT_MS_PER_NODE = 0.25;

/**
 * What the defaults depend on: the number of nodes in the tree's spec, counted once when the
 * tree is created (nodes added later do not raise the budgets).
 */
export interface PolicyScale {
  readonly nodes: number;
}

/**
 * Applies the defaults to `input` (the start and shutdown budgets scaled to `scale.nodes`) and
 * validates every value.
 * @throws InvalidPolicyError naming the field, the rule and the value.
 */
export function resolvePolicy(
  input: CoordinationPolicy = {},
  scale: PolicyScale = { nodes: 1 },
): ResolvedPolicy {
  if (!Number.isInteger(scale.nodes) || scale.nodes < 1) {
    throw new InvalidPolicyError(
      `resolvePolicy's scale.nodes must be the tree's number of nodes, an integer ≥ 1; got ${String(scale.nodes)}.`,
    );
  }
  const scaledMs = (fixedMs: number): number =>
    Math.max(fixedMs, Math.ceil(scale.nodes * SCALED_TIMEOUT_MS_PER_NODE));
  const intervalMs = input.heartbeat?.intervalMs ?? DEFAULT_POLICY.heartbeat.intervalMs;
  const heartbeat = {
    ...DEFAULT_POLICY.heartbeat,
    minIntervalMs: intervalMs / 2,
    maxIntervalMs: intervalMs * 2,
    ...input.heartbeat,
  };
  const timeouts = {
    ...DEFAULT_POLICY.timeouts,
    initMs: scaledMs(DEFAULT_POLICY.timeouts.initMs),
    shutdownMs: scaledMs(DEFAULT_POLICY.timeouts.shutdownMs),
    heartbeatMs: Math.max(DEFAULT_POLICY.timeouts.heartbeatMs, 3 * heartbeat.maxIntervalMs),
    ...input.timeouts,
  };
  const retry = { ...DEFAULT_POLICY.retry, ...input.retry };
  const degradation = { ...DEFAULT_POLICY.degradation, ...input.degradation };
  const restartBudget = { ...DEFAULT_POLICY.restartBudget, ...input.restartBudget };
  const batching = { ...DEFAULT_POLICY.batching, ...input.batching };
  const concurrency = { ...DEFAULT_POLICY.concurrency, ...input.concurrency };

  check('heartbeat.intervalMs', heartbeat.intervalMs, 'positiveMs');
  check('heartbeat.minIntervalMs', heartbeat.minIntervalMs, 'positiveMs');
  check('heartbeat.maxIntervalMs', heartbeat.maxIntervalMs, 'positiveMs');
  if (
    heartbeat.minIntervalMs > heartbeat.intervalMs ||
    heartbeat.intervalMs > heartbeat.maxIntervalMs
  ) {
    throw new InvalidPolicyError(
      `policy.heartbeat needs minIntervalMs ≤ intervalMs ≤ maxIntervalMs; got ${heartbeat.minIntervalMs} ≤ ${heartbeat.intervalMs} ≤ ${heartbeat.maxIntervalMs} (ms).`,
    );
  }
  for (const key of ['initMs', 'commandMs', 'ackMs', 'heartbeatMs', 'shutdownMs'] as const) {
    check(`timeouts.${key}`, timeouts[key], 'positiveMs');
  }
  check('retry.initialDelayMs', retry.initialDelayMs, 'positiveMs');
  check('retry.factor', retry.factor, 'factor');
  check('retry.maxDelayMs', retry.maxDelayMs, 'positiveMs');
  check('retry.maxAttempts', retry.maxAttempts, 'positiveCount');
  check('retry.jitter', retry.jitter, 'ratio');
  if (!Array.isArray(retry.nonRetriableCodes)) {
    throw new InvalidPolicyError('policy.retry.nonRetriableCodes must be an array of strings.');
  }
  if (timeouts.heartbeatMs < 2 * heartbeat.maxIntervalMs) {
    throw new InvalidPolicyError(
      `policy.timeouts.heartbeatMs must be at least twice heartbeat.maxIntervalMs, or healthy children are suspected between two rounds; got ${timeouts.heartbeatMs} < 2 × ${heartbeat.maxIntervalMs} (ms). Raise heartbeatMs or lower maxIntervalMs.`,
    );
  }
  check('heartbeat.stretchFactor', heartbeat.stretchFactor, 'factor');
  check('heartbeat.phiThreshold', heartbeat.phiThreshold, 'positive');
  check('heartbeat.minStdDevMs', heartbeat.minStdDevMs, 'positiveMs');
  check('heartbeat.acceptablePauseMs', heartbeat.acceptablePauseMs, 'ms');
  if (typeof degradation.maxUnavailable === 'number') {
    check('degradation.maxUnavailable', degradation.maxUnavailable, 'count');
  } else {
    check('degradation.maxUnavailable.ratio', degradation.maxUnavailable.ratio, 'ratio');
  }
  check('degradation.minAvailable', degradation.minAvailable, 'count');
  check('restartBudget.maxRestarts', restartBudget.maxRestarts, 'count');
  check('restartBudget.windowMs', restartBudget.windowMs, 'positiveMs');
  check('batching.maxBatchSize', batching.maxBatchSize, 'positiveCount');
  check('batching.maxDelayMs', batching.maxDelayMs, 'ms');
  check('concurrency.maxInFlight', concurrency.maxInFlight, 'positiveCount');

  return {
    timeouts,
    retry,
    heartbeat,
    degradation,
    restartBudget,
    batching,
    concurrency,
    machine: {
      degradation,
      restartBudget,
      initTimeoutMs: timeouts.initMs,
      ackTimeoutMs: timeouts.ackMs,
      retryInitialDelayMs: retry.initialDelayMs,
      retryFactor: retry.factor,
      retryMaxDelayMs: retry.maxDelayMs,
    },
  };
}

/** Time budget handed to the next level down: 90 % of what is left, so a child answers before its parent gives up. */
export function childBudget(remainingMs: number): number {
  return Math.max(0, Math.floor(remainingMs * 0.9));
}
