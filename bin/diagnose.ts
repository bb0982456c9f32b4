#!/usr/bin/env node
/** Entry point of `npm run diagnose`; see bin/cli.ts. */
import { run } from './cli.js';

process.exitCode = run(process.argv.slice(2));
