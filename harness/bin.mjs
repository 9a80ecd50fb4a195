#!/usr/bin/env node
// The `oversold` command run from the sources (the repository's tests spawn it):
// the harness is TypeScript, so it runs under tsx. The installed package's bin
// is the compiled harness/cli/bin.ts instead, with nothing to transpile.
import { register } from 'tsx/esm/api';

register();
await import('./cli/bin.ts');
