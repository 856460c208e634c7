import fc from 'fast-check';
import { defer, finalize, mergeMap, Observable, of, type OperatorFunction, Subject, take, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { mergeLaunches } from '../../src/scheduler/mergeLaunches';

/**
 * `mergeLaunches` is `mergeMap` with a concurrency limit built the same way: these marble specs
 * pin its behaviour down in virtual time, and a property holds it to what `mergeMap` itself does
 * (what is emitted when, and when each inner Observable is subscribed and let go) on random
 * sources, inner durations, errors and early unsubscribes.
 */

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('mergeLaunches', () => {
  it('should start each value at once while a slot is free', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const inners = { a: cold('--a|'), b: cold('----b|'), c: cold('-c|'), d: cold('(d|)') };
      const source = hot('-a-b-c---d-|', inners);
      expectObservable(source.pipe(mergeLaunches((inner: Observable<string>) => inner, 2))).toBe('---a--cb-d-|');
      expectSubscriptions(inners.a.subscriptions).toBe('-^--!');
      expectSubscriptions(inners.b.subscriptions).toBe('---^----!');
      expectSubscriptions(inners.c.subscriptions).toBe('-----^-!');
      expectSubscriptions(inners.d.subscriptions).toBe('---------(^!)');
    });
  });

  it('should keep values that find no free slot in arrival order, each started as a slot frees up', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const inners = { a: cold('--a|'), b: cold('----b|'), c: cold('-c|') };
      const source = hot('-a-b-c|', inners);
      expectObservable(source.pipe(mergeLaunches((inner: Observable<string>) => inner, 1))).toBe('---a----b-c|');
      expectSubscriptions(inners.a.subscriptions).toBe('-^--!');
      expectSubscriptions(inners.b.subscriptions).toBe('----^----!');
      expectSubscriptions(inners.c.subscriptions).toBe('---------^-!');
    });
  });

  it('should complete only once the source and every inner Observable have', () => {
    newScheduler().run(({ cold, hot, expectObservable }) => {
      const slow = cold('-----x|');
      expectObservable(hot('-a|').pipe(mergeLaunches(() => slow, 3))).toBe('------x|');
    });
  });

  it('should pass an inner error on and let go of every other inner Observable and of the source', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const long = cold('------x|');
      const failing = cold('--#', undefined, new Error('agent broke'));
      const waiting = cold('y|');
      const inners = { l: long, f: failing, w: waiting };
      const source = hot('-lf-w--|', inners);
      expectObservable(source.pipe(mergeLaunches((inner: Observable<string>) => inner, 2))).toBe(
        '----#',
        undefined,
        new Error('agent broke'),
      );
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(long.subscriptions).toBe('-^--!');
      expectSubscriptions(waiting.subscriptions).toBe([]);
    });
  });

  it('should let go of running inner Observables when unsubscribed, and never start the waiting ones', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const running = cold('-----x|');
      const waiting = cold('y|');
      const source = hot('-rw', { r: running, w: waiting });
      expectObservable(source.pipe(mergeLaunches((inner: Observable<string>) => inner, 1)), '^--!').toBe('----');
      expectSubscriptions(running.subscriptions).toBe('-^-!');
      expectSubscriptions(waiting.subscriptions).toBe([]);
    });
  });

  it('should run inner Observables that complete as they are subscribed, the waiting ones included', () => {
    const seen: string[] = [];
    let completed = false;
    of('a', 'b', 'c', 'd')
      .pipe(mergeLaunches((value: string) => of(value.toUpperCase()), 1))
      .subscribe({ next: (value) => seen.push(value), complete: () => (completed = true) });
    expect(seen).toEqual(['A', 'B', 'C', 'D']);
    expect(completed).toBe(true);
  });

  it('should error when the projection throws, naming nothing it was not given', () => {
    const problem = new Error('no agent');
    let caught: unknown;
    of(1)
      .pipe(
        mergeLaunches(() => {
          throw problem;
        }, 1),
      )
      .subscribe({ error: (error: unknown) => (caught = error) });
    expect(caught).toBe(problem);
  });

  it('should start nothing more once its subscriber let go from inside an emission', () => {
    const subscribed: number[] = [];
    const seen: number[] = [];
    of(1, 2, 3)
      .pipe(
        mergeLaunches(
          (value: number) =>
            defer(() => {
              subscribed.push(value);
              return of(value);
            }),
          1,
        ),
        take(1),
      )
      .subscribe((value) => seen.push(value));
    expect(seen).toEqual([1]);
    expect(subscribed).toEqual([1]);
  });

  it('should let go of an inner Observable whose subscribe let go of everything before it returned', () => {
    const source = new Subject<number>();
    const lateEmissions = new Subject<number>();
    const output = source.pipe(
      mergeLaunches(
        (value: number) =>
          new Observable<number>((inner) => {
            inner.next(value); // the subscriber below lets go here, while this subscribe runs
            const forwarded = lateEmissions.subscribe(inner);
            return () => forwarded.unsubscribe();
          }),
        2,
      ),
      take(1),
    );
    output.subscribe();
    source.next(1);
    expect(lateEmissions.observed).toBe(false);
  });

  it('should take 10,000 running inner Observables and end them in any order', () => {
    const ends = Array.from({ length: 10_000 }, () => new Subject<number>());
    const seen: number[] = [];
    let completed = false;
    of(...ends.map((_, i) => i))
      .pipe(mergeLaunches((i: number) => ends[i]!, 10_000))
      .subscribe({ next: (i) => seen.push(i), complete: () => (completed = true) });
    const order = ends.map((_, i) => (i * 7919) % ends.length);
    for (const i of order) {
      ends[i]!.next(i);
      ends[i]!.complete();
    }
    expect(seen).toEqual(order);
    expect(completed).toBe(true);
  });
});

