import fc from 'fast-check';
import { of, Subject } from 'rxjs';
import { jsonBytes, jsonLength, jsonSafetyProblem, MAX_JSON_BYTES, toJsonSafe } from '../src/jsonSafe';

const RULE = 'only plain objects, arrays and primitives are JSON-safe';

function* numbers() {
  yield 1;
}
async function* later() {
  yield 1;
}

describe('jsonSafetyProblem', () => {
  it.each<[string, () => unknown, string | undefined]>([
    ['a plain object', () => ({ a: [1, 'x', null, true] }), undefined],
    ['an object without a prototype', () => Object.assign(Object.create(null) as object, { a: 1 }), undefined],
    ['a Date', () => new Date(0), `$ is a Date (${RULE})`],
    ['a Map', () => new Map(), `$ is a Map (${RULE})`],
    ['an Error, with "an"', () => new Error('x'), `$ is an Error (${RULE})`],
    ['a subclass of Error, by its name', () => new TypeError('x'), `$ is a TypeError (${RULE})`],
    ['a Uint8Array, with "a"', () => new Uint8Array(1), `$ is a Uint8Array (${RULE})`],
    ['a URL, with "a"', () => new URL('https://example.test'), `$ is a URL (${RULE})`],
    ['an instance of an anonymous class', () => new (class {})(), `$ is an instance of an anonymous class (${RULE})`],
    ['a Map iterator, by its tag', () => new Map().entries(), `$ is a Map Iterator (${RULE})`],
    [
      'an object made from a plain prototype',
      () => Object.create({}) as object,
      `$ is an object whose prototype is not Object.prototype (${RULE})`,
    ],
    [
      'a sync generator, with what to return instead',
      () => numbers(),
      `$ is a Generator (${RULE}; a generator is not read: return an array, e.g. [...generator])`,
    ],
    [
      'an async generator, with what to return instead',
      () => later(),
      `$ is an AsyncGenerator (${RULE}; an async generator a promise resolves to, or syncAgent returns, is not read: return the generator itself from a plain agent)`,
    ],
    [
      'an Observable, with what to return instead',
      () => of(1),
      `$ is an Observable (${RULE}; an Observable a promise resolves to, or syncAgent returns, is not read: return the Observable itself from a plain agent, or await firstValueFrom(it))`,
    ],
    [
      'a Subject, as an Observable',
      () => new Subject(),
      `$ is a Subject (${RULE}; an Observable a promise resolves to, or syncAgent returns, is not read: return the Observable itself from a plain agent, or await firstValueFrom(it))`,
    ],
    ['an Observable inside an object, without the hint', () => ({ rows: of(1) }), `$.rows is an Observable (${RULE})`],
    ['a Date inside an array', () => [1, { at: new Date(0) }], `$[1].at is a Date (${RULE})`],
  ])('should describe %s', (_, value, problem) => {
    expect(jsonSafetyProblem(value())).toBe(problem);
  });

  it('should name a problem deep inside a value by its whole path, and a very long path by its ends', () => {
    const inner: Record<string, unknown> = { list: [0, 1, { value: Number.NaN }] };
    expect(jsonSafetyProblem({ a: { b: [inner] } })).toBe('$.a.b[0].list[2].value is NaN');
    let deep: unknown = 1;
    for (let level = 0; level < 1001; level++) deep = [deep];
    const problem = jsonSafetyProblem(deep)!;
    expect(problem).toMatch(/^\$(\[0\]){40,}…(\[0\]){10,} is nested deeper than 1000 levels$/);
    expect(problem.length).toBeLessThan(250);
  });
});

describe('toJsonSafe', () => {
  it('should copy -0 as 0, as JSON writes it and a resume reads it, and leave the value given as it was', () => {
    const given = { z: -0, list: [-0, 1.5] };
    const copied = toJsonSafe(given);
    expect(copied.ok).toBe(true);
    const value = (copied as { value: { z: number; list: number[] } }).value;
    expect(Object.is(value.z, 0)).toBe(true);
    expect(Object.is(value.list[0], 0)).toBe(true);
    expect(value.list[1]).toBe(1.5);
    expect(Object.is(given.z, -0)).toBe(true);
  });
});

