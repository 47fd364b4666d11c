/**
 * The participant side of a node toward its parent: where it is in the parent's session
 * (idle, answering an INIT, joined, leaving), and what it tells the parent about itself
 * (READY or ERROR to an INIT, STATUS on every change), coalesced to once per tick.
 */
import {
  isAvailableState,
  type AnyEnvelope,
  type CoordinationState,
  type MessageBodies,
  type MessageKind,
  type SubtreeCounts,
} from '../../machines/index.js';
import { sameCounts } from './subtreeCounts.js';

/** Not in a session, answering INIT, in one, leaving. */
export type JoinState = 'idle' | 'joining' | 'joined' | 'leaving';

/**
 * What a node without a session (it restarted fresh) answers its parent's envelope with: it
 * needs an INIT first. The error names the command the envelope carried, if any.
 */
export function notInitialized(
  nodeId: string,
  envelope: AnyEnvelope,
): MessageBodies['COORD_ERROR'] {
  return {
    scope: 'node',
    code: 'NOT_INITIALIZED',
    message: `${nodeId} has no session; send COORD_INIT first`,
    retriable: true,
    ...(envelope.kind === 'COORD_COMMAND' && envelope.body.commands[0]
      ? { commandId: envelope.body.commands[0].commandId }
      : {}),
  };
}

/** What the reports need from their node. */
export interface ParentReportsHost {
  readonly nodeId: string;
  readonly state: CoordinationState;
  readonly reason: string;
  readonly dead: boolean;
  readonly incarnation: string;
  subtree(): SubtreeCounts;
  sendToParent<K extends MessageKind>(kind: K, body: MessageBodies[K]): string;
}

/** One node's reports to its parent. */
export class ParentReports {
  private join: JoinState = 'idle';
  /** Answered READY once in this session: the parent has a view of this subtree to keep current. */
  private everJoined = false;
  private scheduled = false;
  /** What the parent was last told. */
  private lastState: CoordinationState | null = null;
  private lastSubtree: SubtreeCounts | null = null;

  constructor(private readonly host: ParentReportsHost) {}

  /** An INIT arrived: answer it (now if settled, else when the node settles). False if leaving. */
  initReceived(): boolean {
    if (this.join === 'leaving') return false;
    this.join = 'joining';
    if (isAvailableState(this.host.state)) this.changed();
    return true;
  }

  /** A SHUTDOWN arrived; false if the node was already leaving. */
  shutdownReceived(): boolean {
    if (this.join === 'leaving') return false;
    this.join = 'leaving';
    return true;
  }

  /** The node's state or subtree changed: report at the end of the tick. */
  changed(): void {
    if (this.scheduled || this.host.dead) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const host = this.host;
    if (host.dead) return;
    if (this.join === 'joining') {
      if (isAvailableState(host.state)) {
        this.join = 'joined';
        this.everJoined = true;
        const subtree = host.subtree();
        this.lastState = host.state;
        this.lastSubtree = subtree;
        host.sendToParent('COORD_READY', {
          state: host.state,
          subtree,
          incarnation: host.incarnation,
        });
        return;
      }
      if (host.state === 'FAILED') {
        this.join = 'idle';
        host.sendToParent('COORD_ERROR', {
          scope: 'node',
          code: 'INIT_FAILED',
          message: `${host.nodeId} failed to initialise: ${host.reason}`,
          retriable: true,
        });
        return;
      }
    }
    // A node reconnecting (or down) after it had joined keeps reporting changes of its
    // subtree: its link is unavailable anyway, and its parent's counts stay true.
    if (this.join === 'leaving' || (this.join !== 'joined' && !this.everJoined)) return;
    const subtree = host.subtree();
    if (host.state === this.lastState && this.lastSubtree && sameCounts(subtree, this.lastSubtree))
      return;
    this.lastState = host.state;
    this.lastSubtree = subtree;
    host.sendToParent('COORD_STATUS', { state: host.state, subtree });
  }
}
