import type { Observable } from 'rxjs';
import type { TestScheduler as TestSchedulerClass } from 'rxjs/testing';
import { defineDag, runDag } from '../../src';

/**
 * An application whose RxJS is another copy than rxdag's (a linked package, a monorepo): its
 * `TestScheduler` is of a class rxdag's copy does not know, and a run on it keeps virtual time
 * all the same, its health ticks stopping once only they are left.
 */
describe("a run on a TestScheduler of another copy of RxJS than rxdag's", () => {
  // a second instance of the package, as a second copy on disk gives one
  let TestScheduler!: typeof TestSchedulerClass;
  jest.isolateModules(() => {
    ({ TestScheduler } = require('rxjs/testing') as typeof import('rxjs/testing'));
  });
  const dag = defineDag({
    id: 'marbles',
    tasks: [
      { id: 'fetch', agent: 'work' },
      { id: 'summarize', deps: ['fetch'], agent: 'work' },
    ],
  });

  it('is another class than the one rxdag loads', () => {
    expect(TestScheduler).not.toBe(jest.requireActual<typeof import('rxjs/testing')>('rxjs/testing').TestScheduler);
  });

  it.each([
    ['without health checks', 0],
    ['with the default health checks', undefined],
  ])('should run whole in virtual time inside its run(), %s', (_name, healthCheckIntervalMs) => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const record: string[] = [];
    testScheduler.run(({ cold }) => {
      const work = cold('-----(x|)');
      runDag(dag, {
        agents: { work: () => work as unknown as Observable<string> },
        scheduler: testScheduler,
        ...(healthCheckIntervalMs === undefined ? {} : { healthCheckIntervalMs }),
      }).subscribe((event) => {
        if (event.type !== 'health.checked') record.push(`${event.at} ${event.type}${'taskId' in event ? ` ${event.taskId}` : ''}`);
      });
    });
    expect(record).toEqual([
      '0 dag.created',
      '0 task.ready fetch',
      '0 task.started fetch',
      '5 task.completed fetch',
      '5 task.ready summarize',
      '5 task.started summarize',
      '10 task.completed summarize',
      '10 dag.completed',
    ]);
  });

  it('should run whole within one flush()', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const work = testScheduler.createColdObservable('-----(x|)', { x: 'x' });
    const record: string[] = [];
    runDag(dag, {
      agents: { work: () => work as unknown as Observable<string> },
      scheduler: testScheduler,
      healthCheckIntervalMs: 0,
    }).subscribe((event) => record.push(`${event.at} ${event.type}`));
    testScheduler.flush();
    // outside run(), a frame of a marble is 10 virtual ms
    expect(record.at(-1)).toBe('100 dag.completed');
  });
});
