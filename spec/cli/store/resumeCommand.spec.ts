import { events, type JournalHeader } from '../../../src/index';
import { CLI_MARK } from '../../../src/cli/store/programRuns';
import { resumeCommandOf } from '../../../src/cli/store/resumeCommand';
import { storeLocation } from '../../../src/cli/store/storeLocation';

/** The command `rxdag show` and `rxdag run`'s note give to resume an interrupted run. */
describe('the command that resumes a run', () => {
  const header = (metadata: Record<string, unknown>, agent = 'shell'): JournalHeader => ({
    runId: 'r',
    dagId: 'd',
    createdAt: 0,
    options: { failurePolicy: 'skip-dependents', contextInjection: false, metadata },
    spec: { id: 'd', tasks: [{ id: 'a', agent, input: { command: 'make', cwd: '/src', env: {} } }] },
  });

  it('should name the store when the flag chose it, not when the environment or the default did', () => {
    expect(resumeCommandOf('nightly-1', header(CLI_MARK), storeLocation('my runs', {}, '/w'), [])).toBe(
      "rxdag resume nightly-1 --store 'my runs'",
    );
    expect(resumeCommandOf('nightly-1', header(CLI_MARK), storeLocation(undefined, { RXDAG_STORE: '/runs' }, '/w'), [])).toBe(
      'rxdag resume nightly-1',
    );
  });

  it("should add the flags that reach the run's workers, and say where a password must be given", () => {
    const remote = { resumeFlags: " --redis 'redis://:***@h:6379/2' --key-file /etc/rxdag/key", prefix: 'rxdag', keyId: 'unsigned', db: 2 };
    expect(resumeCommandOf('nightly-1', header({ ...CLI_MARK, remote }), storeLocation(undefined, {}, '/w'), [])).toBe(
      "rxdag resume nightly-1 --redis 'redis://:***@h:6379/2' --key-file /etc/rxdag/key (give the password where *** stands)",
    );
  });

  it("should give the flags of the run's latest resume by the command line: its workers, or none for one that ran the attempts here", () => {
    const remote = (prefix: string) => ({
      resumeFlags: ` --redis redis://h:6379 --redis-prefix ${prefix}`,
      prefix,
      keyId: 'unsigned',
      db: 0,
    });
    const resumed = (metadata?: Record<string, unknown>) =>
      events.runResumed({
        runId: 'r',
        seq: 2,
        at: 0,
        resumedAfterSeq: 1,
        interrupted: [],
        ...(metadata === undefined ? {} : { metadata }),
      });
    const run = header({ ...CLI_MARK, remote: remote('a') });
    const where = storeLocation(undefined, {}, '/w');
    expect(resumeCommandOf('r', run, where, [resumed({ ...CLI_MARK, remote: remote('b') })])).toBe(
      'rxdag resume r --redis redis://h:6379 --redis-prefix b',
    );
    expect(resumeCommandOf('r', run, where, [resumed({ ...CLI_MARK, remote: remote('b') }), resumed(CLI_MARK)])).toBe('rxdag resume r');
    // a resume of an earlier version, or a program's, noted nothing of the command line's: the note before stands
    expect(resumeCommandOf('r', run, where, [resumed(), resumed({ by: 'a program' })])).toBe(
      'rxdag resume r --redis redis://h:6379 --redis-prefix a',
    );
  });

  it('should say where a password must be given when only the store shows one as ***', () => {
    expect(resumeCommandOf('nightly-1', header(CLI_MARK), storeLocation('postgres://alice:s3cret@db.example/runs', {}, '/w'), [])).toBe(
      "rxdag resume nightly-1 --store 'postgres://alice:***@db.example/runs' (give the password where *** stands)",
    );
  });

  it("should give none for a program's run, which is not the command line's to resume", () => {
    expect(resumeCommandOf('drafts-1', header({}, 'llm'), storeLocation(undefined, {}, '/w'), [])).toBeUndefined();
  });
});
