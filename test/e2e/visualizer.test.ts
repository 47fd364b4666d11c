/// <reference lib="dom" />
/**
 * The visualizer end to end: the real demo server (`fractal-coord demo`, what `npm start`
 * runs) and Debian's Chromium, driven headless by playwright-core. Screenshots go to
 * `test-artifacts/`.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startCli, stopAll, type CliProcess } from '../helpers/hostProcess.js';

const ARTIFACTS = 'test-artifacts';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The colour a state has in the legend, as the browser computes it. */
function legendColour(page: Page, state: string): Promise<string> {
  return page
    .locator(`#legend .swatch[data-state="${state}"]`)
    .evaluate((el) => getComputedStyle(el).backgroundColor);
}

/** The fill of a node's shape, as the browser computes it. */
function nodeFill(page: Page, nodeId: string): Promise<string> {
  return page
    .locator(`g.node[data-node-id="${nodeId}"] .node-shape`)
    .first()
    .evaluate((el) => getComputedStyle(el).fill);
}

describe('the visualizer in Chromium', { timeout: 90_000 }, () => {
  let browser: Browser;
  const processes: CliProcess[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stopAll(processes);
  });

  const serve = async (args: string[], ready: RegExp): Promise<string> => {
    const server = startCli(args);
    processes.push(server);
    await server.waitFor(ready);
    return /visualizer: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(server.output())![1]!;
  };

  it('should show the demo tree, and turn a leaf killed from the page and its parent to the failed and degraded colours, and back on revive', async () => {
    // Arrange: the demo as `npm start` runs it, once its scenario is over
    const url = await serve(['demo', '--no-color'], /scenario done/);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
    const colours = {
      FAILED: await legendColour(page, 'FAILED'),
      DEGRADED: await legendColour(page, 'DEGRADED'),
      SYNCHRONIZED: await legendColour(page, 'SYNCHRONIZED'),
    };
    // Assert: every node appears, synchronized
    await expect.poll(() => page.locator('g.node').count()).toBe(11);
    await page.waitForSelector('g.node[data-node-id="eu"][data-state="SYNCHRONIZED"]');
    expect(await nodeFill(page, 'eu-2')).toBe(colours.SYNCHRONIZED);
    // Act: kill eu-2 from the page
    await page.locator('g.node[data-node-id="eu-2"] .node-shape').first().click();
    await expect.poll(() => page.locator('#selected-node').textContent()).toContain('eu-2');
    await page.click('#kill');
    // Assert
    await page.waitForSelector('g.node[data-node-id="eu-2"][data-alive="false"]');
    await page.waitForSelector('g.node[data-node-id="eu"][data-state="DEGRADED"]', {
      timeout: 15_000,
    });
    expect(await nodeFill(page, 'eu-2')).toBe(colours.FAILED);
    expect(await nodeFill(page, 'eu')).toBe(colours.DEGRADED);
    await page.screenshot({ path: `${ARTIFACTS}/visualizer-degraded.png` });
    // Act: revive it
    await page.click('#revive');
    // Assert
    await page.waitForSelector('g.node[data-node-id="eu-2"][data-state="SYNCHRONIZED"]', {
      timeout: 15_000,
    });
    await page.waitForSelector('g.node[data-node-id="eu"][data-state="SYNCHRONIZED"]', {
      timeout: 15_000,
    });
    expect(await nodeFill(page, 'eu-2')).toBe(colours.SYNCHRONIZED);
    expect(await nodeFill(page, 'eu')).toBe(colours.SYNCHRONIZED);
    // A command from the page
    await page.fill('#command-name', 'deploy');
    await page.click('#run-command');
    await expect
      .poll(() => page.locator('#last-result').textContent())
      .toMatch(/completed: 7 completed/);
    await page.screenshot({ path: `${ARTIFACTS}/visualizer.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('should render a tree of 11,111 nodes collapsed into roll-ups, and expand one on click', async () => {
    // Arrange
    const url = await serve(['viz', '--size', '11111'], /tree n: SYNCHRONIZED/);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // Act
    const started = Date.now();
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
    const readyMs = Date.now() - started;
    const shown = await page.locator('g.node').count();
    const collapsed = page.locator('g.node[data-collapsed="true"]');
    const before = await collapsed.count();
    const target = collapsed.first();
    const targetId = await target.getAttribute('data-node-id');
    await page.locator(`g.node[data-node-id="${targetId}"] .toggle`).first().click();
    // Assert
    console.log(
      `11,111 nodes: page ready in ${readyMs} ms, ${shown} nodes drawn, ${before} roll-ups`,
    );
    expect(shown).toBeGreaterThan(10);
    expect(shown).toBeLessThan(1_000);
    expect(before).toBeGreaterThan(0);
    await expect.poll(() => page.locator('g.node').count()).toBeGreaterThan(shown);
    await page.screenshot({ path: `${ARTIFACTS}/visualizer-large.png` });
    expect(errors).toEqual([]);
    await page.close();
  });
});
