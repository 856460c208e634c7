/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // two workers on a 2-core machine: many suites wait on child processes, not on the CPU
  maxWorkers: 2,
  // many specs start real processes; on a loaded 2-core machine 5 s is too short for some
  testTimeout: 20_000,
  testMatch: ['<rootDir>/spec/**/*.spec.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // examples import the package by name, as users do
  moduleNameMapper: {
    '^rxdag$': '<rootDir>/src/index.ts',
    '^rxdag/(otel|prometheus)$': '<rootDir>/src/observe/$1.ts',
    '^rxdag/postgres$': '<rootDir>/src/postgres/index.ts',
    '^rxdag/bullmq$': '<rootDir>/src/bullmq/index.ts',
  },
};
