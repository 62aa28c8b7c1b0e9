// Docker tips, filtered as you type: a tiny but real single-page app (no framework).
import './style.css';
import { tips } from './tips.js';

const list = document.querySelector('#tips');
const search = document.querySelector('#search');

function render(filter) {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = tips.filter((t) => words.every((w) => t.text.toLowerCase().includes(w) || t.tag.includes(w)));
  list.replaceChildren(...shown.map((t) => {
    const li = document.createElement('li');
    const tag = document.createElement('span');
    tag.className = 'tag';
    tag.textContent = t.tag;
    li.append(tag, ` ${t.text}`);
    return li;
  }));
  document.querySelector('#count').textContent = `${shown.length} of ${tips.length}`;
}

search.addEventListener('input', () => render(search.value));
render('');
