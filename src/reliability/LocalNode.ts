/**
 * What the reliable transport keeps for one local node: its inbox while attached, and its link
 * with each peer it exchanged envelopes with.
 */
import type { Inbox } from '../transport/Transport.js';
import { PeerLink } from './PeerLink.js';

/** One local node's link state. */
export class LocalNode {
  /** The node's inbox while attached (replaced by a later attach, `null` once detached). */
  inbox: Inbox | null = null;
  /** Links by peer id. */
  readonly links = new Map<string, PeerLink>();

  constructor(readonly id: string) {}

  /** The link with `peer`, created on first need. */
  linkTo(peer: string): PeerLink {
    let link = this.links.get(peer);
    if (link === undefined) {
      link = new PeerLink(this.id, peer);
      this.links.set(peer, link);
    }
    return link;
  }

  /** Drops every link (clearing their timers) and detaches the inbox. */
  forget(): void {
    this.inbox = null;
    for (const link of this.links.values()) link.drop();
    this.links.clear();
  }
}
