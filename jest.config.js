/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // four workers on a 2-core machine: many suites wait on child processes, Redis or PostgreSQL,
  // not on the CPU, which the others then use (the whole suite 230 → 190 s with three workers
  // against two; four against three, back to back on one loaded machine, 230 s against 252 s)
  maxWorkers: 4,
  // many specs start real processes; on a loaded 2-core machine 5 s is too short for some
  testTimeout: 20_000,
  testMatch: ['<rootDir>/spec/**/*.spec.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // examples import the package by name, as users do
  moduleNameMapper: {
    // rxjs from its one-file bundle: its CommonJS entry is ~220 modules, which jest loads again for
    // each spec file (~0.15 s of CPU each). The bundle is the same code built for ES5; the package
    // is tested with the real entry where it runs in processes of its own (spec/package.spec.ts,
    // the CLI's specs, the examples run as scripts)
    '^rxjs$': '<rootDir>/node_modules/rxjs/dist/bundles/rxjs.umd.js',
    '^rxjs/testing$': '<rootDir>/spec/support/rxjsTesting.js',
    '^rxdag$': '<rootDir>/src/index.ts',
    '^rxdag/(otel|prometheus)$': '<rootDir>/src/observe/$1.ts',
    '^rxdag/postgres$': '<rootDir>/src/postgres/index.ts',
    '^rxdag/bullmq$': '<rootDir>/src/bullmq/index.ts',
  },
};
