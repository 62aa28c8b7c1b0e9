import test from 'node:test';
import assert from 'node:assert';
import { addTodo, toggleTodo, remaining } from '../src/todos.js';

test('addTodo ignores blank titles and numbers items', () => {
  let todos = addTodo([], '  ');
  assert.deepStrictEqual(todos, []);
  todos = addTodo(addTodo(todos, 'a'), 'b');
  assert.deepStrictEqual(todos.map((t) => t.id), [1, 2]);
});

test('toggleTodo and remaining', () => {
  const todos = toggleTodo(addTodo(addTodo([], 'a'), 'b'), 1);
  assert.strictEqual(remaining(todos), 1);
});
