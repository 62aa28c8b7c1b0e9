'use strict';
// A small but real Express API: a health probe and an in-memory list of notes.
const express = require('express');

function createApp() {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16kb' }));

  const started = Date.now();
  const notes = [];

  app.get('/health', (req, res) => {
    res.json({ status: 'ok', uptime_s: Math.round((Date.now() - started) / 1000) });
  });

  app.get('/', (req, res) => {
    res.json({ service: 'notes-api', node: process.version, endpoints: ['/health', '/notes'] });
  });

  app.get('/notes', (req, res) => {
    res.json(notes);
  });

  app.post('/notes', (req, res) => {
    const text = req.body && req.body.text;
    if (typeof text !== 'string' || text.length === 0) {
      return res.status(400).json({ error: 'body must be {"text": "<non-empty string>"}' });
    }
    const note = { id: notes.length + 1, text };
    notes.push(note);
    return res.status(201).json(note);
  });

  return app;
}

module.exports = { createApp };
