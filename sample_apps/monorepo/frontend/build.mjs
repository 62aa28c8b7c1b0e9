// Build the static site into dist/: copy src/, stamp the version, add the /health file.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
cpSync('src', 'dist', { recursive: true });
writeFileSync('dist/index.html', readFileSync('src/index.html', 'utf8').replaceAll('__VERSION__', version));
writeFileSync('dist/health', 'ok\n');
console.log(`built dist/ (v${version})`);
