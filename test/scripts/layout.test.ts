// The layout rules of ../shared/STYLE.md hold for src/ (scripts/check-layout.ts measures them;
// `npm run check:layout` prints the same figures).
import assert from 'node:assert/strict';
import path from 'node:path';
import { checkLayout, MAX_CLASS_LINES, MAX_FILE_LINES } from '../../scripts/check-layout';

describe('source layout (STYLE.md)', () => {
  const report = checkLayout(path.resolve(__dirname, '..', '..'));

  it(`has no file over ${MAX_FILE_LINES} lines, no class over ${MAX_CLASS_LINES}, no import cycle, no lower room importing Node-RED's side`, () => {
    assert.deepEqual(report.breaches, []);
  });

  it('measured every source file', () => {
    assert.ok(report.files > 50, `only ${report.files} files found under src/`);
    assert.ok(report.longestFile.lines > 0 && report.longestClass.lines > 0);
  });
});
