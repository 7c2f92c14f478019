#!/usr/bin/env node
// The installed package runs the compiled JavaScript in dist/ (Node never
// strips types inside node_modules). A source checkout without a build runs
// the TypeScript sources directly, which Node >= 22.18 can do.
import { existsSync } from 'node:fs';
import { enableCompileCache } from 'node:module';

// V8's compiled code (and, for the TypeScript sources, the stripped code)
// kept across runs in the OS temp dir (NODE_COMPILE_CACHE=dir elsewhere,
// NODE_DISABLE_COMPILE_CACHE=1 off): start-up is a tenth of a short
// `apiwarden discover` otherwise (bench/README.md, "Log ingest").
enableCompileCache?.();

const compiled = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(compiled) ? compiled : new URL('../src/cli/main.ts', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
