/**
 * What the visualizer page and its server say to each other over one WebSocket (`/events`),
 * as JSON text frames. The page sees the runtime only through this: the tree's public event
 * stream and snapshot, and the public API calls its controls map to. A tree in the same
 * process or spread over NATS looks the same from here.
 */
import type { TreeEvent } from '../runtime/events.js';
import type { TreeSnapshot } from '../runtime/treeTypes.js';

/** The controls a server offers (a tree without a fault injector offers no partition/heal). */
export type ControlAction =
  'command' | 'kill' | 'revive' | 'recover' | 'partition' | 'heal' | 'shutdown' | 'snapshot';

/** Server → page. */
export type ServerMessage =
  /** First frame after the page connects: the whole tree now, and what it may ask for. */
  | {
      readonly type: 'hello';
      readonly treeName: string;
      readonly snapshot: TreeSnapshot;
      readonly controls: readonly ControlAction[];
    }
  /**
   * Events since the last frame, oldest first, sent at most every `batchMs` (100 ms). Every
   * event but `message` is sent; `message` events (every envelope) are sampled: at most
   * `MESSAGES_PER_BATCH` per frame, the rest counted in `messagesSkipped`.
   */
  | {
      readonly type: 'events';
      readonly events: readonly TreeEvent[];
      readonly messagesSkipped: number;
    }
  /** A fresh snapshot: after nodes were added or removed, and on request (`snapshot`). */
  | { readonly type: 'snapshot'; readonly snapshot: TreeSnapshot }
  /** The answer to a control request, by its id. `value` is the API call's result. */
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: string }
  /** The tree has shut down; nothing more will come. */
  | { readonly type: 'closed' };

/** Page → server: one control request; answered by a `result` with the same id. */
export type ClientMessage =
  | {
      readonly type: 'control';
      readonly id: number;
      readonly action: 'command';
      readonly name: string;
      readonly payload?: unknown;
    }
  | {
      readonly type: 'control';
      readonly id: number;
      readonly action: 'kill' | 'revive' | 'recover';
      readonly nodeId: string;
    }
  | {
      readonly type: 'control';
      readonly id: number;
      readonly action: 'partition' | 'heal';
      readonly a: string;
      readonly b: string;
      readonly oneWay?: boolean;
    }
  | {
      readonly type: 'control';
      readonly id: number;
      readonly action: 'shutdown' | 'snapshot';
    };

/** Most `message` events sent per `events` frame. */
export const MESSAGES_PER_BATCH = 40;
