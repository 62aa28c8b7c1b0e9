// A development static server for dist/ (what the naive image runs): no caching, no proxy.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
const port = Number(process.env.PORT || 8080);
createServer(async (req, res) => {
  const path = normalize(new URL(req.url, 'http://x').pathname).replace(/^(\.\.[/\\])+/, '');
  try {
    const body = await readFile(join('dist', path === '/' ? 'index.html' : path));
    res.writeHead(200, { 'content-type': types[extname(path)] || 'text/plain' }).end(body);
  } catch {
    res.writeHead(404).end('not found\n');
  }
}).listen(port, () => console.log(`frontend dev server on :${port}`));
