// Profiles the app shows by name: a small cache over the SDK's user calls.

/** userLabel is how a user is called: nickname, else username, else ID. */
export function userLabel(u) {
  return (u && (u.nickname || u.username || u.userID)) || '';
}

export class Users {
  /**
   * @param {() => object} client the SDK client (read when used)
   * @param {() => void} onNames called after profiles arrived, to redraw names
   */
  constructor(client, onNames) {
    this.client = client;
    this.onNames = onNames;
    this.selfID = '';
    this.known = new Map(); // userID -> User
    this.asked = new Set(); // looked up already, so a missing user is not asked for again and again
  }

  /** reset forgets everything, for a new signed-in user ('' when signed out). */
  reset(selfID) {
    this.selfID = selfID;
    this.known.clear();
    this.asked.clear();
  }

  remember(u) {
    if (u && u.userID) this.known.set(u.userID, { ...this.known.get(u.userID), ...u });
  }

  /** learned takes profiles the SDK announced (usersInfoChanged) and redraws names. */
  learned(list) {
    for (const u of list || []) this.remember(u);
    if (list && list.length) this.onNames();
  }

  /** nameOf is a user's display name ('You' for the signed-in user, the ID when unknown). */
  nameOf(userID) {
    if (userID === this.selfID) return 'You';
    return userLabel(this.known.get(userID)) || userID;
  }

  /** ensure fetches the profiles not seen yet, e.g. for sender names in groups. */
  async ensure(userIDs) {
    const missing = [...new Set(userIDs)].filter((id) => id && id !== this.selfID && !this.known.has(id) && !this.asked.has(id));
    if (missing.length === 0) return;
    for (const id of missing) this.asked.add(id);
    try {
      const users = await this.client().getUsersInfo({ userIDs: missing });
      for (const u of users || []) this.remember(u);
      // Not given yet (offline): asked again next time, and announced by
      // usersInfoChanged once the SDK has it.
      for (const id of missing) if (!this.known.has(id)) this.asked.delete(id);
      this.onNames();
    } catch (err) {
      // Offline or not allowed: the ID stands in for the name; try again later.
      for (const id of missing) this.asked.delete(id);
      console.warn('getUsersInfo', err);
    }
  }

  /** lookup finds a user by username, degrading to a user ID when the SDK cannot search. */
  async lookup(username) {
    const c = this.client();
    if (typeof c.findUserByUsername === 'function') {
      let user = null;
      try {
        user = await c.findUserByUsername({ username });
      } catch (err) {
        if (err && err.code === 'not_found') throw new Error(`No user is called “${username}”.`);
        throw err;
      }
      if (!user || !user.userID) throw new Error(`No user is called “${username}”.`);
      this.remember(user);
      return user;
    }
    try {
      const [user] = (await c.getUsersInfo({ userIDs: [username] })) || [];
      if (user && user.userID) {
        this.remember(user);
        return user;
      }
    } catch {
      // Fall through to the explanation below.
    }
    throw new Error('This SDK build cannot look up users by username (findUserByUsername is missing). Enter their user ID instead.');
  }
}
