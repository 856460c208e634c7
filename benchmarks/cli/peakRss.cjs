'use strict';
/**
 * Preloaded (`node --require`) into every process `npm run bench:cli` measures: when the process
 * exits, whatever ends it (`process.exit` included), writes its peak RSS (`process.resourceUsage()
 * .maxRSS`), the CPU time it used (user + system) and its uptime as JSON to the file named by `RXDAG_BENCH_RUSAGE`. Plain JavaScript,
 * so the measured process loads no TypeScript tooling; it changes nothing else in the process.
 */
const { writeFileSync } = require('node:fs');

const file = process.env.RXDAG_BENCH_RUSAGE;
if (file) {
  process.on('exit', (code) => {
    try {
      const usage = process.resourceUsage();
      const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
      writeFileSync(file, JSON.stringify({ maxRssBytes: usage.maxRSS * 1024, cpuMs, uptimeMs: process.uptime() * 1000, code }));
    } catch {
      // the parent reports a missing measurement
    }
  });
}
