/**
 * The unit tier (make check): files named *.unit.test.ts need no server, so no global setup starts one. The full run
 * (jest.config.js) runs them too.
 */
const { globalSetup: _setup, globalTeardown: _teardown, ...everything } = require('./jest.config');

module.exports = {
  ...everything,
  testMatch: ['**/*.unit.test.ts'],
  setupFiles: ['<rootDir>/harness/unit-setup.ts'],
};
