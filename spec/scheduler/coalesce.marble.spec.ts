import { map, merge, Subject, takeUntil, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { coalesce, type CoalesceConfig } from '../../src/scheduler/coalesce';

// Upper case values are urgent, lower case ones deferred.
function config(overrides: Partial<CoalesceConfig<string>> = {}): CoalesceConfig<string> {
  return {
    flushOn: 'asap',
    isUrgent: (value) => value === value.toUpperCase(),
    joinFlush: true,
    onDrained: () => {},
    onFlushStart: () => {},
    onFlushEnd: () => {},
    ...overrides,
  };
}

// Batches are recycled once `next` returns: copy them before asserting.
const copy = map((batch: string[]) => [...batch]);

describe('coalesce', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should hand urgent values on at once, each as a one-element batch', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -A--(BC)-|');
      const expected = '    -x--(yz)-|';

      expectObservable(source.pipe(coalesce(config()), copy)).toBe(expected, { x: ['A'], y: ['B'], z: ['C'] });
    });
  });

  it('should group the deferred values of one frame into one batch', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -(abc)-d-|');
      const expected = '    -x-----y-|';

      expectObservable(source.pipe(coalesce(config()), copy)).toBe(expected, { x: ['a', 'b', 'c'], y: ['d'] });
    });
  });

  it('should make deferred values wait for the next emission of an Observable trigger', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b---c----|');
      const trigger = hot(' -----t----t---');
      const expected = '    -----x----y-|';
      const subs = '        ^-----------!';

      expectObservable(source.pipe(coalesce(config({ flushOn: trigger })), copy)).toBe(expected, {
        x: ['a', 'b'],
        y: ['c'],
      });
      expectSubscriptions(trigger.subscriptions).toBe(subs);
    });
  });

  it('should hand waiting deferred values on with an urgent value, deferred first, when they join flushes', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -a-b-C-----|');
      const trigger = hot(' ---------t--');
      const expected = '    -----x-----|';

      expectObservable(source.pipe(coalesce(config({ flushOn: trigger })), copy)).toBe(expected, {
        x: ['a', 'b', 'C'],
      });
    });
  });

  it('should hand an urgent value on alone, leaving deferred values for the trigger, when they do not join flushes', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -a-B-----|');
      const trigger = hot(' -----t----');
      const expected = '    ---x-y---|';

      expectObservable(source.pipe(coalesce(config({ flushOn: trigger, joinFlush: false })), copy)).toBe(expected, {
        x: ['B'],
        y: ['a'],
      });
    });
  });

  it('should hand values pushed from the subscriber on in the same flush, not recursively', () => {
    const log: string[] = [];
    testScheduler.run(({ hot, expectObservable }) => {
      const feedback = new Subject<string>();
      const source = hot('  -A------');
      const expected = '    -(xyz)--';

      const result = merge(source, feedback).pipe(
        coalesce(
          config({
            onFlushStart: () => log.push('flush start'),
            onFlushEnd: () => log.push('flush end'),
          }),
        ),
        copy,
        tap((batch) => {
          log.push(`handle ${batch}`);
          if (batch[0] === 'A') {
            feedback.next('B');
            feedback.next('c');
          }
          log.push(`handled ${batch}`);
        }),
      );

      expectObservable(result).toBe(expected, { x: ['A'], y: ['B'], z: ['c'] });
    });
    expect(log).toEqual(['flush start', 'handle A', 'handled A', 'handle B', 'handled B', 'handle c', 'handled c', 'flush end']);
  });

  it('should call onDrained once per flush, after its last batch', () => {
    const log: string[] = [];
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -(aB)--c-|');
      const expected = '    -x-----y-|';

      const result = source.pipe(
        coalesce(config({ onDrained: () => log.push('drained') })),
        copy,
        tap((batch) => log.push(`${batch}`)),
      );

      expectObservable(result).toBe(expected, { x: ['a', 'B'], y: ['c'] });
    });
    expect(log).toEqual(['a,B', 'drained', 'c', 'drained']);
  });

  it('should continue the flush with the values onDrained pushes', () => {
    const log: string[] = [];
    testScheduler.run(({ hot, expectObservable }) => {
      const feedback = new Subject<string>();
      const source = hot('  -a------');
      const expected = '    -(xyz)--';
      let drains = 0;

      const result = merge(source, feedback).pipe(
        coalesce(
          config({
            onDrained: () => {
              log.push('drained');
              if (drains++ === 0) {
                feedback.next('B');
                feedback.next('c');
              }
            },
            onFlushStart: () => log.push('flush start'),
            onFlushEnd: () => log.push('flush end'),
          }),
        ),
        copy,
        tap((batch) => log.push(`${batch}`)),
      );

      expectObservable(result).toBe(expected, { x: ['a'], y: ['B'], z: ['c'] });
    });
    expect(log).toEqual(['flush start', 'a', 'drained', 'B', 'c', 'drained', 'flush end']);
  });

  it('should bracket each flush with onFlushStart and onFlushEnd', () => {
    const log: string[] = [];
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -(ab)--C-|');
      const expected = '    -x-----y-|';

      const result = source.pipe(
        coalesce(
          config({
            onFlushStart: () => log.push(`${testScheduler.now()} start`),
            onFlushEnd: () => log.push(`${testScheduler.now()} end`),
          }),
        ),
        copy,
        tap((batch) => log.push(`${testScheduler.now()} ${batch}`)),
      );

      expectObservable(result).toBe(expected, { x: ['a', 'b'], y: ['C'] });
    });
    expect(log).toEqual(['1 start', '1 a,b', '1 end', '7 start', '7 C', '7 end']);
  });

  it("should pass the source's error on", () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-#');
      const expected = '    -x-#';
      const subs = '        ^--!';

      expectObservable(source.pipe(coalesce(config()), copy)).toBe(expected, { x: ['a'] });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it("should pass the source's completion on", () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-|');
      const expected = '    -x-|';
      const subs = '        ^--!';

      expectObservable(source.pipe(coalesce(config()), copy)).toBe(expected, { x: ['a'] });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('should drop deferred values still waiting when the source completes', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -a-|');
      const trigger = hot(' -----t');
      const expected = '    ---|';

      expectObservable(source.pipe(coalesce(config({ flushOn: trigger })), copy)).toBe(expected);
    });
  });

  it('should tear down the source and the trigger on unsubscribe', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a--b---');
      const trigger = hot(' ---t---t-');
      const unsub = '       -----!   ';
      const expected = '    ---x--   ';
      const subs = '        ^----!   ';

      expectObservable(source.pipe(coalesce(config({ flushOn: trigger })), copy), unsub).toBe(expected, { x: ['a'] });
      expectSubscriptions(source.subscriptions).toBe(subs);
      expectSubscriptions(trigger.subscriptions).toBe(subs);
    });
  });

  it('should never run a pending asap flush after unsubscribe', () => {
    let flushes = 0;
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-');
      const stop = hot('    -s-');
      const expected = '    -| ';
      const subs = '        ^! ';

      // `stop` emits after `a` in the same frame, before the asap flush `a` asked for
      const result = source.pipe(coalesce(config({ onFlushStart: () => flushes++ })), copy, takeUntil(stop));

      expectObservable(result).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
    expect(flushes).toBe(0);
  });

  it('should leave deferred values pushed during a flush for the next trigger when they do not join flushes', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const feedback = new Subject<string>();
      const source = hot('  -A-------');
      const trigger = hot(' -----t---');
      const expected = '    -x---y---';

      const result = merge(source, feedback).pipe(
        coalesce(config({ flushOn: trigger, joinFlush: false })),
        copy,
        tap((batch) => {
          if (batch[0] === 'A') feedback.next('b');
        }),
      );

      expectObservable(result).toBe(expected, { x: ['A'], y: ['b'] });
    });
  });
});

describe("coalesce with flushOn 'microtask'", () => {
  it('should hand a burst on as one batch on the next microtask', async () => {
    const source = new Subject<string>();
    const batches: string[][] = [];
    const subscription = source.pipe(coalesce(config({ flushOn: 'microtask' }))).subscribe((batch) => batches.push([...batch]));

    source.next('a');
    source.next('b');
    expect(batches).toEqual([]);
    await Promise.resolve();
    expect(batches).toEqual([['a', 'b']]);
    subscription.unsubscribe();
  });
});
