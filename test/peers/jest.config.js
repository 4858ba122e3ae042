// `npm run test:kafka`: the tests that run Apache Kafka's Java client, tools and
// broker (JVMs, from the jars `npm run peers:kafka` fetched). Kept out of `npm test`
// (the root jest.config.js ignores test/peers): .ci/run runs them after it.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/peers'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 60000,
  // Two cores: one test file (one broker and its JVMs) per core.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
