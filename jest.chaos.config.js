/** `npm run test:chaos`: the reliability scenarios (test/chaos) and the long suites (every .chaos.ts file under test), one at a time; not part of `npm test`. */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['**/test/**/*.chaos.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 1_200_000,
};
