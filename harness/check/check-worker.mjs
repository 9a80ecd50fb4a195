// Entry of the worker thread that checks one strategy. The harness is
// TypeScript: register tsx in this thread (as bin.mjs does for the main one)
// before importing it.
import { register } from 'tsx/esm/api';

register();
await import('./check-worker.ts');
