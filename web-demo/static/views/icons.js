// Inline SVG icons for message states. Built with createElementNS from fixed
// path data (never from user input).

const NS = 'http://www.w3.org/2000/svg';

const PATHS = {
  // A clock: sending.
  clock: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M12 7v5l3 2'],
  // A check: stored on the server.
  check: ['M5 12.5l4.5 4.5L19 7.5'],
  // Two checks: read by the other user (one-to-one chats).
  checks: ['M2.5 12.5l4.5 4.5L16.5 7.5', 'M10.5 16.5l.5.5L21 7.5'],
  // An exclamation in a circle: failed.
  alert: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M12 7.5v5.5', 'M12 16.5v.5'],
  // A struck bell: muted conversation.
  bellOff: ['M6 8a6 6 0 0 1 10.5-4', 'M18 11v3l2 3H7', 'M10 20a2 2 0 0 0 4 0', 'M3 3l18 18'],
  // A pin: pinned conversation.
  pin: ['M9 4h6l-1 6 3 3H7l3-3z', 'M12 13v7'],
};

/** icon returns an <svg> for one of the names above. */
export function icon(name, label) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon icon-${name}`);
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
  } else {
    svg.setAttribute('aria-hidden', 'true');
  }
  for (const d of PATHS[name] || []) {
    const p = document.createElementNS(NS, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}
