#!/usr/bin/env node
/** The `sagemaker-iam-remediator` command; its subcommands are the rows of bin/commands.ts. */
import { dispatch } from './commands.js';
import { endQuietlyOnClosedPipe } from './io.js';

endQuietlyOnClosedPipe();
process.exitCode = await dispatch(process.argv.slice(2));
