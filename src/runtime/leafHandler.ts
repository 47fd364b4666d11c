/**
 * A leaf running the user's handler for one command: the call itself (a synchronous throw
 * becomes a rejection), how its outcome is answered, and whether a failure is retried.
 */
import type { CommandSpec, MessageBodies } from '../../machines/index.js';
import type { HandlerContext } from './commandTypes.js';
import { signalOf, type Running } from './runningCommand.js';
import type { TreeKernel } from './TreeKernel.js';

/** How a handler run ended. */
export type HandlerOutcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * What one handler run is told. A class, so that its `signal` getter is shared on the prototype:
 * an object literal with a getter builds a new function per run, and runs slowly. The run is a
 * private field: the handler sees (and logs) only the context.
 */
class RunContext implements HandlerContext {
  readonly attempt: number;
  readonly deadline: number;
  readonly #run: Running;

  constructor(
    readonly nodeId: string,
    run: Running,
  ) {
    this.#run = run;
    this.attempt = run.attempt;
    this.deadline = run.deadlineAt;
  }

  /** Built on first read (most handlers never read it). */
  get signal(): AbortSignal {
    return signalOf(this.#run);
  }
}

/**
 * Calls the handler for `run`'s current attempt once; never throws. A handler that returns (or
 * throws) synchronously has its outcome now; one that returns a promise, when it settles.
 */
export function invokeHandler(
  kernel: TreeKernel,
  nodeId: string,
  run: Running,
): HandlerOutcome | Promise<HandlerOutcome> {
  kernel.stats.handlerRuns++;
  const spec: CommandSpec = run.spec;
  const command = { id: spec.commandId, name: spec.name, payload: spec.payload };
  const context = new RunContext(nodeId, run);
  let value: unknown;
  try {
    value = kernel.handler(command, context);
  } catch (error) {
    // The handler threw synchronously; keep whatever it threw, Error or not.
    return { ok: false, error };
  }
  if (!isThenable(value)) return { ok: true, value };
  return Promise.resolve(value).then(
    (settled) => ({ ok: true, value: settled }),
    (error: unknown) => ({ ok: false, error }),
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** A handler's error in protocol terms. */
export function describeError(error: unknown): {
  code: string;
  message: string;
  retriable: boolean;
} {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; message?: unknown; retriable?: unknown };
    return {
      code: typeof e.code === 'string' ? e.code : 'HANDLER_FAILED',
      message: typeof e.message === 'string' ? e.message : JSON.stringify(error),
      retriable: e.retriable === true,
    };
  }
  return { code: 'HANDLER_FAILED', message: String(error), retriable: false };
}

/**
 * The delay before running the handler again after `error` on attempt `attempt`, in ms, or
 * null: retried only if marked retriable, not of a non-retriable code, within
 * `retry.maxAttempts`, and before the command's deadline.
 */
export function handlerRetryDelay(
  kernel: TreeKernel,
  error: ReturnType<typeof describeError>,
  attempt: number,
  deadlineAt: number,
): number | null {
  const retry = kernel.policy.retry;
  if (
    !error.retriable ||
    retry.nonRetriableCodes.includes(error.code) ||
    attempt >= retry.maxAttempts
  ) {
    return null;
  }
  const delay = kernel.jittered(
    Math.min(retry.maxDelayMs, retry.initialDelayMs * retry.factor ** (attempt - 1)),
  );
  return kernel.now() + delay < deadlineAt ? delay : null;
}

/** A leaf's counts for one completed run, and its outcome when it returned nothing: shared. */
const ONE_COMPLETED = Object.freeze({ completed: 1, failed: 0, skipped: 0, timedOut: 0 });
const COMPLETED = Object.freeze({ status: 'completed' as const });

/**
 * A leaf's answer for a handler that returned `value`. Kept for replay until the command's
 * deadline has long passed, so it shares what it can (answers are never mutated).
 */
export function completedBody(
  nodeId: string,
  commandId: string,
  value: unknown,
): MessageBodies['COORD_COMPLETE'] {
  return {
    of: 'command',
    commandId,
    counts: ONE_COMPLETED,
    outcomes: [[nodeId, value === undefined ? COMPLETED : { status: 'completed', result: value }]],
  };
}
