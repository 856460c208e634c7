import { jsonLine } from '../../../src/cli/output/jsonLine';

describe('jsonLine', () => {
  it('should write what a terminal would act on or draw reversed as \\u escapes, the value unchanged once parsed', () => {
    const value = { stderr: 'csi \u009b2J del \u007f bidi report\u202etxt.exe \u2066x\u2069 sep \u2028 esc \u001b[31m', n: 1 };
    const line = jsonLine(value);
    expect(line).toBe(
      '{"stderr":"csi \\u009b2J del \\u007f bidi report\\u202etxt.exe \\u2066x\\u2069 sep \\u2028 esc \\u001b[31m","n":1}\n',
    );
    expect(line).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(line)).toEqual(value);
  });

  it('should leave other text as JSON.stringify writes it', () => {
    expect(jsonLine({ id: 'ü∂ 😀 "q"' })).toBe(`${JSON.stringify({ id: 'ü∂ 😀 "q"' })}\n`);
  });
});
