/**
 * What a node remembers to act at most once: envelope ids and command ids it has seen, within
 * bounded windows, and the final answers of its latest commands, to repeat to a duplicate.
 */
import type { CommandReply } from '../../machines/index.js';

/** Command ids (and envelope ids) remembered per node: a command among them never runs again. */
export const DEDUP_WINDOW = 1_024;

/**
 * Final answers kept per node to repeat to a duplicate. Fewer than the ids: a coordinator's
 * answer carries every outcome of its subtree. A duplicate of an older command is dropped.
 */
export const REPLAY_WINDOW = 16;

/** A command's final answer. */
export type Reply = CommandReply;

function remember<V>(map: Map<string, V>, key: string, value: V, window: number): void {
  map.set(key, value);
  if (map.size > window) map.delete(map.keys().next().value!);
}

/**
 * One node's memory of what it already did. Its maps are built on first use: most nodes of a
 * large tree never see a command twice, and an empty map still costs about 200 bytes.
 */
export class DedupMemory {
  private envelopes: Map<string, true> | null = null;
  private finished: Map<string, true> | null = null;
  private replies: Map<string, Reply> | null = null;

  /** Records an envelope id; true if it was seen before. */
  seenEnvelope(id: string): boolean {
    if (this.envelopes?.has(id)) return true;
    remember((this.envelopes ??= new Map<string, true>()), id, true, DEDUP_WINDOW);
    return false;
  }

  /** Whether a command already finished here. */
  finishedCommand(commandId: string): boolean {
    return this.finished?.has(commandId) ?? false;
  }

  /** The answer to repeat for a finished command, while it is recent enough. */
  replyOf(commandId: string): Reply | undefined {
    return this.replies?.get(commandId);
  }

  /** A command finished with `reply`. */
  finish(commandId: string, reply: Reply): void {
    remember((this.finished ??= new Map<string, true>()), commandId, true, DEDUP_WINDOW);
    remember((this.replies ??= new Map<string, Reply>()), commandId, reply, REPLAY_WINDOW);
  }
}
