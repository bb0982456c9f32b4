#!/usr/bin/env node
/** Entry point of `npm run diagnose` (from source, for development): `sagemaker-iam-remediator diagnose`. */
import { dispatch } from './commands.js';
import { endQuietlyOnClosedPipe } from './io.js';

endQuietlyOnClosedPipe();
process.exitCode = await dispatch(['diagnose', ...process.argv.slice(2)]);
