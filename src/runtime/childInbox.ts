/**
 * What a node does with an envelope from one of its children, once it passed the endpoint's
 * fencing (known sender, current session, current or newer epoch): reports, acknowledgements,
 * errors and answers, each to the part of the node that keeps it.
 */
import {
  isAvailableState,
  type AnyEnvelope,
  type CoordinationState,
} from '../../machines/index.js';
import type { ChildLinks } from './ChildLinks.js';
import type { Link } from './Link.js';
import type { CommandEngine } from './CommandEngine.js';
import type { TreeKernel } from './TreeKernel.js';

/** What a child's envelope reaches in its parent. */
export interface ChildInboxHost {
  readonly kernel: TreeKernel;
  readonly nodeId: string;
  readonly children: ChildLinks;
  readonly commands: CommandEngine;
  childGone(childId: string): void;
  childShutdownComplete(link: Link, forcedBelow: number): void;
}

/** Handles one envelope from the child behind `link`. */
export function fromChild(host: ChildInboxHost, link: Link, envelope: AnyEnvelope): void {
  switch (envelope.kind) {
    case 'COORD_READY':
    case 'COORD_STATUS': {
      const body = envelope.body;
      const sync = 'sync' in body ? body.sync : undefined;
      const incarnation = 'incarnation' in body ? body.incarnation : sync?.incarnation;
      if (incarnation !== undefined) host.children.incarnationSeen(link, incarnation);
      const wasAvailable = isAvailableState(link.state as CoordinationState);
      host.children.reported(link, body.state, body.subtree);
      if (sync) return host.commands.fanOut.onSync(link, sync);
      if (!wasAvailable) host.commands.fanOut.childBack(link);
      return;
    }
    case 'COORD_ACK':
      if (host.children.acknowledged(link, envelope.body.ackOf)) return;
      return host.commands.fanOut.onAck(link.childId, envelope.body.ackOf);
    case 'COORD_ERROR':
      if (envelope.body.code === 'NOT_INITIALIZED') {
        // The child restarted fresh: nothing runs there, nothing to shut down.
        host.children.set(link, 'DISCONNECTED');
        host.children.finishRemoval(link);
        host.childGone(link.childId);
      } else if (envelope.body.scope === 'node' && envelope.body.commandId === undefined) {
        // Its INIT failed: the next INIT round (or recovery round) tries again if retriable.
        if (envelope.body.retriable) host.children.initRefused(link);
        host.children.set(link, 'FAILED');
      }
      if (envelope.body.commandId !== undefined)
        host.commands.fanOut.onChildError(link, envelope.body);
      return;
    case 'COORD_COMPLETE':
      if (envelope.body.of === 'command')
        return host.commands.fanOut.onChildComplete(link, envelope.body);
      return host.childShutdownComplete(link, envelope.body.forced);
    default:
      return host.kernel.drop(host.nodeId, 'unknown-sender', envelope);
  }
}
