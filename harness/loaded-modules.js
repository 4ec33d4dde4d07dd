// Preloaded with `node --require` into a process under test: as it exits, it writes every file that process loaded
// through require (the built worker is CommonJS, and so are tsx's hooks, webpack and swc) to LOADED_MODULES_FILE.
const { writeFileSync } = require('node:fs');

process.on('exit', () => writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify(Object.keys(require.cache))));
