import { describeIoError } from '../../../src/cli/commands/writeTarget';

describe('describeIoError', () => {
  it("should say what an error code means where Node's own words do not", () => {
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    expect(describeIoError(epipe)).toBe('EPIPE (its reader went away)');
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(describeIoError(full)).toBe('ENOSPC (no space left on device)');
  });
});
