// Small DOM helpers. User data only ever reaches the page as text nodes or
// attribute values; nothing here parses HTML.

/**
 * el creates an element. props may hold className, text, title, dataset,
 * attrs (set with setAttribute), hidden, and on* handlers (onclick, …).
 * Children are nodes or strings (strings become text nodes).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'className') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'attrs') for (const [a, v] of Object.entries(value)) node.setAttribute(a, v);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** $ finds one element by id and fails loudly if the page lacks it. */
export function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node;
}

/** byTestID finds the first element with the data-testid inside root. */
export function byTestID(root, id) {
  return root.querySelector(`[data-testid="${id}"]`);
}

/** showError puts a message into an error element, or hides it for ''. */
export function showError(node, message) {
  node.textContent = message || '';
  node.hidden = !message;
}
