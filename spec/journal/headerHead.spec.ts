import { headerHeadOf } from '../../src/journal/headerHead';
import { headerText } from '../../src/journal/headerText';
import type { JournalHeader } from '../../src';

/** The head of a header line (ids and creation time), read from its first bytes without its spec. */
describe('headerHeadOf', () => {
  const header = (options: JournalHeader['options']): JournalHeader => ({
    runId: 'run "1"',
    dagId: 'd,"spec":',
    options,
    createdAt: 1700000000000,
    spec: { id: 'd', tasks: [{ id: 'a', input: { spec: 1, text: ',"spec":{' } }] },
  });
  const lineOf = (given: JournalHeader) => {
    let text = '';
    headerText(given, (piece) => (text += piece));
    return text;
  };
  const plain = { failurePolicy: 'skip-dependents', contextInjection: true } as const;

  it('should read the ids and time of a header written with its spec last, from any prefix that holds them', () => {
    const line = lineOf(header(plain));
    const head = { runId: 'run "1"', dagId: 'd,"spec":', createdAt: 1700000000000 };
    expect(headerHeadOf(line)).toEqual(head);
    expect(headerHeadOf(line.slice(0, line.indexOf('"tasks"')))).toEqual(head);
  });

  it('should pass over a "spec" key inside the options (a limit so named, metadata)', () => {
    const line = lineOf(header({ ...plain, limits: { other: { concurrency: 1 }, spec: { concurrency: 2 } } }));
    expect(headerHeadOf(line)).toEqual({ runId: 'run "1"', dagId: 'd,"spec":', createdAt: 1700000000000 });
    // an object of the metadata that ends as the header's head does
    const nested = lineOf(header({ ...plain, metadata: { job: { createdAt: 5, spec: 1 } } }));
    expect(headerHeadOf(nested)).toEqual({ runId: 'run "1"', dagId: 'd,"spec":', createdAt: 1700000000000 });
  });

  it('should give nothing for a header written otherwise, or cut before its spec, so that the caller reads it whole', () => {
    const older = JSON.stringify({ runId: 'r', dagId: 'd', spec: { id: 'd', tasks: [] }, options: plain, createdAt: 1 });
    expect(headerHeadOf(older)).toBeUndefined();
    const line = lineOf(header(plain));
    expect(headerHeadOf(line.slice(0, line.indexOf('"createdAt"')))).toBeUndefined();
    expect(headerHeadOf('{"runId":5,"dagId":"d","options":{},"createdAt":1,"spec":{}}')).toBeUndefined();
    expect(headerHeadOf('{"runId":"r","dagId":"d","options":{},"createdAt":"soon","spec":{}}')).toBeUndefined();
    expect(headerHeadOf('not json')).toBeUndefined();
  });
});
