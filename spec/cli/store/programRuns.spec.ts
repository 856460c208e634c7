import type { JournalHeader } from '../../../src/index';
import { CLI_MARK, programRunProblem } from '../../../src/cli/store/programRuns';
import { eventsOf } from '../support/eventBuilder';

describe('runs a program made', () => {
  const header = (
    tasks: JournalHeader['spec']['tasks'],
    { defaults, metadata }: { defaults?: JournalHeader['spec']['defaults']; metadata?: Record<string, unknown> } = {},
  ): JournalHeader => ({
    runId: 'r',
    dagId: 'd',
    createdAt: 0,
    options: { failurePolicy: 'skip-dependents', contextInjection: true, ...(metadata === undefined ? {} : { metadata }) },
    spec: { id: 'd', tasks, ...(defaults === undefined ? {} : { defaults }) },
  });
  // what a DAG file's `run:` and `sleep:` become
  const shell = (id: string) => ({ id, agent: 'shell', input: { command: 'make', cwd: '/src', env: { CI: '1' } } });
  const sleep = (id: string) => ({ id, agent: 'sleep', input: 250 });
  const spawned = eventsOf({ type: 'tasks.spawned', at: 0, taskId: 'a', attempt: 1, tasks: [shell('s')] });

  it('should take a run the command line marked as its own', () => {
    expect(programRunProblem('r', header([shell('a'), sleep('b')], { metadata: { ...CLI_MARK, estimates: {} } }))).toBeUndefined();
  });

  it("should refuse an unmarked run of agents named as the command line's whose inputs are a program's", () => {
    // a program's remote shell agent, as the README's example names it
    const tasks = [{ id: 'a', agent: 'shell', input: { command: 'make', cwd: '/src' } }, sleep('b')];
    expect(programRunProblem('drafts-1', header(tasks))).toBe(
      'run "drafts-1" has no mark of rxdag run in its record, though its agents have the command line\'s names: a program made it (resume it there with resumeRun(journal, "drafts-1", { agents })), or an rxdag older than this one did, from tasks other than run: and sleep: (run its DAG file again)',
    );
    expect(programRunProblem('r', header([shell('a')], { metadata: { madeBy: 'my-tool' } }))).toContain('has no mark of rxdag run');
  });

  it('should take an unmarked run written as the command line writes one (a journal from before the mark), unless it spawned tasks', () => {
    expect(programRunProblem('r', header([shell('a'), sleep('b')]))).toBeUndefined();
    expect(programRunProblem('r', header([shell('a')]), spawned)).toContain('has no mark of rxdag run');
    expect(programRunProblem('r', header([{ ...shell('a'), input: { command: 'make', cwd: '/src', env: {}, shell: 'bash' } }]))).toContain(
      'has no mark of rxdag run',
    );
    expect(programRunProblem('r', header([{ ...sleep('b'), input: { ms: 250 } }]))).toContain('has no mark of rxdag run');
  });

  it("should name each agent the command line does not have once, in order of first use, a task's own or the DAG's default, marked or not", () => {
    const tasks = [shell('a'), { id: 'b', agent: 'llm' }, { id: 'c' }, { id: 'd', agent: 'llm' }];
    expect(programRunProblem('drafts-1', header(tasks, { defaults: { agent: 'fn' }, metadata: CLI_MARK }))).toBe(
      'run "drafts-1" uses agents the command line does not have (llm, fn): it was made by a program; resume it there with resumeRun(journal, "drafts-1", { agents })',
    );
  });

  it('should name the agents of spawned tasks when given the run’s events, a long list cut short', () => {
    const history = eventsOf({ type: 'tasks.spawned', at: 0, taskId: 'a', attempt: 1, tasks: [{ id: 's', agent: 'llm' }, shell('t')] });
    expect(programRunProblem('r', header([shell('a')]), history)).toContain('(llm)');
    const many = ['a', 'b', 'c', 'd', 'e', 'f'].map((agent) => ({ id: agent, agent }));
    expect(programRunProblem('r', header(many.slice(0, 5)))).toContain('(a, b, c, d, e)');
    expect(programRunProblem('r', header(many))).toContain('(a, b, c, d and 2 more)');
  });
});
