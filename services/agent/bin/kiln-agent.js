#!/usr/bin/env node
import { runAgentCommand } from '../dist/main.js';

process.exitCode = await runAgentCommand(process.argv.slice(2));
