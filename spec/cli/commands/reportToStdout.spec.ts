import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { CLI, ensureBuilt } from '../support/builtCli';
import { tempDir, writeText } from '../support/files';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';

const run = promisify(execFile);

/**
 * `rxdag report -o -` in a shell pipeline: stdout holds the page and nothing else (the `wrote`
 * line is on stderr), written where stdout is (after what a file it appends to holds), and a
 * reader that leaves early (`| head`) is not an error, as it is not for any other output on stdout;
 * nor for `-o /dev/stdout`, which opens stdout anew.
 */
describe('rxdag report to standard output', () => {
  const tmp = tempDir();
  let events = '';
  beforeAll(async () => {
    await ensureBuilt();
    // a page well past a pipe's 64 KiB, so that a reader that left is met while writing
    const tasks = Array.from({ length: 400 }, (_, i) => `  - { id: step-${i}, sleep: 0${i > 0 ? `, deps: [step-${i - 1}]` : ''} }`);
    const dag = writeText(tmp.file('chain.yaml'), `id: chain\ntasks:\n${tasks.join('\n')}\n`);
    events = tmp.file('chain.jsonl');
    expect(await rxdag('run', dag, '--no-journal', '--events', events, '--quiet')).toMatchObject({ code: 0 });
  }, 60_000);
  afterAll(() => tmp.remove());

  /** Runs `pipeline` in bash (the CLI as `$RXDAG`), resolving with its stdout and stderr. */
  const bash = async (pipeline: string) =>
    run('bash', ['-c', pipeline], { env: { ...process.env, RXDAG: `${process.execPath} ${CLI}`, EV: events }, timeout: 60_000 });

  it('should write the page alone on stdout, after what a file it is appended to holds', async () => {
    const out = tmp.file('page.html');
    const { stderr } = await bash(`echo before > '${out}'; $RXDAG report "$EV" -o - >> '${out}'; echo after >> '${out}'`);
    const page = readFileSync(out, 'utf8');
    expect(page.length).toBeGreaterThan(256 * 1024);
    expect(page).toMatch(/^before\n<!DOCTYPE html>[^]*<\/html>\nafter\n$/);
    expect(stderr).toBe('');
  });

  it("should fail a report whose reader left when it is not this command's standard output (a FIFO)", async () => {
    const fifo = tmp.file('reader.fifo');
    const { stdout, stderr } = await bash(
      `mkfifo '${fifo}'; (head -c 10 '${fifo}' > /dev/null) & $RXDAG report "$EV" -o '${fifo}'; echo "code=$?"; wait`,
    );
    expect(stdout).toBe('code=74\n');
    expect(stderr).toBe(`rxdag: cannot write the report ${fifo}: EPIPE (its reader went away)\n`);
  });

  it.each([['-'], ['/dev/stdout']])('should end with 0 when the reader of the page leaves early (-o %s)', async (output) => {
    const { stdout } = await bash(`$RXDAG report "$EV" -o ${output} | head -c 15; echo " code=\${PIPESTATUS[0]}"`);
    expect(stdout).toBe('<!DOCTYPE html> code=0\n');
  });
});
