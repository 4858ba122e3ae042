/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Apache Kafka's JVMs: `npm run test:kafka` (test/peers/jest.config.js), after `npm test` in .ci/run.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/peers/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  // A test that hangs is a bug: bound every test, and every run.
  testTimeout: 60000,
  // Two cores on CI: one worker per core.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
