import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSampleCheck, type SampleCheck } from '../test/fixtures/reports/sample-check.ts';
import { repoRoot } from '../test/support/run-cli.ts';

// The page's globals as far as these tests use them: tsconfig has no DOM lib,
// because everything else here runs in Node.
interface PageBox {
  readonly left: number;
  readonly right: number;
  readonly width: number;
}
interface PageElement {
  getBoundingClientRect(): PageBox;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  readonly textContent: string | null;
}
declare const document: PageElement;
declare const navigator: { readonly clipboard: { readText(): Promise<string> } };
declare function getComputedStyle(element: PageElement, pseudo: string): { left: string; right: string };

const executablePath = '/usr/bin/chromium';
// Skipped only where Debian's chromium is not installed (.ci/run installs it
// when it can): the report is a page, and only a real browser can check it.
const noBrowser = !existsSync(executablePath);
if (noBrowser)
  console.warn(
    `html-report browser test skipped: ${executablePath} is not installed (apt-get install chromium)`,
  );

let sample: SampleCheck;
let context: BrowserContext;
let page: Page;
let profile: string;
const networkRequests: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  if (noBrowser) return;
  sample = await runSampleCheck('html');
  expect(sample.cli.code).toBe(2);
  profile = await mkdtemp(join(tmpdir(), 'oversold-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 900 },
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) networkRequests.push(request.url());
  });
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  await page.goto(pathToFileURL(sample.html).href);
});

