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

function closeButtons(dialog) {
  for (const b of dialog.querySelectorAll('[data-close]')) b.addEventListener('click', () => dialog.close());
}

/**
 * mountDialogs wires the dialogs to the app.
 * app: {client, selfID(), lookupUser(username) -> User, openUserChat(User), openGroupChat(Group),
 *       friendRequests() -> request[], reloadFriendRequests() -> Promise, canListFriendRequests(),
 *       nameOf(userID), showSelf(User)}
 */
export function mountDialogs(app) {
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
    const outgoing = requests.filter((r) => r.fromUserID === self);
    const rows = [
      ...incoming.map((r) => {
        const u = r.fromUser || { userID: r.fromUserID, nickname: app.nameOf(r.fromUserID) };
        const button = el('button', { type: 'button', className: 'primary small', text: 'Accept', dataset: { testid: 'accept-friend-button' } });
        button.addEventListener('click', () => accept(r.fromUserID, button));
        const row = userRow(u, r.message ? el('span', { className: 'muted small request-message', text: `“${r.message}”` }) : null, button);
        row.dataset.testid = 'friend-request';
        return row;
      }),
      ...outgoing.map((r) => {
        const u = { userID: r.toUserID, nickname: app.nameOf(r.toUserID) };
        const row = userRow(u, el('span', { className: 'muted small', text: 'Waiting for an answer' }));
        row.dataset.testid = 'friend-request-outgoing';
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
            const row = userRow(
              u,
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
      app.showSelf(await app.client.setSelfInfo({ nickname }));
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
