/**
 * The compare quick run, as test/bench/compare-quick.test.ts runs it (with the runtime
 * running the tests in front and `--out DIR` after) and as the README tells a user to:
 * `npm run compare -- --quick` = package.json's `compare` script + `--quick`.
 * test/readme.test.ts checks the two agree, so the quick run is run once, here.
 */
export const COMPARE_QUICK: readonly string[] = ["bench/compare.ts", "--quick"];
