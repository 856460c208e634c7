import fc from 'fast-check';
import { hasKeys, jsonNumber, jsonString } from '../../src/journal/jsonText';

/** The pieces the journal's encoders are made of, against `JSON.stringify`. */

describe('jsonText', () => {
  it('should write strings and numbers as JSON.stringify does (controls, quotes, surrogates, NaN, -0)', () => {
    const unit = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u2028', '\ud800', '\udc00', '😀'),
    );
    fc.assert(fc.property(fc.string({ unit }), (text) => expect(jsonString(text)).toBe(JSON.stringify(text))));
    const number = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e21, 1e-7),
    );
    fc.assert(fc.property(number, (value) => expect(jsonNumber(value)).toBe(JSON.stringify(value))));
  });

  it.each<[string, number, boolean, object]>([
    ['the keys, in order', 3, true, { a: 1, b: 2, c: 3 }],
    ['optional keys left out', 2, true, { a: 1, b: 2 }],
    ['an optional key in the middle left out', 1, true, { a: 1, c: 3 }],
    ['a required key left out', 2, false, { a: 1, c: 3 }],
    ['keys in another order', 3, false, { b: 2, a: 1, c: 3 }],
    ['a key it does not know', 3, false, { a: 1, b: 2, c: 3, d: 4 }],
    ['a key it does not know, before the known ones end', 1, false, { a: 1, x: 0, b: 2 }],
    ['no keys, none required', 0, true, {}],
  ])('should tell an object with %s (%d required): %s', (_, required, expected, value) => {
    expect(hasKeys(value, ['a', 'b', 'c'], required)).toBe(expected);
  });
});
