// Pure list logic used by App.vue (and tested by `node --test`, no browser needed).
export function addTodo(todos, title) {
  const text = String(title ?? '').trim();
  if (!text) return todos;
  const id = todos.reduce((max, t) => Math.max(max, t.id), 0) + 1;
  return [...todos, { id, title: text, done: false }];
}

export function toggleTodo(todos, id) {
  return todos.map((t) => (t.id === id ? { ...t, done: !t.done } : t));
}

export function remaining(todos) {
  return todos.filter((t) => !t.done).length;
}
