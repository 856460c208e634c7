import type { JournalHeader } from '../../../src/index';
import { agentsMissingFromCli, programRunRefusal } from '../../../src/cli/store/programRuns';
import { eventsOf } from '../support/eventBuilder';

describe('runs a program made', () => {
  const header = (tasks: JournalHeader['spec']['tasks'], defaults?: JournalHeader['spec']['defaults']): JournalHeader => ({
    runId: 'r',
    dagId: 'd',
    createdAt: 0,
    options: { failurePolicy: 'skip-dependents', contextInjection: true },
    spec: { id: 'd', tasks, ...(defaults === undefined ? {} : { defaults }) },
  });

  it("should find none in a run of the command line's agents", () => {
    expect(
      agentsMissingFromCli(
        header([
          { id: 'a', agent: 'shell' },
          { id: 'b', agent: 'sleep' },
        ]),
      ),
    ).toEqual([]);
  });

  it("should name each other agent once, in order of first use, a task's own or the DAG's default", () => {
    const tasks = [{ id: 'a', agent: 'shell' }, { id: 'b', agent: 'llm' }, { id: 'c' }, { id: 'd', agent: 'llm' }];
    expect(agentsMissingFromCli(header(tasks, { agent: 'fn' }))).toEqual(['llm', 'fn']);
  });

  it('should name the agents of spawned tasks when given the run’s events', () => {
    const history = eventsOf({
      type: 'tasks.spawned',
      at: 0,
      taskId: 'a',
      attempt: 1,
      tasks: [
        { id: 's', agent: 'llm' },
        { id: 't', agent: 'shell' },
      ],
    });
    expect(agentsMissingFromCli(header([{ id: 'a', agent: 'shell' }]), history)).toEqual(['llm']);
  });

  it('should say where to resume such a run, a long list of agents cut short', () => {
    expect(programRunRefusal('drafts-1', ['llm'])).toBe(
      'run "drafts-1" uses agents the command line does not have (llm): it was made by a program; resume it there with resumeRun(journal, "drafts-1", { agents })',
    );
    expect(programRunRefusal('x', ['a', 'b', 'c', 'd', 'e'])).toContain('(a, b, c, d, e)');
    expect(programRunRefusal('x', ['a', 'b', 'c', 'd', 'e', 'f'])).toContain('(a, b, c, d and 2 more)');
  });
});
