// Pure helpers (tested with `node --test`).
export function describe(job) {
  return job.state === 'done' ? `${job.text} → ${job.result}` : `${job.text} (${job.state})`;
}