/** A random inner Observable: emissions and an end, in virtual frames after it is subscribed. */
interface InnerPlan {
  readonly emitAt: readonly number[];
  readonly endAt: number;
  readonly fails: boolean;
}

const innerPlan: fc.Arbitrary<InnerPlan> = fc.record({
  emitAt: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }),
  endAt: fc.integer({ min: 0, max: 8 }),
  fails: fc.boolean(),
});

/** What an operator did in one virtual run: each notification and each inner (un)subscribe, with its frame. */
function trace(
  operator: (project: (i: number) => Observable<string>, concurrent: number) => OperatorFunction<number, string>,
  plans: readonly InnerPlan[],
  sourceAt: readonly number[],
  sourceEnd: number,
  concurrent: number,
  takeFirst: number,
): string[] {
  const log: string[] = [];
  const scheduler = new TestScheduler(() => undefined);
  scheduler.run(({ cold, hot }) => {
    const frame = () => scheduler.now();
    const marble = (times: readonly number[], end: number, ending: string): string => {
      const slots = Array.from({ length: Math.max(end, ...times) + 1 }, () => [] as string[]);
      times.forEach((at, i) => slots[at]!.push(String.fromCharCode(97 + i)));
      slots[end]!.push(ending);
      return slots.map((items) => (items.length === 0 ? '-' : items.length === 1 ? items[0] : `(${items.join('')})`)).join('');
    };
    const sourceMarble = `^${marble(
      sourceAt.map((at) => at + 1),
      sourceEnd + Math.max(0, ...sourceAt) + 1,
      '|',
    )}`;
    const values = Object.fromEntries(sourceAt.map((_, i) => [String.fromCharCode(97 + i), i]));
    const inners = plans.map((plan) =>
      cold(
        marble(
          [...plan.emitAt].sort((a, b) => a - b),
          plan.endAt + Math.max(0, ...plan.emitAt),
          plan.fails ? '#' : '|',
        ),
      ),
    );
    const project = (i: number): Observable<string> =>
      defer(() => {
        log.push(`${frame()} subscribe ${i}`);
        return inners[i % inners.length]!.pipe(finalize(() => log.push(`${frame()} let go of ${i}`)));
      });
    hot<number>(sourceMarble, values)
      .pipe(operator(project, concurrent), take(takeFirst))
      .subscribe({
        next: (value) => log.push(`${frame()} next ${value}`),
        error: (error: unknown) => log.push(`${frame()} error ${String(error)}`),
        complete: () => log.push(`${frame()} complete`),
      });
  });
  return log;
}

describe('mergeLaunches against mergeMap', () => {
  it('should do what mergeMap does with the same concurrency limit', () => {
    fc.assert(
      fc.property(
        fc.array(innerPlan, { minLength: 1, maxLength: 6 }),
        fc
          .array(fc.integer({ min: 0, max: 5 }), { maxLength: 8 })
          .map((gaps) => gaps.map((_, i) => gaps.slice(0, i + 1).reduce((a, b) => a + b, 0))),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 20 }),
        (plans, sourceAt, sourceEnd, concurrent, takeFirst) => {
          const expected = trace((project, limit) => mergeMap(project, limit), plans, sourceAt, sourceEnd, concurrent, takeFirst);
          const actual = trace(mergeLaunches, plans, sourceAt, sourceEnd, concurrent, takeFirst);
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: Number(process.env.RXDAG_PROPERTY_RUNS ?? 300) },
    );
  });

  it('should pass on an error of the source as mergeMap does', () => {
    newScheduler().run(({ cold, hot, expectObservable }) => {
      const inner = cold('---x|');
      const source = hot('-a-#', { a: inner });
      expectObservable(source.pipe(mergeLaunches((value: Observable<string>) => value, 2))).toBe('---#');
      expectObservable(source.pipe(mergeMap((value: Observable<string>) => value, 2))).toBe('---#');
    });
  });

  it('should be torn down by a throwing inner subscribe as mergeMap is', () => {
    const caught: unknown[] = [];
    for (const operator of [mergeLaunches, (p: (v: number) => Observable<never>, c: number) => mergeMap(p, c)]) {
      of(1)
        .pipe(operator(() => throwError(() => new Error('refused')), 1))
        .subscribe({ error: (error: unknown) => caught.push(error) });
    }
    expect(caught.map(String)).toEqual(['Error: refused', 'Error: refused']);
  });
});
