#!/usr/bin/env -S node --max-semi-space-size=1
// A small young generation makes V8 collect often the wrappers of the buffers that zlib
// and file reads hand out, which frees their memory early: streaming a 1 GB archive then
// stays near 130 MB of RSS instead of 150+ (see test/bench/mbz).
import { main } from "../src/cli/main.ts";

process.exitCode = await main(process.argv);
