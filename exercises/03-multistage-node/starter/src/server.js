'use strict';
const { createApp } = require('./app');

const port = Number(process.env.PORT || 3000);
const server = createApp().listen(port, () => {
  console.log(`notes-api listening on :${port}`);
});

// PID 1 in a container gets SIGTERM on `docker stop`: close cleanly instead of waiting for SIGKILL.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
