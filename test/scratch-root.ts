/**
 * Vitest globalSetup: one folder for every scratch folder of a test run (test/helpers/cli.ts
 * scratch()), removed when the run ends, whatever its tests did. Test processes are stopped without
 * their exit handlers running, so a helper cannot clean up after itself: 3,488 pdfraster-test-*
 * folders had piled up in /tmp.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "pdfraster-tests-"));
  process.env.PDFRASTER_TEST_SCRATCH = root; // inherited by the test processes, forked after this
  return () => rmSync(root, { recursive: true, force: true });
}
