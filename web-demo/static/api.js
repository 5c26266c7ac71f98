// HTTP calls for accounts: register, log in, refresh the token, log out
// (contract section 1).
// Everything else goes through the SDK.

/** ApiError carries the server's error code (or 'network') like SDK errors do. */
export class ApiError extends Error {
  constructor(code, message, status = 0) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

async function call(path, { body, token } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
  } catch {
    throw new ApiError('network', 'Cannot reach the server. Check your connection and try again.');
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = data && data.error;
    if (err && err.message) throw new ApiError(err.code || 'internal', err.message, res.status);
    throw new ApiError('internal', `The server answered ${res.status} ${res.statusText}`.trim(), res.status);
  }
  return data;
}

/** register creates an account and answers {userID, token, expiresAt}. */
export function register({ username, password, nickname }) {
  return call('/api/v1/auth/register', { body: { username, password, nickname } });
}

/** login answers {userID, token, expiresAt}. */
export function login({ username, password }) {
  return call('/api/v1/auth/login', { body: { username, password, platform: 'web' } });
}

/** refresh answers {userID, token, expiresAt}: a fresh token for the one given. */
export function refresh(token) {
  return call('/api/v1/auth/refresh', { token });
}

/** logout revokes the token on the server. */
export function logout(token) {
  return call('/api/v1/auth/logout', { token });
}
