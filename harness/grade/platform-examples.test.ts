import { execFileSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// yaml comes with vite (vitest's own dependency): a test-only parser, not one of oversold's.
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '../../test/support/run-cli.ts';
import { main } from '../cli/cli.ts';

// The grading examples: Gradescope's scripts, GitHub Classroom's workflow, a
// sharded GitHub Actions run and a Kubernetes Indexed Job. They run on
// platforms a test cannot reach; this checks what can be checked here: they
// parse, they fit together, and every oversold flag they use exists.

/** `${{ inner }}`: a GitHub Actions expression, as a workflow file spells it. */
const expression = (inner: string): string => `\${{ ${inner} }}`;
const example = (path: string): string => join(repoRoot, 'examples', path);
const text = (path: string): Promise<string> => readFile(example(path), 'utf8');

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly env?: Record<string, string>;
  readonly with?: Record<string, string | number | boolean>;
}
interface Workflow {
  readonly jobs: Record<
    string,
    { needs?: string; strategy?: { matrix: { shard: number[] } }; steps: Step[] }
  >;
}

async function helpOf(command: string): Promise<string> {
  let help = '';
  const io = {
    out: (line: string) => (help += `${line}\n`),
    err: () => {},
    env: {},
    width: 200,
    color: false,
  };
  expect(await main([command, '--help'], io)).toBe(0);
  return help;
}

/** Every `oversold grade …` and `oversold merge-reports …` command line in a text, continuations joined. */
function commands(source: string): { command: string; flags: string[] }[] {
  const joined = source.replace(/\\\n\s*/g, ' ');
  return [...joined.matchAll(/oversold (grade|merge-reports)\b([^\n]*)/g)].map((match) => ({
    command: match[1] ?? '',
    flags: [...(match[2] ?? '').matchAll(/(?:^|\s)(--[a-z][a-z-]*)/g)].map((flag) => flag[1] ?? ''),
  }));
}

