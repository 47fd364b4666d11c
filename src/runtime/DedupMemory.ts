/**
 * What a node remembers to act at most once: envelope ids and command ids it has seen, within
 * bounded windows, and the final answers of its latest commands, to repeat to a duplicate.
 */
import type { CommandReply } from '../../machines/index.js';
import { completedBody } from './leafHandler.js';

/**
 * Most command ids (and envelope ids) remembered per node, whatever their age: a backstop to
 * the time bound below.
 */
export const DEDUP_WINDOW = 1_024;

/**
 * How long after a command's deadline its ids are still remembered, ms. A parent resends a
 * command (or its envelope) only while it awaits it, which ends at its own deadline, a little
 * after the child's; a duplicate delayed in the network past this is not expected.
 */
export const DEDUP_GRACE_MS = 10_000;

/**
 * Final answers kept per node to repeat to a duplicate (and as many handler results, from which
 * a leaf's answers are rebuilt). Fewer than the ids: a coordinator's answer carries every
 * outcome of its subtree. A duplicate of an older command is dropped.
 */
export const REPLAY_WINDOW = 16;

/** A command's final answer. */
export type Reply = CommandReply;

/**
 * A time in whole seconds, rounded up: small enough to be stored without a box of its own (a
 * millisecond clock reading is not), which halves what an id costs to remember.
 */
const seconds = (ms: number): number => Math.ceil(ms / 1000);

/**
 * Records `key` until `expiresAt` (ms, kept to the second above), then forgets, oldest first,
 * what expired and what exceeds `window`. Entries go in by receipt, so the expired ones are
 * nearly always at the front.
 */
function remember(
  map: Map<string, number>,
  key: string,
  expiresAt: number,
  now: number,
  window: number,
): void {
  map.delete(key);
  map.set(key, seconds(expiresAt));
  const nowSeconds = now / 1000;
  for (const [oldest, expiry] of map) {
    if (map.size <= window && expiry > nowSeconds) break;
    map.delete(oldest);
  }
}

/** Records `key` → `value` as the newest entry, keeping the newest `REPLAY_WINDOW`. */
function keep<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > REPLAY_WINDOW) map.delete(map.keys().next().value!);
}

/**
 * One node's memory of what it already did: a command or an envelope is remembered until
 * `DEDUP_GRACE_MS` past its command's deadline (at most `DEDUP_WINDOW` of each), so that the
 * memory of a node stays small however many commands it has run. Its maps are built on first
 * use: an empty map still costs about 200 bytes.
 */
export class DedupMemory {
  private envelopes: Map<string, number> | null = null;
  private finished: Map<string, number> | null = null;
  private replies: Map<string, Reply> | null = null;
  /**
   * What handlers returned, for the commands a leaf completed: its answer is rebuilt from that
   * on a duplicate. The answer itself, its outcome list and wrapper, would cost several times
   * as much to keep, for every leaf and every command.
   */
  private results: Map<string, unknown> | null = null;

  /** Records an envelope id until `expiresAt` (ms); true if it was seen before. */
  seenEnvelope(id: string, expiresAt: number, now: number): boolean {
    if (this.envelopes?.has(id)) return true;
    remember((this.envelopes ??= new Map<string, number>()), id, expiresAt, now, DEDUP_WINDOW);
    return false;
  }

  /** Whether a command already finished here. */
  finishedCommand(commandId: string): boolean {
    return this.finished?.has(commandId) ?? false;
  }

  /** The answer `nodeId` gave, to repeat for a finished command, while it is recent enough. */
  replyOf(commandId: string, nodeId: string): Reply | undefined {
    const reply = this.replies?.get(commandId);
    if (reply !== undefined || !this.results?.has(commandId)) return reply;
    const result = this.results.get(commandId);
    return { kind: 'COORD_COMPLETE', body: completedBody(nodeId, commandId, result) };
  }

  /** A command finished with `reply`; remembered until `expiresAt` (ms). */
  finish(commandId: string, reply: Reply, expiresAt: number, now: number): void {
    this.finishedAt(commandId, expiresAt, now);
    keep((this.replies ??= new Map<string, Reply>()), commandId, reply);
  }

  /** A leaf's handler completed a command with `result`; remembered until `expiresAt` (ms). */
  finishCompleted(commandId: string, result: unknown, expiresAt: number, now: number): void {
    this.finishedAt(commandId, expiresAt, now);
    keep((this.results ??= new Map<string, unknown>()), commandId, result);
  }

  private finishedAt(commandId: string, expiresAt: number, now: number): void {
    remember(
      (this.finished ??= new Map<string, number>()),
      commandId,
      expiresAt,
      now,
      DEDUP_WINDOW,
    );
  }
}
