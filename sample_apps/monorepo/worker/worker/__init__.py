"""The monorepo's worker: claims jobs from the API, shouts their text, posts the result."""