afterAll(async () => {
  await context?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

describe.skipIf(noBrowser)('--html in Chromium (real CLI run on PostgreSQL)', () => {
  it('shows the strategies × properties matrix', async () => {
    const json = JSON.parse(await readFile(sample.json, 'utf8')) as { strategies: { name: string }[] };
    const rows = page.locator('table.matrix tbody tr');
    await expect(rows.count()).resolves.toBe(json.strategies.length);
    const headers = await page.locator('table.matrix thead th').allInnerTexts();
    expect(headers).toEqual(['strategy', 'no-oversell', 'honest-outcome', 'no-undersell', 'no-errors']);
    const cell = (strategy: string, property: string) =>
      page.locator(`tr[data-strategy="${strategy}"] td[data-property="${property}"]`).innerText();
    await expect(cell('naive-oversells', 'no-oversell')).resolves.toBe('✗ fails');
    await expect(cell('naive-read-modify-write', 'no-oversell')).resolves.toBe('✗ fails (expected)');
    await expect(cell('guarded-update', 'no-oversell')).resolves.toBe('✓ holds');
    await expect(page.locator('tr[data-strategy="bad-return"] td').innerText()).resolves.toContain(
      "could not be evaluated test/fixtures/reports/strategies/bad-return.ts: purchase() returned '<i>maybe</i>'",
    );
  });

  it('lists what needs attention first, linking to each counterexample', async () => {
    const items = await page.locator('.attention li').allInnerTexts();
    expect(items).toEqual([
      'bad-return could not be evaluated',
      'naive-oversells breaks no-oversell',
      'stale-subquery-update breaks no-oversell',
    ]);
    await page.locator('.attention a', { hasText: 'stale-subquery-update' }).click();
    expect(new URL(page.url()).hash).toBe('#cx-3-no-oversell');
    await expect(page.locator('#cx-3-no-oversell').getAttribute('data-strategy')).resolves.toBe(
      'stale-subquery-update',
    );
  });

  it('embeds the JSON report intact, even with </script> in the SQL', async () => {
    const embedded = await page.evaluate(
      () => JSON.parse(document.querySelector('#oversold-report')!.textContent ?? 'null') as unknown,
    );
    expect(embedded).toEqual(JSON.parse(await readFile(sample.json, 'utf8')));
  });

  it('draws a lane per buyer with statements as boxes, time going down', async () => {
    const example = page.locator('article[data-strategy="naive-oversells"]');
    await expect(example.locator('.lane-name').allInnerTexts()).resolves.toEqual(['buyer 1', 'buyer 2']);
    // The SQL comment's markup is shown as text: no script ran, no element was made.
    const first = example.locator('.box.statement[data-buyer="2"]').first();
    await expect(first.innerText()).resolves.toContain(`<script>alert("x")</script> & 'q' | a`);
    await expect(example.locator('script').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
    // Buyer 2 reads first, then buyer 1: boxes go down the page in trace order, each in its lane.
    const boxes = await example.locator('.box').evaluateAll((elements) =>
      elements.map((element) => {
        const box = element.getBoundingClientRect();
        return { buyer: element.getAttribute('data-buyer'), top: box.top, left: box.left };
      }),
    );
    for (let index = 1; index < boxes.length; index += 1) {
      expect(boxes[index]!.top).toBeGreaterThan(boxes[index - 1]!.top);
    }
    const left = (buyer: string) => boxes.find((box) => box.buyer === buyer)!.left;
    expect(left('1')).toBeLessThan(left('2'));
  });

  it('draws the wait as a span in the waiting lane with an arrow to the buyer holding the lock', async () => {
    const example = page.locator('article[data-strategy="stale-subquery-update"]');
    const arrow = example.locator('.wait-arrow').first();
    await expect(arrow.isVisible()).resolves.toBe(true);
    await expect(arrow.getAttribute('data-from')).resolves.toBe('1');
    await expect(arrow.getAttribute('data-to')).resolves.toBe('2');
    await expect(arrow.innerText()).resolves.toContain('buyer 1 waits for the lock buyer 2 holds');
    // The arrow's line runs from the middle of lane 1 to the middle of lane 2.
    const geometry = await example.evaluate((article: PageElement) => {
      const centre = (element: PageElement) => {
        const box = element.getBoundingClientRect();
        return box.left + box.width / 2;
      };
      const lines = [...article.querySelectorAll('.lane-line')];
      const arrowElement = article.querySelector('.wait-arrow')!;
      const line = getComputedStyle(arrowElement, '::before');
      const box = arrowElement.getBoundingClientRect();
      return {
        lanes: lines.map(centre),
        from: box.left + Number.parseFloat(line.left),
        to: box.right - Number.parseFloat(line.right),
      };
    });
    expect(Math.abs(geometry.from - geometry.lanes[0]!)).toBeLessThan(2);
    expect(Math.abs(geometry.to - geometry.lanes[1]!)).toBeLessThan(2);
    const wait = example.locator('.wait[data-buyer="1"]');
    await expect(wait.innerText()).resolves.toMatch(/^waiting for buyer 2/);
    // The wait spans from the blocked statement down to the row where it completed.
    const blocked = await example.locator('.box.statement.status-blocked').boundingBox();
    const resumed = await example.locator('.box.resumed[data-buyer="1"]').boundingBox();
    const span = await wait.boundingBox();
    // (the bar overlaps its neighbours by its 4px negative margin)
    expect(span!.y).toBeGreaterThanOrEqual(blocked!.y + blocked!.height - 4);
    expect(span!.y + span!.height).toBeLessThanOrEqual(resumed!.y + 4);
    expect(span!.height).toBeGreaterThan(resumed!.y - (blocked!.y + blocked!.height) - 20);
    await expect(example.locator('.box.barrier').first().innerText()).resolves.toBe('‖ pause after-update');
  });

  it('shows units sold against capacity', async () => {
    const stock = page.locator('article[data-strategy="naive-oversells"] .stock');
    await expect(stock.innerText()).resolves.toBe('2 sold of 1 · oversold by 1');
    await expect(stock.locator('.unit-sold').count()).resolves.toBe(1);
    await expect(stock.locator('.unit-oversold').count()).resolves.toBe(1);
  });

  it('copies the replay command with its button', async () => {
    const json = JSON.parse(await readFile(sample.json, 'utf8')) as {
      strategies: {
        name: string;
        properties: Record<string, { counterexample: { replay: string } | null }>;
      }[];
    };
    const replay = json.strategies.find((strategy) => strategy.name === 'naive-oversells')!.properties[
      'no-oversell'
    ]!.counterexample!.replay;
    const example = page.locator('article[data-strategy="naive-oversells"]');
    await expect(example.locator('.replay-command').innerText()).resolves.toBe(replay);
    await example.getByRole('button', { name: 'Copy' }).click();
    await page.waitForFunction(
      () =>
        document.querySelector('article[data-strategy="naive-oversells"] .copy-status')?.textContent !== '',
    );
    await expect(example.locator('.copy-status').innerText()).resolves.toBe('Copied to the clipboard');
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(replay);
  });

  it('opens with no network and saves a screenshot as an artifact', async () => {
    expect(networkRequests).toEqual([]);
    const screenshot = join(repoRoot, '.oversold-artifacts', 'html-report.png');
    await page.locator('article[data-strategy="stale-subquery-update"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshot, fullPage: true });
    // The counterexample with a lock wait, at full size.
    await page
      .locator('article[data-strategy="stale-subquery-update"]')
      .screenshot({ path: join(repoRoot, '.oversold-artifacts', 'html-report-wait.png') });
    expect(existsSync(screenshot)).toBe(true);
  });
});
