/** Imported first by the public entry point: the API refuses an old Node.js at import, with a UsageError. */
import { assertSupportedNode } from "./runtime.js";

assertSupportedNode();
