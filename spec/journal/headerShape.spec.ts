import { JournalCorruptError, type JournalHeader } from '../../src/journal/journal';
import { checkedHeader, headerProblems } from '../../src/journal/headerShape';

/** What a journal accepts as a run's header when it reads one back, and what it says of the rest. */

const header: JournalHeader = {
  runId: 'nightly-42',
  dagId: 'nightly',
  spec: { id: 'nightly', tasks: [{ id: 'a', agent: 'x' }] },
  options: { failurePolicy: 'skip-dependents', contextInjection: true },
  createdAt: 1_700_000_000_000,
};

/** `header` with `changes` over it (`undefined` removes a field), as JSON would hold it. */
function changed(changes: Record<string, unknown>, of: object = header): unknown {
  return JSON.parse(JSON.stringify({ ...of, ...changes })) as unknown;
}

describe('headerProblems', () => {
  it('should find nothing wrong with the header of a run, old or new', () => {
    expect(headerProblems(header)).toEqual([]);
    const everyOption = {
      ...header.options,
      taskTimeoutMs: 2500,
      limits: { api: { concurrency: 2 } },
      maxConcurrency: 8,
      mode: 'polling',
      pollIntervalMs: 50,
      metadata: { team: 'data' },
    };
    expect(headerProblems(changed({ options: everyOption }))).toEqual([]);
    // fields a reader does not rely on are left to those who read them
    expect(headerProblems(changed({ spec: { id: 'nightly', tasks: [], defaults: { agent: 'x' } }, extra: true }))).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ['a renamed dagId', changed({ dagId: undefined, dagid: 'nightly' }), ['dagId is missing (expected a string)']],
    ['a dagId of another type', changed({ dagId: 42 }), ['dagId is 42 (expected a string)']],
    [
      'a createdAt that is a date text',
      changed({ createdAt: 'yesterday' }),
      ['createdAt is "yesterday" (expected a number of milliseconds)'],
    ],
    ['a spec without tasks', changed({ spec: { id: 'nightly' } }), ['spec.tasks is missing (expected a list of tasks)']],
    ['a spec that is a list', changed({ spec: [] }), ['spec is [] (expected a DAG spec: an object with id and tasks)']],
    [
      'options of other types',
      changed({ options: { failurePolicy: 'sometimes', contextInjection: 'yes', mode: 'fast', maxConcurrency: '8' } }),
      [
        `options.failurePolicy is "sometimes" (expected 'skip-dependents', 'fail-fast' or 'continue')`,
        'options.contextInjection is "yes" (expected true or false)',
        'options.maxConcurrency is "8" (expected a number)',
        "options.mode is \"fast\" (expected 'event' or 'polling')",
      ],
    ],
    [
      'every field missing but the run id: all of them, not the first',
      { runId: 'a stray' },
      [
        'dagId is missing (expected a string)',
        'spec is missing (expected a DAG spec: an object with id and tasks)',
        'options is missing (expected an object of run options)',
        'createdAt is missing (expected a number of milliseconds)',
      ],
    ],
    [
      'a long wrong value, cut short',
      changed({ dagId: { name: 'x'.repeat(100) } }),
      [`dagId is {"name":"${'x'.repeat(30)}… (expected a string)`],
    ],
    [
      'a list',
      [header],
      [`it is [{"runId":"nightly-42","dagId":"nightly… (expected an object with runId, dagId, spec, options and createdAt)`],
    ],
    ['null', null, ['it is null (expected an object with runId, dagId, spec, options and createdAt)']],
  ])('should name what is wrong with %s', (_, value, problems) => {
    expect(headerProblems(value)).toEqual(problems);
  });
});

describe('checkedHeader', () => {
  it('should give back a header of the right shape as it is', () => {
    expect(checkedHeader(header, 'nightly-42', 'its header')).toBe(header);
  });

  it('should refuse any other with a JournalCorruptError naming the run, where, every field and what was expected', () => {
    const thrown = (() => {
      try {
        checkedHeader(changed({ dagId: undefined, createdAt: 'yesterday' }), 'nightly-42', '/store/nightly-42.jsonl:1');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(JournalCorruptError);
    expect(thrown).toMatchObject({ runId: 'nightly-42', where: '/store/nightly-42.jsonl:1' });
    expect((thrown as Error).message).toBe(
      'journal of run "nightly-42" is corrupt at /store/nightly-42.jsonl:1: the header is not an rxdag run header: ' +
        'dagId is missing (expected a string); createdAt is "yesterday" (expected a number of milliseconds)',
    );
  });
});
