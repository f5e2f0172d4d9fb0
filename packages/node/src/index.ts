export { buildProgram, main } from "./cli/main.ts";
