/**
 * The visualizer's server without a browser: what the page receives and may do over its
 * WebSocket, and what the server refuses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startVisualizer, type Visualizer } from '../../src/viz/server.js';
import type { ServerMessage } from '../../src/viz/protocol.js';
import { createCoordinationTree, type CoordinationTree } from '../helpers/imports.js';
import { FaultInjectingTransport } from 'fractal-coord/testing';
import { InProcessTransport } from '../helpers/imports.js';

const spec = { id: 'root', children: [{ id: 'a', children: [{ id: 'a1' }] }, { id: 'b' }] };

/** A page's socket: every frame it got, and a way to wait for one. */
async function connectPage(url: string, origin?: string) {
  const frames: ServerMessage[] = [];
  const socket = new WebSocket(`${url.replace('http', 'ws')}events`, origin ? { origin } : {});
  socket.on('message', (data: Buffer) =>
    frames.push(JSON.parse(data.toString('utf8')) as ServerMessage),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.on('error', reject); // a refused handshake errors more than once
  });
  const frame = async <T extends ServerMessage['type']>(
    type: T,
    match: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true,
  ): Promise<Extract<ServerMessage, { type: T }>> => {
    for (let i = 0; i < 200; i++) {
      const found = frames.find(
        (m): m is Extract<ServerMessage, { type: T }> =>
          m.type === type && match(m as Extract<ServerMessage, { type: T }>),
      );
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no ${type} frame; got ${frames.map((m) => m.type).join(', ')}`);
  };
  return { socket, frames, frame };
}

describe('the visualizer server', () => {
  let tree: CoordinationTree;
  let visualizer: Visualizer;

  afterEach(async () => {
    await tree?.shutdown();
    await visualizer?.close();
  });

  it('should greet a page with the snapshot, stream events, and run its controls', async () => {
    // Arrange
    const faults = new FaultInjectingTransport(new InProcessTransport());
    tree = createCoordinationTree({ root: spec, handler: () => 'ok', transport: faults });
    visualizer = await startVisualizer({ tree, faults, treeName: 'test' });
    await tree.start();
    const page = await connectPage(visualizer.url);
    // Act
    const hello = await page.frame('hello');
    page.socket.send(JSON.stringify({ type: 'control', id: 1, action: 'command', name: 'go' }));
    page.socket.send(JSON.stringify({ type: 'control', id: 2, action: 'kill', nodeId: 'nope' }));
    const commanded = await page.frame('result', (m) => m.id === 1);
    const refused = await page.frame('result', (m) => m.id === 2);
    page.socket.send(
      JSON.stringify({ type: 'control', id: 3, action: 'partition', a: 'a', b: 'a1' }),
    );
    await page.frame('result', (m) => m.id === 3);
    const events = await page.frame('events', (m) => m.events.some((e) => e.type === 'command'));
    // Assert
    expect(hello.treeName).toBe('test');
    expect(hello.snapshot.nodes.a1!.state).toBe('SYNCHRONIZED');
    expect(hello.controls).toEqual(
      expect.arrayContaining(['command', 'kill', 'partition', 'heal']),
    );
    expect(commanded).toMatchObject({
      ok: true,
      value: {
        status: 'completed',
        counts: { completed: 2 },
        outcomes: { a1: { status: 'completed' } },
      },
    });
    expect(refused).toMatchObject({
      ok: false,
      error: expect.stringMatching(/Unknown node id "nope"/),
    });
    expect(events.events.length).toBeGreaterThan(0);
    page.socket.close();
    faults.healAll();
  });

  it('should offer nothing that changes the tree when read-only', async () => {
    // Arrange
    tree = createCoordinationTree({ root: spec, handler: () => 'ok' });
    visualizer = await startVisualizer({ tree, readOnly: true });
    await tree.start();
    const page = await connectPage(visualizer.url);
    // Act
    page.socket.send(JSON.stringify({ type: 'control', id: 1, action: 'shutdown' }));
    const result = await page.frame('result');
    // Assert
    expect((await page.frame('hello')).controls).toEqual(['snapshot']);
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/not offered/) });
    expect(tree.status).toBe('running');
    page.socket.close();
  });

  it('should refuse sockets from other sites and files outside the page', async () => {
    // Arrange
    tree = createCoordinationTree({ root: spec, handler: () => 'ok' });
    visualizer = await startVisualizer({ tree });
    // Act
    const foreign = connectPage(visualizer.url, 'http://evil.example').then(
      () => 'connected',
      (error: Error) => error.message,
    );
    const page = await fetch(visualizer.url);
    const d3 = await fetch(`${visualizer.url}vendor/d3-hierarchy.js`);
    const outside = await fetch(`${visualizer.url}..%2f..%2fpackage.json`);
    // Assert
    expect(await foreign).toMatch(/401/);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<svg');
    expect(d3.status).toBe(200);
    expect([403, 404]).toContain(outside.status);
  });
});
