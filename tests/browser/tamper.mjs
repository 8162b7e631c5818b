// Tampering with a built room, for the browser tests: one flipped base64
// character in every payload of the copied site.

import fs from 'node:fs';
import path from 'node:path';

/** Flips one base64 character in every payload of a data file (one payload,
 *  or a pack of page payloads, one `dataroomPayload(...)` line each). Returns their ids. */
export function flipPayload(file) {
  const ids = [];
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((line) => {
    const obj = JSON.parse(line.slice(line.indexOf('(') + 1, line.lastIndexOf(')')));
    const i = Math.floor(obj.ct.length / 2);
    obj.ct = obj.ct.slice(0, i) + (obj.ct[i] === 'A' ? 'B' : 'A') + obj.ct.slice(i + 1);
    ids.push(obj.id);
    return `dataroomPayload(${JSON.stringify(obj)});`;
  });
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return ids;
}

/** Copies the sealed site `site` to `dir` and flips every payload except those in
 *  the files named in `keep` (file ids). Returns the flipped payload ids. */
export function tamperSiteCopy(site, dir, keep) {
  fs.cpSync(site, dir, { recursive: true });
  const flipped = [];
  for (const f of fs.readdirSync(path.join(dir, 'data'))) {
    if (['header.js', 'manifest.js'].includes(f) || keep.includes(f.replace(/\.js$/, ''))) continue;
    flipped.push(...flipPayload(path.join(dir, 'data', f)));
  }
  return flipped;
}