describe('a value whose reading throws', () => {
  it('should name the path of a getter that throws', () => {
    const getter = {
      rows: [
        {
          get boom(): string {
            throw new Error('getter boom');
          },
        },
      ],
    };
    expect(jsonSafetyProblem(getter)).toBe('$.rows[0].boom could not be read (Error: getter boom)');
    const proxy = new Proxy([1, 2], {
      get: (target, key) => {
        if (key === '1') throw new TypeError('no');
        return Reflect.get(target, key) as unknown;
      },
    });
    expect(jsonSafetyProblem({ list: proxy })).toBe('$.list[1] could not be read (TypeError: no)');
  });
});

describe('the length of a JSON text', () => {
  it('should count what JSON.stringify writes, escapes and surrogates included, without writing it', () => {
    const text = 'a"b\\c\n\t\u0001\u001f\u2028é😀\ud800x\udc00\udbff';
    const values: unknown[] = [
      text,
      '',
      [],
      {},
      [text, 1.5, -0, 1e21, null, true, false, [], {}],
      { [text]: { '': [text, { x: 0.1 }] }, n: -12345678901234567890, e: 5e-324 },
      Array.from({ length: 50 }, (_, i) => ({
        [`k${i}`]: String.fromCharCode(...Array.from({ length: 40 }, (_, c) => (i * 131 + c * 977) % 65536)),
      })),
    ];
    for (const value of values) {
      expect(jsonLength(value)).toBe(JSON.stringify(value).length);
      expect(jsonBytes(value)).toBe(Buffer.byteLength(JSON.stringify(value)));
    }
  });

  it('should refuse a value whose JSON text a string cannot hold, naming how long it is, before writing it', () => {
    const part = 'a'.repeat(90 * 1024 * 1024); // six of them: more than the longest string
    const problem = jsonSafetyProblem({ parts: Array.from({ length: 6 }, () => part) });
    const bytes = 6 * (part.length + 3) + '{"parts":[]}'.length - 1;
    expect(problem).toBe(`$ is ${bytes} bytes long as JSON text (UTF-8), more than an event carries (${MAX_JSON_BYTES})`);
    expect(jsonSafetyProblem({ parts: Array.from({ length: 5 }, () => part) })).toBeUndefined();
  });

  it('should count the bytes a reader reads back, not the characters: a string of € is three times as long', () => {
    // 200 Mi characters, 600 MiB of UTF-8: a line Node cannot read back into a string
    const euros = '€'.repeat(200 * 1024 * 1024);
    expect(jsonSafetyProblem(euros)).toBe(
      `$ is ${3 * euros.length + 2} bytes long as JSON text (UTF-8), more than an event carries (${MAX_JSON_BYTES})`,
    );
    expect(jsonSafetyProblem('€'.repeat(170 * 1024 * 1024))).toBeUndefined();
  });
});

describe('the size bound of a JSON-safe copy', () => {
  it('should never be less than the bytes of its JSON text, numbers at their longest included', () => {
    const longest = -0.0000014371794678348244;
    expect(JSON.stringify(longest)).toHaveLength(25);
    for (const value of [[longest], Array.from({ length: 5 }, () => longest), { a: [longest, true, null, '€'] }]) {
      const check = toJsonSafe(value);
      expect(check.ok && check.atMostBytes).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(value)));
    }
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        const check = toJsonSafe(value);
        expect(check.ok && check.atMostBytes).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the length of a JSON text, for any JSON value', () => {
  it('should be the length JSON.stringify gives', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        const copied = JSON.parse(JSON.stringify(value)) as unknown; // what a copy holds: -0 and the like as JSON gives them back
        expect(jsonLength(copied)).toBe(JSON.stringify(copied).length);
        expect(jsonBytes(copied)).toBe(Buffer.byteLength(JSON.stringify(copied)));
      }),
      { numRuns: 500 },
    );
  });
});
