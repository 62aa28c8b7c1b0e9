import { describe } from './jobs.js';

const list = document.querySelector('#jobs');

async function refresh() {
  const res = await fetch('/api/jobs');
  const jobs = res.ok ? await res.json() : [];
  list.replaceChildren(...jobs.map((j) => Object.assign(document.createElement('li'), { textContent: describe(j) })));
}

document.querySelector('#add').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = new FormData(event.target).get('text');
  await fetch('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  event.target.reset();
  refresh();
});

refresh();
setInterval(refresh, 2000);
