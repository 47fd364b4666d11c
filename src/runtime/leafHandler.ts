/**
 * A leaf running the user's handler for one command: the call itself (a synchronous throw
 * becomes a rejection), how its outcome is answered, and whether a failure is retried.
 */
import type { CommandSpec, MessageBodies } from '../../machines/index.js';
import type { TreeKernel } from './TreeKernel.js';

/** How a handler run ended. */
export type HandlerOutcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** Calls the handler once; never throws. */
export function invokeHandler(
  kernel: TreeKernel,
  nodeId: string,
  spec: CommandSpec,
  run: { readonly signal: () => AbortSignal; readonly attempt: number; readonly deadline: number },
): Promise<HandlerOutcome> {
  kernel.stats.handlerRuns++;
  const command = { id: spec.commandId, name: spec.name, payload: spec.payload };
  const context = {
    nodeId,
    attempt: run.attempt,
    deadline: run.deadline,
    get signal(): AbortSignal {
      return run.signal();
    },
  };
  let result: Promise<unknown>;
  try {
    result = Promise.resolve(kernel.handler(command, context));
  } catch (error) {
    // The handler threw synchronously; keep whatever it threw, Error or not.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    result = Promise.reject(error);
  }
  return result.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
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

/** A leaf's answer for a handler that returned `value`. */
export function completedBody(
  nodeId: string,
  commandId: string,
  value: unknown,
): MessageBodies['COORD_COMPLETE'] {
  return {
    of: 'command',
    commandId,
    counts: { completed: 1, failed: 0, skipped: 0, timedOut: 0 },
    outcomes: [
      [
        nodeId,
        value === undefined ? { status: 'completed' } : { status: 'completed', result: value },
      ],
    ],
  };
}
