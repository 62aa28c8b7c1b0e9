'use strict';
// A notes API with no dependencies: what this exercise is about is what else ships beside it.
const http = require('http');

const port = Number(process.env.PORT || 3000);
const notes = [];

function send(res, code, body) {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') return send(res, 200, { status: 'ok' });
  if (req.method === 'GET' && req.url === '/notes') return send(res, 200, notes);
  if (req.method === 'POST' && req.url === '/notes') {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 16 * 1024) req.destroy();
    });
    req.on('end', () => {
      let text;
      try {
        text = JSON.parse(body).text;
      } catch {
        text = undefined;
      }
      if (typeof text !== 'string' || text.length === 0) return send(res, 400, { error: 'body must be {"text": "..."}' });
      notes.push(text);
      return send(res, 201, { id: notes.length, text });
    });
    return undefined;
  }
  return send(res, 404, { error: 'not found' });
});

server.listen(port, () => console.log(`notes listening on :${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
