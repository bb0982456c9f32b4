#!/usr/bin/env node
/** Entry point of `npm run diagnose`; see bin/cli.ts. */
import { run } from './cli.js';

process.exitCode = await run(process.argv.slice(2));
