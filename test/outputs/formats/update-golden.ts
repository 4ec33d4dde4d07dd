import { writeFileSync } from 'node:fs';
import { caseNames, FORMATS, goldenPath, goldenText, readInput } from './golden-cases';

// Rewrites every case's expected records from the current formatters: `npx tsx test/outputs/formats/update-golden.ts`.
// Review the diff line by line before committing it; the golden files are the specification the test holds the code to.
for (const name of caseNames()) {
  const event = readInput(name);
  for (const format of FORMATS) writeFileSync(goldenPath(name, format), goldenText(event, format));
}
console.log(`rewrote ${caseNames().length} cases × ${FORMATS.length} formats`);
