// The three dialogs: start a chat by username, create a group, friends and requests.
import { el, $, byTestID, showError } from '../dom.js';
import { paintAvatar } from '../format.js';
import { userLabel } from '../users.js';

function userRow(u, ...actions) {
  const avatar = el('span', { className: 'avatar small', attrs: { 'aria-hidden': 'true' } });
  paintAvatar(avatar, userLabel(u), u.userID);
  return el(
    'li',
    { className: 'pick', dataset: { userId: u.userID } },
    avatar,
    el('span', { className: 'pick-name' }, el('strong', { text: userLabel(u) }), u.username ? el('span', { className: 'muted small', text: ` @${u.username}` }) : null),
    ...actions,
  );
}

/** statusOf reads the demo's status line from a profile's ex. */
export function statusOf(u) {
  try {
    const ex = u && u.ex ? JSON.parse(u.ex) : null;
    return (ex && typeof ex.status === 'string' && ex.status) || '';
  } catch {
    return '';
  }
}

function closeButtons(dialog) {
  for (const b of dialog.querySelectorAll('[data-close]')) b.addEventListener('click', () => dialog.close());
}

/**
 * mountDialogs wires the dialogs to the app.
 * app: {client, selfID(), lookupUser(username) -> User, openUserChat(User), openGroupChat(Group),
 *       friendRequests() -> request[], reloadFriendRequests() -> Promise, canListFriendRequests(),
 *       nameOf(userID), showSelf(User), rememberUsers(User[])}
 */
