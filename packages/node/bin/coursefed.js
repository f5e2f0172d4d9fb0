#!/usr/bin/env -S node --max-semi-space-size=1
// A small young generation makes V8 collect often the wrappers of the buffers that zlib
// and file reads hand out, which frees their memory early: streaming a 1 GB archive then
// stays near 130 MB of RSS instead of 150+ (see test/bench/mbz).
//
// This launcher is plain JavaScript so that an older Node can say what is wrong: the
// sources are TypeScript, run by Node's built-in type stripping (Node >= 22.18).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `coursefed needs Node.js 22.18 or newer; this is ${process.version}. Run it as \`npx coursefed\` from the project, which uses its own Node 24.\n`,
  );
  process.exit(1);
}
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv);
