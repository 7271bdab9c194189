/**
 * The container-engine suites (`__tests__/integration/*-engine.test.ts`): `npm run test:engine`,
 * one suite at a time (they share one Docker engine and swarm). Without an engine each suite says
 * SKIPPED and why. See jest.config.js, whose ignore list names them, for everything else.
 */
const base = require("./jest.config");
const [nodeModules, engineSuites] = base.testPathIgnorePatterns;

// testRegex instead of the base's testMatch (jest takes one of the two).
module.exports = { ...base, testMatch: undefined, testRegex: engineSuites, testPathIgnorePatterns: [nodeModules], maxWorkers: 1 };
