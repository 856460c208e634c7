import fc from 'fast-check';
import { MAX_KEPT_BYTES, TextBytes } from '../../src/journal/textBytes';

/** The bytes a journal writer writes: `Buffer.from(text, 'utf8')`'s, from a buffer it reuses. */

const anyText = fc.string({
  unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('\ud800', '\udfff', '😀', 'é', '中', '\u0000')),
});

describe('TextBytes', () => {
  it("should give Buffer.from's UTF-8 bytes for any text, one call after the other (lone surrogates included)", () => {
    const bytes = new TextBytes();
    fc.assert(
      fc.property(fc.array(anyText, { minLength: 1, maxLength: 5 }), (texts) => {
        for (const text of texts) expect(bytes.of(text).equals(Buffer.from(text, 'utf8'))).toBe(true);
      }),
      { numRuns: Number(process.env.RXDAG_PROPERTY_RUNS ?? 300) },
    );
  });

  it('should reuse one buffer for texts that fit, and give a text past the kept size a buffer of its own', () => {
    const bytes = new TextBytes();
    const first = bytes.of('a'.repeat(100));
    const second = bytes.of('中'.repeat(50));
    expect(second.buffer).toBe(first.buffer);
    expect(second.equals(Buffer.from('中'.repeat(50), 'utf8'))).toBe(true);
    const long = '😀'.repeat(MAX_KEPT_BYTES / 4);
    const own = bytes.of(long);
    expect(own.buffer).not.toBe(first.buffer);
    expect(own.equals(Buffer.from(long, 'utf8'))).toBe(true);
    expect(bytes.of('ok').buffer).toBe(first.buffer);
  });
});
