#!/usr/bin/env node
/** Entry point of `npm run diagnose` (from source, for development); see bin/cli.ts. */
import { run } from './cli.js';
import { endQuietlyOnClosedPipe } from './io.js';

endQuietlyOnClosedPipe();
process.exitCode = await run(process.argv.slice(2));
