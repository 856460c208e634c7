import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { tempDir, writeText } from '../support/files';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';
import { CLI_MARK } from '../../../src/cli/store/programRuns';

/** The words a POSIX shell makes of `line`. */
function wordsOf(line: string): string[] {
  return execFileSync('sh', ['-c', `set -- ${line}; printf '%s\\0' "$@"`], { encoding: 'utf8', timeout: 5000 })
    .split('\0')
    .slice(0, -1);
}

/** The lines the CLI prints about a journaled run: a hint can be pasted into a shell as it is, a refusal reads as one sentence. */
describe('hints and refusals about journaled runs', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('should print a resume hint whose run id and store a shell reads back unchanged', async () => {
    const store = tmp.file('my runs');
    const dag = writeText(tmp.file('weird.yaml'), 'id: "wéird dag 🚀"\ntasks:\n  - id: a\n    run: "true"\n');
    const run = await rxdag('run', dag, '--store', store, '--quiet');
    expect(run.code).toBe(0);
    const [, runId, hint] = /^rxdag: run (.+) \(journal .+; resume with: (.+)\)$/m.exec(run.stderr)!;
    expect(runId).toMatch(/^wéird dag 🚀-\d{8}-\d{4}-[0-9a-z]{4}$/);
    const words = wordsOf(hint!);
    expect(words).toEqual(['rxdag', 'resume', runId, '--store', store]);
    // pasted, it finds the run (which ended: nothing to resume)
    const resumed = await rxdag(...words.slice(1));
    expect(resumed).toMatchObject({ code: 2, stderr: expect.stringContaining(`run "${runId}" already ended`) });
  }, 30_000);

  it('should refuse a run whose journaled DAG is invalid in one sentence, each problem after its path', async () => {
    const store = tmp.file('store');
    mkdirSync(store);
    const runId = 'd-20261202-0712-a1b2';
    const header = {
      runId,
      dagId: 'd',
      spec: {
        id: 'd',
        tasks: [
          { id: 'a', agent: 'sleep', input: { ms: 1 } },
          { id: 'b', deps: ['zz'], agent: 'sleep', input: { ms: 1 } },
        ],
      },
      options: { failurePolicy: 'skip-dependents', contextInjection: true, metadata: CLI_MARK },
      createdAt: 0,
    };
    const created = { type: 'dag.created', runId, seq: 1, at: 0, dagId: 'd', taskCount: 2 };
    writeText(path.join(store, `${runId}.jsonl`), `${JSON.stringify(header)}\n${JSON.stringify(created)}\n`);
    expect(await rxdag('resume', runId, '--store', store)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'rxdag: the journaled run cannot run here: DAG "d" is invalid (1 problem): tasks[1].deps[0]: task "b" depends on "zz", which is not a task of this DAG\n',
    });
  });
});