export function mountDialogs(app) {
  const supports = (m) => !!app.client && typeof app.client[m] === 'function';
  // --- New chat ---
  const chatDialog = $('new-chat-dialog');
  const chatForm = $('new-chat-form');
  const chatError = byTestID(chatDialog, 'new-chat-error');
  closeButtons(chatDialog);
  chatForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = chatForm.elements.username.value.trim();
    if (!username) return;
    const submit = byTestID(chatDialog, 'new-chat-submit');
    submit.disabled = true;
    showError(chatError, '');
    try {
      const user = await app.lookupUser(username);
      if (user.userID === app.selfID()) throw new Error('That is you. Pick someone else to chat with.');
      chatDialog.close();
      app.openUserChat(user);
    } catch (err) {
      showError(chatError, err.message || String(err));
    } finally {
      submit.disabled = false;
    }
  });

  // --- New group ---
  const groupDialog = $('new-group-dialog');
  const groupForm = $('new-group-form');
  const groupError = byTestID(groupDialog, 'group-error');
  const chosenList = $('group-chosen');
  const friendsList = $('group-friends');
  const chosen = new Map(); // userID -> User, added by username
  closeButtons(groupDialog);

  function renderChosen() {
    chosenList.replaceChildren(
      ...[...chosen.values()].map((u) =>
        el(
          'li',
          { className: 'chip', dataset: { testid: 'group-member-chip', userId: u.userID } },
          userLabel(u),
          el('button', {
            type: 'button',
            className: 'chip-remove',
            text: '×',
            attrs: { 'aria-label': `Remove ${userLabel(u)}` },
            onclick: () => {
              chosen.delete(u.userID);
              renderChosen();
            },
          }),
        ),
      ),
    );
  }

  async function addMember() {
    const input = groupForm.elements.member;
    const username = input.value.trim();
    if (!username) return;
    showError(groupError, '');
    try {
      const user = await app.lookupUser(username);
      if (user.userID === app.selfID()) throw new Error('You are in the group already.');
      chosen.set(user.userID, user);
      input.value = '';
      renderChosen();
    } catch (err) {
      showError(groupError, err.message || String(err));
    }
  }
  $('group-member-add').addEventListener('click', addMember);
  groupForm.elements.member.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.isComposing) {
      e.preventDefault();
      addMember();
    }
  });

  groupForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = groupForm.elements.name.value.trim();
    const members = new Set(chosen.keys());
    for (const box of friendsList.querySelectorAll('input[type=checkbox]:checked')) members.add(box.value);
    if (!name) return showError(groupError, 'Give the group a name.');
    if (members.size === 0) return showError(groupError, 'Add at least one member.');
    const submit = byTestID(groupDialog, 'group-submit');
    submit.disabled = true;
    showError(groupError, '');
    try {
      const group = await app.client.createGroup({ name, memberUserIDs: [...members] });
      groupDialog.close();
      app.openGroupChat(group);
    } catch (err) {
      showError(groupError, err.message || String(err));
    } finally {
      submit.disabled = false;
    }
  });

  // --- Friends ---
  const friendsDialog = $('friends-dialog');
  const addForm = $('add-friend-form');
  const friendsError = byTestID(friendsDialog, 'friends-error');
  const friendsNotice = byTestID(friendsDialog, 'friends-notice');
  const requestsList = $('friend-requests');
  const friendList = $('friend-list');
  closeButtons(friendsDialog);

  function notice(text) {
    friendsNotice.textContent = text;
    friendsNotice.hidden = !text;
  }

  const searchForm = $('people-search-form');
  const searchResults = $('people-search-results');
  const blackList = $('black-list');

  /** act runs an SDK call from a button: disabled meanwhile, errors shown. */
  async function act(button, fn, done) {
    button.disabled = true;
    showError(friendsError, '');
    try {
      await fn();
      if (done) notice(done);
      await app.reloadFriendRequests();
      await renderFriends();
    } catch (err) {
      showError(friendsError, err.message || String(err));
    } finally {
      button.disabled = false;
    }
  }

  function actionButton(text, testid, onclick, className = 'small') {
    const b = el('button', { type: 'button', className, text, dataset: { testid } });
    b.addEventListener('click', () => onclick(b));
    return b;
  }

  function blockButton(u) {
    return actionButton('Block', 'block-user-button', (b) =>
      act(b, () => app.client.addBlack({ userID: u.userID }), `${userLabel(u)} is blocked: they can't message you or send requests.`),
    'small ghost');
  }

  searchForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const keyword = searchForm.elements.keyword.value.trim();
    if (!keyword) return;
    showError(friendsError, '');
    const submit = byTestID(friendsDialog, 'people-search-submit');
    submit.disabled = true;
    try {
      const found = await app.client.searchUsers({ keyword, count: 20 });
      app.rememberUsers(found);
      const self = app.selfID();
      const friends = new Set(((await app.client.getFriendList()) || []).map((u) => u.userID));
      searchResults.hidden = false;
      searchResults.replaceChildren(
        ...(found.length
          ? found.map((u) => {
              const status = statusOf(u);
              const actions = [];
              if (u.userID === self) actions.push(el('span', { className: 'muted small', text: 'You' }));
              else if (friends.has(u.userID)) actions.push(el('span', { className: 'muted small', text: 'Friend' }));
              else {
                actions.push(
                  actionButton('Add', 'search-add-button', (b) =>
                    act(b, () => app.client.addFriend({ userID: u.userID, message: 'Hi! Let’s chat on Parley.' }), `Request sent to ${userLabel(u)}.`),
                  'primary small'),
                );
              }
              const row = userRow(u, status ? el('span', { className: 'muted small request-message', text: status }) : null, ...actions);
              row.dataset.testid = 'search-result';
              return row;
            })
          : [el('li', { className: 'muted small', text: `Nobody found for “${keyword}”.` })]),
      );
    } catch (err) {
      showError(friendsError, err.code === 'rate_limited' ? 'Too many searches at once: try again in a moment.' : err.message || String(err));
    } finally {
      submit.disabled = false;
    }
  });

  addForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = addForm.elements.username.value.trim();
    if (!username) return;
    const submit = byTestID(friendsDialog, 'add-friend-submit');
    submit.disabled = true;
    showError(friendsError, '');
    notice('');
    try {
      const user = await app.lookupUser(username);
      if (user.userID === app.selfID()) throw new Error('You cannot add yourself.');
      await app.client.addFriend({ userID: user.userID, message: 'Hi! Let’s chat on Parley.' });
      addForm.reset();
      notice(`Request sent to ${userLabel(user)}.`);
      await renderFriends();
    } catch (err) {
      showError(friendsError, err.message || String(err));
    } finally {
      submit.disabled = false;
    }
  });

  function refuse(userID, button) {
    return act(button, () => app.client.refuseFriendRequest({ userID }), `Request from ${app.nameOf(userID)} declined.`);
  }

  async function accept(userID, button) {
    button.disabled = true;
    showError(friendsError, '');
    try {
      await app.client.acceptFriendRequest({ userID });
      notice(`You and ${app.nameOf(userID)} are now friends.`);
      await app.reloadFriendRequests();
      await renderFriends();
    } catch (err) {
      button.disabled = false;
      showError(friendsError, err.message || String(err));
    }
  }

  async function friendsOrError(listEl) {
    try {
      return await app.client.getFriendList();
    } catch (err) {
      listEl.replaceChildren(el('li', { className: 'muted', text: `Couldn't load friends: ${err.message || err}` }));
      return null;
    }
  }

  async function renderFriends() {
    const self = app.selfID();
    const requests = app.friendRequests().filter((r) => r.state === 'pending');
    const incoming = requests.filter((r) => r.toUserID === self);
    // One's own requests stay listed while pending, and once declined.
    const outgoing = app.friendRequests().filter((r) => r.fromUserID === self && r.state !== 'accepted');
    const rows = [
      ...incoming.map((r) => {
        const u = r.fromUser || { userID: r.fromUserID, nickname: app.nameOf(r.fromUserID) };
        const button = el('button', { type: 'button', className: 'primary small', text: 'Accept', dataset: { testid: 'accept-friend-button' } });
        button.addEventListener('click', () => accept(r.fromUserID, button));
        const refuseButton = supports('refuseFriendRequest')
          ? actionButton('Decline', 'refuse-friend-button', (b) => refuse(r.fromUserID, b), 'small ghost')
          : null;
        const row = userRow(u, r.message ? el('span', { className: 'muted small request-message', text: `“${r.message}”` }) : null, refuseButton, button);
        row.dataset.testid = 'friend-request';
        return row;
      }),
      ...outgoing.map((r) => {
        const u = { userID: r.toUserID, nickname: app.nameOf(r.toUserID) };
        const refused = r.state === 'refused';
        const row = userRow(u, el('span', { className: refused ? 'small declined' : 'muted small', text: refused ? 'Declined' : 'Waiting for an answer' }));
        row.dataset.testid = refused ? 'friend-request-refused' : 'friend-request-outgoing';
        return row;
      }),
    ];
    if (!app.canListFriendRequests()) {
      rows.push(el('li', { className: 'muted small', text: 'This SDK build cannot list friend requests (getFriendRequests is missing); requests that arrive while the app is open appear here.' }));
    } else if (rows.length === 0) {
      rows.push(el('li', { className: 'muted small', text: 'No pending requests.' }));
    }
    requestsList.replaceChildren(...rows);

    const friends = await friendsOrError(friendList);
    if (!friends) return;
    friendList.replaceChildren(
      ...(friends.length
        ? friends.map((u) => {
            const shown = u.remark ? { ...u, nickname: u.remark } : u;
            const row = userRow(
              shown,
              u.remark ? el('span', { className: 'muted small', text: userLabel(u), dataset: { testid: 'friend-nickname' } }) : null,
              ...friendActions(u),
              el('button', {
                type: 'button',
                className: 'small',
                text: 'Chat',
                dataset: { testid: 'friend-chat-button' },
                onclick: () => {
                  friendsDialog.close();
                  app.openUserChat(u);
                },
              }),
            );
            row.dataset.testid = 'friend-item';
            return row;
          })
        : [el('li', { className: 'muted small', text: 'No friends yet. Send a request by username.' })]),
    );
    await renderBlocked();
  }

  /** friendActions: rename (remark), remove and block, where the SDK has them. */
  function friendActions(u) {
    const out = [];
    if (supports('setFriendRemark')) {
      out.push(
        actionButton('Rename', 'friend-remark-button', (b) => {
          const row = b.closest('li');
          const input = el('input', { value: u.remark || '', attrs: { maxlength: '128', 'aria-label': `Your name for ${userLabel(u)}` }, dataset: { testid: 'friend-remark-input' } });
          const save = actionButton('Save', 'friend-remark-save', (s2) =>
            act(s2, () => app.client.setFriendRemark({ userID: u.userID, remark: input.value.trim() }), input.value.trim() ? `You call ${userLabel(u)} “${input.value.trim()}”.` : `Name for ${userLabel(u)} cleared.`),
          'primary small');
          input.addEventListener('keydown', (e) => {
            if (e.key === 'Enter' && !e.isComposing) save.click();
          });
          row.replaceChildren(input, save);
          input.focus();
        }, 'small ghost'),
      );
    }
    if (supports('deleteFriend')) {
      out.push(
        actionButton('Remove', 'friend-delete-button', (b) => {
          // Two steps: the first click asks, the second removes.
          if (b.dataset.armed !== '1') {
            b.dataset.armed = '1';
            b.textContent = 'Really remove?';
            b.className = 'small danger-outline';
            return;
          }
          act(b, () => app.client.deleteFriend({ userID: u.userID }), `${userLabel(u)} is no longer your friend.`);
        }, 'small ghost'),
      );
    }
    if (supports('addBlack')) out.push(blockButton(u));
    return out;
  }

  async function renderBlocked() {
    if (!supports('getBlackList')) {
      blackList.replaceChildren(el('li', { className: 'muted small', text: 'This SDK build cannot block users.' }));
      return;
    }
    let blocked;
    try {
      blocked = await app.client.getBlackList();
    } catch (err) {
      blackList.replaceChildren(el('li', { className: 'muted', text: `Couldn't load blocked users: ${err.message || err}` }));
      return;
    }
    blackList.replaceChildren(
      ...(blocked.length
        ? blocked.map((u) => {
            const row = userRow(
              u,
              actionButton('Unblock', 'unblock-button', (b) => act(b, () => app.client.removeBlack({ userID: u.userID }), `${userLabel(u)} is unblocked.`)),
            );
            row.dataset.testid = 'blocked-item';
            return row;
          })
        : [el('li', { className: 'muted small', text: 'Nobody is blocked.' })]),
    );
  }

  // --- Profile ---
  const profileDialog = $('profile-dialog');
  const profileForm = $('profile-form');
  const profileError = byTestID(profileDialog, 'profile-error');
  closeButtons(profileDialog);
  profileForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const nickname = profileForm.elements.nickname.value.trim();
    if (!nickname) return showError(profileError, 'Choose a display name.');
    const submit = byTestID(profileDialog, 'profile-submit');
    submit.disabled = true;
    showError(profileError, '');
    try {
      const args = { nickname };
      if (supports('searchUsers')) {
        // The demo keeps its own profile data in ex, as JSON.
        args.ex = JSON.stringify({ status: profileForm.elements.status.value.trim() });
        args.searchable = profileForm.elements.searchable.checked;
      }
      app.showSelf(await app.client.setSelfInfo(args));
      profileDialog.close();
    } catch (err) {
      showError(profileError, err.message || String(err));
    } finally {
      submit.disabled = false;
    }
  });

  return {
    openProfile(self) {
      profileForm.reset();
      profileForm.elements.nickname.value = (self && self.nickname) || '';
      profileForm.elements.status.value = statusOf(self);
      showError(profileError, '');
      profileDialog.showModal();
    },
    openNewChat() {
      chatForm.reset();
      showError(chatError, '');
      chatDialog.showModal();
    },
    async openNewGroup() {
      groupForm.reset();
      chosen.clear();
      renderChosen();
      showError(groupError, '');
      friendsList.replaceChildren(el('li', { className: 'muted small', text: 'Loading friends…' }));
      groupDialog.showModal();
      const friends = await friendsOrError(friendsList);
      if (!friends) return;
      friendsList.replaceChildren(
        ...(friends.length
          ? friends.map((u) =>
              el(
                'li',
                { className: 'pick' },
                el(
                  'label',
                  { dataset: { testid: 'group-friend-option', userId: u.userID } },
                  el('input', { type: 'checkbox', value: u.userID }),
                  ` ${userLabel(u)}`,
                ),
              ),
            )
          : [el('li', { className: 'muted small', text: 'No friends yet: add members by username above.' })]),
      );
    },
    async openFriends() {
      addForm.reset();
      searchForm.reset();
      searchResults.hidden = true;
      searchForm.hidden = !supports('searchUsers');
      showError(friendsError, '');
      notice('');
      friendsDialog.showModal();
      await app.reloadFriendRequests();
      await renderFriends();
    },
    /** refresh redraws the friends dialog if it is open (a request or friend arrived). */
    async refresh() {
      if (friendsDialog.open) await renderFriends();
    },
    closeAll() {
      for (const d of [chatDialog, groupDialog, friendsDialog, profileDialog]) if (d.open) d.close();
    },
  };
}
