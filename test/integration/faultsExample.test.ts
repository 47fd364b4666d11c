import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

describe('README: testing under faults', () => {
  it('should show examples/faults.ts exactly, which runs with no handler run twice', async () => {
    // Arrange
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../../examples/faults.ts', import.meta.url), 'utf8');
    expect(readme).toContain(example.trim());
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    // Act: real time, about a second
    await import('../../examples/faults.js');
    // Assert
    const calls = log.mock.calls;
    log.mockRestore();
    expect(calls[0]).toEqual(['completed']);
    expect(calls).toContainEqual(['most runs of one command at one leaf:', 1]);
    const applied = calls.at(-1)![0] as Record<string, number>;
    expect(applied).toMatchObject({ partition: 1, heal: 1 });
    expect(applied['drop']).toBeGreaterThan(0);
  });
});
