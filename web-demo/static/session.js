// The remembered session: enough to log in again from local data after a
// reload, with or without the server.

const KEY = 'parley.session';
const LAST_USERNAME = 'parley.lastUsername';

/** load returns {userID, token, expiresAt, username} or null. */
export function load() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || 'null');
    if (s && typeof s.userID === 'string' && typeof s.token === 'string' && s.userID && s.token) return s;
  } catch {
    // A corrupt entry is the same as none.
  }
  return null;
}

export function save(session) {
  localStorage.setItem(KEY, JSON.stringify(session));
  if (session.username) localStorage.setItem(LAST_USERNAME, session.username);
}

export function clear() {
  localStorage.removeItem(KEY);
}

export function lastUsername() {
  return localStorage.getItem(LAST_USERNAME) || '';
}
