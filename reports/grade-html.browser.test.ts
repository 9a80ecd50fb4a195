import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubmissionGrade } from '../harness/grade/grade-model.ts';
import { sampleGradeReport, sampleSubmissions } from '../test/fixtures/grade/sample-grade-report.ts';
import { writeGradebookHtml } from './grade-html.ts';

const executablePath = '/usr/bin/chromium';
// Skipped only where Debian's chromium is not installed (.ci/run installs it
// when it can): whether the page renders cleanly only a real browser can tell.
const noBrowser = !existsSync(executablePath);
if (noBrowser)
  console.warn(
    `grade-html browser test skipped: ${executablePath} is not installed (apt-get install chromium)`,
  );

// A student whose name and error would run script if they were not escaped.
const mallory: SubmissionGrade = {
  ...sampleSubmissions.carol,
  student: '<script>alert(1)</script>',
  error: '<img src=x onerror=alert(2)>',
};

let folder: string;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
const dialogs: string[] = [];
const networkRequests: string[] = [];

beforeAll(async () => {
  if (noBrowser) return;
  folder = await mkdtemp(join(tmpdir(), 'oversold-gradebook-browser-'));
  const file = join(folder, 'gradebook.html');
  const { alice, bob, carol, dave } = sampleSubmissions;
  await writeGradebookHtml(file, sampleGradeReport([alice, bob, carol, dave, mallory]));
  context = await chromium.launchPersistentContext(join(folder, 'profile'), {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) networkRequests.push(request.url());
  });
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  await page.goto(pathToFileURL(file).href);
});

afterAll(async () => {
  await context?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe.skipIf(noBrowser)('the gradebook page in Chromium', () => {
  it('renders with no console error, no network request and no dialog', async () => {
    await expect(page.locator('h1').innerText()).resolves.toBe('Gradebook: Tickets: the last seat');
    expect(problems).toEqual([]);
    expect(networkRequests).toEqual([]);
    expect(dialogs).toEqual([]);
  });

  it('shows the chart, a row per student, and the escaped names as text', async () => {
    const chart = await page.locator('.score-chart svg').boundingBox();
    expect(chart?.width).toBeGreaterThan(100);
    expect(chart?.height).toBeGreaterThan(100);
    await expect(page.locator('table.gradebook tbody tr').count()).resolves.toBe(5);
    await expect(
      page.locator('table.gradebook tbody tr').last().locator('th').innerText(),
    ).resolves.toContain('<script>alert(1)</script>');
    await expect(page.locator('main script, main img').count()).resolves.toBe(0);
  });

  it('links a failed cell to the counterexample it failed with', async () => {
    await page.locator('tr[data-student="bob"] td.verdict-fails a').first().click();
    const target = new URL(page.url()).hash;
    await expect(page.locator(`${target}`).getAttribute('data-student')).resolves.toBe('bob');
    await expect(page.locator(`${target} .lane-name`).allInnerTexts()).resolves.toEqual([
      'buyer 1',
      'buyer 2',
    ]);
  });
});
