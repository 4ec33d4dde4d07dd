/** One Temporal dev server and one throwaway database serve the whole run (harness). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: { warnOnly: false } }] },
  globalSetup: '<rootDir>/harness/global-setup.ts',
  globalTeardown: '<rootDir>/harness/global-teardown.ts',
  reporters: ['default', '<rootDir>/harness/summary-reporter.js'],
  testTimeout: 120000,
};
