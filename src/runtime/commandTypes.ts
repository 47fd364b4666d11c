/**
 * The command API's types: what a handler receives and what a command returns.
 */
import type { CommandStatus, Outcome, OutcomeCounts } from '../../machines/index.js';

/** A command as a leaf's handler sees it. */
export interface Command<P = unknown> {
  /** Unique id of this command (the same at every leaf). */
  readonly id: string;
  readonly name: string;
  readonly payload: P;
}

/** What a handler learns about where and how it runs. */
export interface HandlerContext {
  /** The leaf running the handler. */
  readonly nodeId: string;
  /** Fires on the command's deadline and on an `abort` shutdown. */
  readonly signal: AbortSignal;
  /** 1 for the first run; higher when a retriable error is retried. */
  readonly attempt: number;
  /** Clock time by which the leaf must answer, ms. */
  readonly deadline: number;
}

/**
 * Runs a command at a leaf. Resolve with a result (sent up as the leaf's outcome) or throw.
 * An error with `retriable: true` is retried with backoff (policy.retry), unless its `code`
 * is in `policy.retry.nonRetriableCodes`.
 */
export type CommandHandler = (command: Command, context: HandlerContext) => unknown;

/** Options of one command. */
export interface CommandOptions {
  /** Budget from issue to result, ms. Default `policy.timeouts.commandMs` (30 000). */
  readonly timeoutMs?: number;
}

/** A command's aggregated result, accounting for every leaf. */
export interface CommandResult {
  readonly commandId: string;
  /** `completed`: every leaf completed; `partial`: some did; `failed`: none did. */
  readonly status: CommandStatus;
  /** Leaves by outcome; they add up to the leaves the tree knows of. */
  readonly counts: Readonly<OutcomeCounts>;
  /**
   * Per node: each leaf that ran (completed or failed), and each subtree that did not
   * (skipped or timed out, keyed by its root, with its leaf count).
   */
  readonly outcomes: ReadonlyMap<string, Outcome>;
}