describe('grading examples', () => {
  it('use only flags oversold grade and merge-reports have', async () => {
    const help = { grade: await helpOf('grade'), 'merge-reports': await helpOf('merge-reports') };
    const sources = {
      'gradescope/run_autograder': await text('gradescope/run_autograder'),
      'github-classroom/classroom.yml': (
        parse(await text('github-classroom/classroom.yml')) as Workflow
      ).jobs['run-autograding-tests']?.steps
        .map((step) => step.run ?? '')
        .join('\n'),
      'grading/github-actions-shards.yml': Object.values(
        (parse(await text('grading/github-actions-shards.yml')) as Workflow).jobs,
      )
        .flatMap((job) => job.steps.map((step) => step.run ?? ''))
        .join('\n'),
      'grading/kubernetes-job.yaml': await text('grading/kubernetes-job.yaml'),
    };
    for (const [file, source] of Object.entries(sources)) {
      const found = commands(source ?? '');
      expect(found.length, file).toBeGreaterThan(0);
      for (const { command, flags } of found) {
        for (const flag of flags) {
          expect(help[command as keyof typeof help], `${file}: oversold ${command} ${flag}`).toMatch(
            new RegExp(`\\s${flag}\\b`),
          );
        }
      }
    }
  });

  it('Gradescope: two executable bash scripts; run_autograder grades into results.json', async () => {
    for (const script of ['gradescope/setup.sh', 'gradescope/run_autograder']) {
      expect((await stat(example(script))).mode & 0o111, script).toBe(0o111);
      execFileSync('bash', ['-n', example(script)]);
      expect(await text(script)).toMatch(/^#!\/usr\/bin\/env bash\n/);
    }
    expect(await text('gradescope/run_autograder')).toContain(
      'npx oversold grade --gradescope --assignment /autograder/source/assignment.json',
    );
    const setup = await text('gradescope/setup.sh');
    expect(setup).toMatch(/setup_20\.x/);
    expect(setup).toMatch(/apt-get install .*bubblewrap/);
    expect(setup).toMatch(/npm ci/);
    const manifest = JSON.parse(await text('gradescope/package.json')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies)).toEqual(['oversold']);
  });

  it('GitHub Classroom: the reporter reads the result of the step that graded, by its id', async () => {
    const workflow = parse(await text('github-classroom/classroom.yml')) as Workflow;
    const steps = workflow.jobs['run-autograding-tests']?.steps ?? [];
    const grading = steps.find((step) => step.run?.includes('oversold grade'));
    expect(grading?.run).toContain('--github-classroom');
    const reporter = steps.find(
      (step) => step.uses === 'classroom-resources/autograding-grading-reporter@v1',
    );
    const id = grading?.id ?? '';
    expect(id).toMatch(/^[a-zA-Z0-9]+$/);
    // src/main.js: process.env[`${runner.trim().toUpperCase()}_RESULTS`] for each runner.
    expect(reporter?.with?.runners).toBe(id);
    expect(reporter?.env?.[`${id.toUpperCase()}_RESULTS`]).toBe(expression(`steps.${id}.outputs.result`));
    expect(steps.indexOf(reporter!)).toBeGreaterThan(steps.indexOf(grading!));
  });

  it('sharded GitHub Actions: shards 1..N, each --shard i/N to its own JSON, merged after all of them', async () => {
    const workflow = parse(await text('grading/github-actions-shards.yml')) as Workflow;
    const grade = workflow.jobs.grade!;
    const shards = grade.strategy?.matrix.shard ?? [];
    const count = shards.length;
    expect(shards).toEqual(Array.from({ length: count }, (_, at) => at + 1));
    const run = grade.steps.find((step) => step.run?.includes('oversold grade'))?.run ?? '';
    expect(run).toContain(`--shard ${expression('matrix.shard')}/${count}`);
    expect(run).toContain(`--json shard-${expression('matrix.shard')}.json`);
    const upload = grade.steps.find((step) => step.uses?.startsWith('actions/upload-artifact'));
    expect(upload?.with?.path).toBe(`shard-${expression('matrix.shard')}.json`);
    const gradebook = workflow.jobs.gradebook!;
    expect(gradebook.needs).toBe('grade');
    const download = gradebook.steps.find((step) => step.uses?.startsWith('actions/download-artifact'));
    expect(download?.with).toMatchObject({ pattern: 'shard-*', 'merge-multiple': true, path: 'shards' });
    expect(
      gradebook.steps.some((step) => step.run?.includes('oversold merge-reports shards/shard-*.json')),
    ).toBe(true);
  });

  it('Kubernetes: an Indexed Job whose pods grade shard JOB_COMPLETION_INDEX+1 of completions', async () => {
    const documents = parseAllDocuments(await text('grading/kubernetes-job.yaml'));
    expect(documents).toHaveLength(1);
    const [document] = documents;
    expect(document?.errors).toEqual([]);
    const job = document?.toJS() as {
      kind: string;
      apiVersion: string;
      spec: {
        completionMode: string;
        completions: number;
        parallelism: number;
        template: {
          spec: {
            restartPolicy: string;
            containers: { args: string[]; volumeMounts: { mountPath: string }[] }[];
          };
        };
      };
    };
    expect([job.apiVersion, job.kind, job.spec.completionMode]).toEqual(['batch/v1', 'Job', 'Indexed']);
    expect(job.spec.parallelism).toBeLessThanOrEqual(job.spec.completions);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    const [container] = job.spec.template.spec.containers;
    const script = container?.args.join('\n') ?? '';
    expect(script).toContain(`shard="$((JOB_COMPLETION_INDEX + 1))/${job.spec.completions}"`);
    expect(script).toMatch(/--shard "\$shard"/);
    expect(script).toContain('report="/results/shard-$((JOB_COMPLETION_INDEX + 1)).json"');
    expect(container?.volumeMounts.map((mount) => mount.mountPath)).toContain('/results');
    execFileSync('bash', ['-n', '-c', script]);
  });

  it('say nothing of where they were written', async () => {
    for (const file of [
      'gradescope/setup.sh',
      'gradescope/run_autograder',
      'gradescope/package.json',
      'github-classroom/classroom.yml',
      'grading/github-actions-shards.yml',
      'grading/kubernetes-job.yaml',
    ]) {
      expect(await text(file), file).not.toMatch(/\/work\/shared/);
    }
  });
});
