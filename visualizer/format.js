/**
 * How numbers, times, results and nodes read on the page.
 */
import { breakdown, displayState } from './model.js';

/** `11,111` */
export function formatCount(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Clock time as shown: time of day for wall-clock times, else seconds of the tree's clock. */
export function formatTime(at) {
  if (typeof at !== 'number' || !Number.isFinite(at)) return '';
  if (at > 1e11) {
    const date = new Date(at);
    const pad = (n, w = 2) => String(n).padStart(w, '0');
    return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
  }
  return `${(at / 1000).toFixed(3)}s`;
}

/** `7 completed, 0 failed, 0 skipped, 0 timed out` */
export function countsText(counts) {
  const n = (key) => Number(counts?.[key] ?? 0);
  return `${n('completed')} completed, ${n('failed')} failed, ${n('skipped')} skipped, ${n('timedOut')} timed out`;
}

/** Tooltip text for a node. */
export function describeNode(node) {
  const lines = [`${node.id}`, `${displayState(node)}${node.alive ? '' : ' (killed)'}`];
  if (node.reason) lines.push(`reason: ${node.reason}`);
  if (node.remote) lines.push(`remote: ${formatCount(node.subtree?.nodes ?? 0)} nodes reported`);
  if (node.children.length > 0) {
    lines.push(
      `${formatCount(node.children.length)} children, ${formatCount(node.belowTotal)} below`,
    );
    const parts = breakdown(node.below, node.belowKilled);
    lines.push(parts.map(([label, n]) => `${formatCount(n)} ${label}`).join(' · '));
  }
  return lines;
}
