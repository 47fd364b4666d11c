import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { startNatsServer } from '../helpers/natsServer.js';

describe('README', () => {
  it('should show the example exactly as examples/basic.ts, which runs', async () => {
    // Arrange
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../../examples/basic.ts', import.meta.url), 'utf8');
    expect(readme).toContain(example.trim());
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    // Act: real time, a few milliseconds
    await import('../../examples/basic.js');
    // Assert
    const calls = log.mock.calls;
    log.mockRestore();
    expect(calls).toContainEqual(['root is', 'SYNCHRONIZED']);
    expect(calls).toContainEqual([
      'completed',
      { completed: 3, failed: 0, skipped: 0, timedOut: 0 },
    ]);
    expect(calls).toContainEqual([{ status: 'completed', result: 'eu-1 deployed v3' }]);
  });
});

describe('README: running across machines', () => {
  it('should show examples/cluster.ts exactly, which runs against a real nats-server', async () => {
    // Arrange
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../../examples/cluster.ts', import.meta.url), 'utf8');
    expect(readme).toContain(example.trim());
    const server = await startNatsServer();
    process.env.NATS_URL = server.url;
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      // Act
      await import('../../examples/cluster.js');
      // Assert
      expect(log.mock.calls).toContainEqual([
        'root is',
        'SYNCHRONIZED',
        'and eu is',
        'SYNCHRONIZED',
      ]);
      expect(log.mock.calls).toContainEqual([{ completed: 3, failed: 0, skipped: 0, timedOut: 0 }]);
      expect(log.mock.calls).toContainEqual(['eu shut down:', true]);
    } finally {
      log.mockRestore();
      delete process.env.NATS_URL;
      await server.stop();
    }
  });
});
