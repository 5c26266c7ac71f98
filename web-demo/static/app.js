// Parley web demo: the controller. It owns the app state, talks to the SDK
// and to the account routes, and tells the views what to show.
import * as api from './api.js';
import * as session from './session.js';
import { $ } from './dom.js';
import { paintAvatar, singleConversationID, groupConversationID } from './format.js';
import { renderBanner, hideBanner } from './views/banner.js';
import { renderConversations } from './views/conversations.js';
import { ChatView } from './views/chat.js';
import { mountAuth } from './views/auth.js';
import { mountDialogs } from './views/dialogs.js';
import { mountMembers } from './views/members.js';
import { Users, userLabel } from './users.js';
import { Sending } from './sending.js';
import { Calls } from './views/call.js';
import { Rich } from './rich.js';
import { conversationName } from './views/conversations.js';
import { renderSearch } from './views/search.js';

const SCREENS = ['boot-screen', 'auth-screen', 'ended-screen', 'main-screen'];
const LIST_PAGE = 500;

const state = {
  client: null,
  selfID: '',
  self: null,
  conversations: new Map(), // conversationID -> Conversation
  friendRequests: [],
  connection: '', // the last state the SDK reported
  lostConnection: false, // true from a disconnect until connected again
  watched: '', // the peer whose online status the open chat shows
  status: new Map(), // userID -> {online, platforms}, of watched peers
};

let auth;
let chat;
let dialogs;
let members;
let sending;
let calls;
let rich;
const users = new Users(
  () => state.client,
  () => {
    chat.refreshNames();
    members.refreshNames();
    calls.refreshNames();
    renderList();
    if (dialogs) dialogs.refresh();
  },
);
const nameOf = (userID) => users.nameOf(userID);

// ---------- small helpers ----------

function showScreen(id) {
  for (const s of SCREENS) $(s).hidden = s !== id;
}

function setView(view) {
  $('main-screen').dataset.view = view;
}

let toastTimer = 0;
function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    t.hidden = true;
  }, 6000);
}

function errorText(err) {
  return (err && err.message) || String(err);
}

function setTitle(total) {
  document.title = total > 0 ? `(${total > 99 ? '99+' : total}) Parley` : 'Parley';
}

function fragment() {
  try {
    return decodeURIComponent(location.hash.slice(1));
  } catch {
    return ''; // a malformed fragment names no conversation
  }
}

// ---------- banner ----------

function updateBanner() {
  if (!state.selfID) return hideBanner();
  switch (state.connection) {
    case 'connected':
      return renderBanner('connected');
    case 'disconnected':
      return renderBanner('offline');
    default:
      return renderBanner(state.lostConnection ? 'reconnecting' : 'connecting');
  }
}

// ---------- conversation list ----------

function renderList() {
  if (!state.selfID) return;
  // Hidden or deleted (isHidden) until its next message.
  renderConversations($('conversation-list'), $('empty-conversations'), [...state.conversations.values()].filter((c) => !c.isHidden), {
    selfID: state.selfID,
    openID: chat.conv ? chat.conv.conversationID : '',
    onOpen: openConversation,
    nameOf,
  });
}

/** idsToName lists the users the list shows by name: group senders, unnamed peers. */
function idsToName(convs) {
  const ids = [];
  for (const c of convs) {
    if (c.sessionType === 'group' && c.latestMessage) ids.push(c.latestMessage.sendID);
    if (c.sessionType !== 'group' && !c.showName && c.userID) ids.push(c.userID);
  }
  return ids;
}

async function loadConversations() {
  try {
    const list = await state.client.getConversationList({ offset: 0, count: LIST_PAGE });
    state.conversations.clear();
    for (const c of list || []) state.conversations.set(c.conversationID, c);
    renderList();
    users.ensure(idsToName(list || []));
  } catch (err) {
    const empty = $('empty-conversations');
    empty.hidden = false;
    empty.textContent = `Couldn't load conversations: ${errorText(err)}`;
  }
}

let listRefreshTimer = 0;
function scheduleListRefresh() {
  if (listRefreshTimer) return;
  listRefreshTimer = setTimeout(() => {
    listRefreshTimer = 0;
    if (state.selfID) loadConversations();
  }, 200);
}

async function refreshTotalUnread() {
  try {
    setTitle(await state.client.getTotalUnreadCount());
  } catch (err) {
    console.warn('getTotalUnreadCount', err);
  }
}

// ---------- the open conversation ----------

/**
 * openConversation shows a conversation. The URL's fragment names it, so a
 * reload reopens it; opening from the list adds a history entry, so the
 * browser's back button returns to the list (on a phone, the other pane).
 * fromHistory: the browser already moved (back/forward, or a reload).
 */
function openConversation(conv, { fromHistory = false, at = null } = {}) {
  if (chat.conv && chat.conv.conversationID === conv.conversationID && !at) {
    setView('chat'); // already open: keep its scroll position and composer
    return;
  }
  const wasOpen = !!chat.conv;
  saveDraft();
  chat.open(conv, at);
  setView('chat');
  // After the pane shows, so the composer can measure the draft.
  chat.setDraft((state.conversations.get(conv.conversationID) || conv).draftText);
  renderPin();
  if (!fromHistory) {
    const url = `#${encodeURIComponent(conv.conversationID)}`;
    if (wasOpen) history.replaceState({ chat: true }, '', url);
    else history.pushState({ chat: true }, '', url);
  }
  renderList();
  loadUnsent(conv.conversationID);
  loadPinned(conv.conversationID);
  watchPeer(conv);
  if (conv.sessionType === 'group' && !conv.removed) loadGroupInfo(conv.groupID);
  markOpenRead();
  if (window.matchMedia('(min-width: 761px)').matches) chat.focusComposer();
}

/**
 * loadUnsent shows own messages that have no seq yet: still in the outbox
 * (sending) or given up on (failed), e.g. after a reload. History holds only
 * stored messages, so these come from the SDK's getUnsentMessages (an extra);
 * what happens to them next comes with messageStatusChanged. A message the
 * chat already shows is left as it is: its copy came from a status change,
 * which may be newer than this list.
 */
async function loadUnsent(conversationID) {
  if (typeof state.client.getUnsentMessages !== 'function') return;
  try {
    const messages = (await state.client.getUnsentMessages({ conversationID })) || [];
    if (chat.conv && chat.conv.conversationID === conversationID) chat.upsertMany(messages.filter((m) => !chat.shows(m.clientMsgID)), { toBottom: true });
  } catch (err) {
    console.warn('getUnsentMessages', err);
  }
}

/** loadPinned fills the pinned bar of the open conversation (an extra). */
async function loadPinned(conversationID) {
  if (typeof state.client.getPinnedMessages !== 'function' || !state.conversations.has(conversationID)) return;
  try {
    const list = (await state.client.getPinnedMessages({ conversationID })) || [];
    if (chat.conv && chat.conv.conversationID === conversationID) chat.setPinned(list, { all: true });
  } catch (err) {
    console.warn('getPinnedMessages', err);
  }
}

async function loadGroupInfo(groupID) {
  try {
    const groups = await state.client.getJoinedGroupList();
    const g = (groups || []).find((x) => x.groupID === groupID);
    if (g && chat.conv && chat.conv.groupID === groupID) {
      chat.setHeader({ ...chat.conv, memberCount: g.memberCount, showName: chat.conv.showName || g.name });
      // The owner may revoke any message of the group: its bubbles offer it.
      const moderator = g.ownerUserID === state.selfID;
      if (moderator !== chat.moderator) {
        chat.moderator = moderator;
        chat.refreshAll();
      }
    }
  } catch (err) {
    console.warn('getJoinedGroupList', err);
  }
}

/** closeConversation goes back to the list; through history when opening added an entry. */
function closeConversation({ fromHistory = false } = {}) {
  if (!fromHistory && history.state && history.state.chat) {
    history.back(); // popstate closes it
    return;
  }
  saveDraft();
  chat.close();
  setView('list');
  if (!fromHistory) history.replaceState(null, '', location.pathname + location.search);
  renderList();
}

/** onPopState follows the browser's back and forward buttons. */
function onPopState() {
  if (!state.selfID) return;
  const c = state.conversations.get(fragment());
  if (c) openConversation(c, { fromHistory: true });
  else if (chat.conv) closeConversation({ fromHistory: true });
}

/** saveDraft keeps unsent composer text of the conversation being left (an SDK extra). */
function saveDraft() {
  const open = chat.conv;
  if (!open || chat.removed || typeof state.client.setConversationDraft !== 'function') return;
  const c = state.conversations.get(open.conversationID);
  if (!c) return; // nothing stored for a chat without messages yet
  const text = chat.draft.trim() ? chat.draft : '';
  if (text === (c.draftText || '')) return;
  state.conversations.set(c.conversationID, { ...c, draftText: text });
  state.client.setConversationDraft({ conversationID: c.conversationID, draftText: text }).catch((err) => console.warn('setConversationDraft', err));
}

/** renderClear shows "Clear" and "Mute" for a stored conversation the user may still change. */
function renderClear() {
  const open = chat.conv;
  const c = open && state.conversations.get(open.conversationID);
  $('clear-button').hidden = !c || chat.removed || typeof state.client.clearConversationMessages !== 'function';
  $('hide-button').hidden = !c || chat.removed || typeof state.client.hideConversation !== 'function';
  $('delete-conv-button').hidden = !c || chat.removed || typeof state.client.deleteConversation !== 'function';
  const mute = $('mute-button');
  mute.hidden = !c || chat.removed || typeof state.client.setConversationMuted !== 'function';
  if (mute.hidden) return;
  mute.textContent = c.isMuted ? 'Unmute' : 'Mute';
  mute.setAttribute('aria-pressed', String(!!c.isMuted));
}

async function toggleMute() {
  const open = chat.conv;
  const c = open && state.conversations.get(open.conversationID);
  if (!c) return;
  const button = $('mute-button');
  button.disabled = true;
  try {
    await state.client.setConversationMuted({ conversationID: c.conversationID, isMuted: !c.isMuted });
    const now = state.conversations.get(c.conversationID) || c;
    state.conversations.set(c.conversationID, { ...now, isMuted: !c.isMuted });
    renderList();
    renderClear();
  } catch (err) {
    toast(`Couldn't ${c.isMuted ? 'unmute' : 'mute'} the conversation: ${errorText(err)}`);
  } finally {
    button.disabled = false;
  }
}

/**
 * notify shows a desktop notification for messages from others that
 * arrive while the tab is hidden, unless their conversation is muted (or
 * the user did not allow notifications).
 */
function notify(messages) {
  if (!document.hidden || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  for (const m of messages) {
    const c = state.conversations.get(m.conversationID);
    if (m.sendID === state.selfID || (c && c.isMuted) || m.deleted) continue;
    const title = (c && c.showName) || nameOf(m.sendID);
    const body = m.contentType === 'text' ? m.text : m.contentType === 'revoked' ? 'Message revoked' : `[${m.contentType} message]`;
    const n = new Notification(title, { body, tag: m.conversationID });
    n.onclick = () => {
      window.focus();
      if (c) openConversation(c);
    };
  }
}

/** askNotifications asks once, on the user's first send (a user gesture), to notify while the tab is hidden. */
function askNotifications() {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') Notification.requestPermission().catch(() => {});
}

function clearHistory() {
  const open = chat.conv;
  if (!open) return;
  members.confirm({
    heading: 'Clear chat history?',
    text: 'Every message so far leaves this conversation on all your devices. The others keep theirs.',
    action: 'Clear history',
    run: async () => {
      await state.client.clearConversationMessages({ conversationID: open.conversationID });
      if (chat.conv && chat.conv.conversationID === open.conversationID) chat.open(chat.conv);
    },
  });
}

/** hideChat takes the open conversation off the list (on every device) until its next message. */
async function hideChat() {
  const open = chat.conv;
  if (!open) return;
  try {
    await state.client.hideConversation({ conversationID: open.conversationID });
    const c = state.conversations.get(open.conversationID);
    if (c) state.conversations.set(c.conversationID, { ...c, isHidden: true });
    closeConversation();
  } catch (err) {
    toast(`Couldn't hide the conversation: ${errorText(err)}`);
  }
}

function deleteChat() {
  const open = chat.conv;
  if (!open) return;
  members.confirm({
    heading: 'Delete this conversation?',
    text: 'It leaves your list and its messages leave all your devices, until someone writes again. The others keep theirs.',
    action: 'Delete',
    run: async () => {
      await state.client.deleteConversation({ conversationID: open.conversationID });
      const c = state.conversations.get(open.conversationID);
      if (c) state.conversations.set(c.conversationID, { ...c, isHidden: true, latestMessage: null, unreadCount: 0 });
      if (chat.conv && chat.conv.conversationID === open.conversationID) closeConversation();
      else renderList();
    },
  });
}

/**
 * The message search (views/search.js): while the box holds a keyword, the
 * hits stand in place of the conversation list; "In this chat only" shows
 * while a chat is open. The first focus warms the SDK's search (its first
 * search reads what is stored).
 */
let searchGen = 0;
let searchTimer = 0;

function searchScope() {
  const label = $('message-search-scope-label');
  label.hidden = !chat.conv;
  return chat.conv && $('message-search-scope').checked ? chat.conv.conversationID : '';
}

async function runSearch() {
  const keyword = $('message-search-input').value.trim();
  const conversationID = searchScope();
  const list = $('message-search-results');
  const status = $('message-search-status');
  const searching = keyword !== '';
  list.hidden = status.hidden = !searching;
  $('conversation-list').hidden = searching;
  if (searching) $('empty-conversations').hidden = true;
  else renderList();
  const gen = ++searchGen;
  if (!searching) return;
  try {
    const q = { keyword, count: 50 };
    if (conversationID) q.conversationID = conversationID;
    const result = await state.client.searchLocalMessages(q);
    if (gen !== searchGen) return;
    await users.ensure([...new Set(result.messages.map((m) => m.sendID))]);
    if (gen !== searchGen) return;
    renderSearch(list, status, {
      result,
      keyword,
      nameOf,
      convName: (id) => {
        const c = state.conversations.get(id);
        return c ? conversationName(c, nameOf) : id;
      },
      onOpen: (m) => {
        const c = state.conversations.get(m.conversationID) || { conversationID: m.conversationID, sessionType: m.sessionType, userID: m.sendID === state.selfID ? m.recvID : m.sendID, groupID: m.groupID };
        openConversation(c, { at: m });
      },
    });
  } catch (err) {
    if (gen === searchGen) status.textContent = `Couldn't search: ${errorText(err)}`;
  }
}

function mountSearch() {
  const input = $('message-search-input');
  $('message-search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    runSearch();
  });
  input.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 150);
  });
  input.addEventListener('focus', () => {
    searchScope();
    if (state.client && typeof state.client.searchLocalMessages === 'function') state.client.searchLocalMessages({ count: 1 }).catch(() => {});
  });
  $('message-search-scope').addEventListener('change', runSearch);
}

/** renderPin shows the pin toggle for a stored conversation when the SDK can pin (an extra). */
function renderPin() {
  renderClear(); // the header's other per-conversation action
  const button = $('pin-button');
  const open = chat.conv;
  const c = open && state.conversations.get(open.conversationID);
  // The server refuses changes to a group's conversation from a former member.
  button.hidden = !c || chat.removed || typeof state.client.setConversationPinned !== 'function';
  if (button.hidden) return;
  button.textContent = c.isPinned ? 'Unpin' : 'Pin';
  button.setAttribute('aria-pressed', String(!!c.isPinned));
}

async function togglePin() {
  const open = chat.conv;
  const c = open && state.conversations.get(open.conversationID);
  if (!c) return;
  const button = $('pin-button');
  button.disabled = true;
  try {
    await state.client.setConversationPinned({ conversationID: c.conversationID, isPinned: !c.isPinned });
    const now = state.conversations.get(c.conversationID) || c;
    state.conversations.set(c.conversationID, { ...now, isPinned: !c.isPinned });
    renderList();
    renderPin();
  } catch (err) {
    toast(`Couldn't ${c.isPinned ? 'unpin' : 'pin'} the conversation: ${errorText(err)}`);
  } finally {
    button.disabled = false;
  }
}

function openUserChat(user) {
  users.remember(user);
  const id = singleConversationID(state.selfID, user.userID);
  const known = state.conversations.get(id);
  openConversation(
    known ? { ...known, username: user.username } : { conversationID: id, sessionType: 'single', userID: user.userID, groupID: '', showName: userLabel(user), faceURL: user.faceURL || '', username: user.username, unreadCount: 0 },
  );
}

function openGroupChat(group) {
  const id = groupConversationID(group.groupID);
  const known = state.conversations.get(id);
  openConversation(known || { conversationID: id, sessionType: 'group', userID: '', groupID: group.groupID, showName: group.name, faceURL: group.faceURL || '', memberCount: group.memberCount, unreadCount: 0 });
}

/** markOpenRead marks the open conversation read while the page is visible. */
async function markOpenRead() {
  const open = chat.conv;
  if (!open || document.visibilityState !== 'visible' || !state.conversations.has(open.conversationID)) return;
  try {
    await state.client.markConversationAsRead({ conversationID: open.conversationID });
    const c = state.conversations.get(open.conversationID);
    if (c && c.unreadCount) {
      state.conversations.set(c.conversationID, { ...c, unreadCount: 0 });
      renderList();
    }
    refreshTotalUnread();
  } catch (err) {
    // Read locally all the same; a former member's read position is the server's no more.
    if (!(chat.removed && err && err.code === 'permission_denied')) console.warn('markConversationAsRead', err);
  }
}

let markTimer = 0;
function scheduleMarkRead() {
  if (markTimer) return;
  markTimer = setTimeout(() => {
    markTimer = 0;
    markOpenRead();
  }, 150);
}

// ---------- sending ----------

/** send sends the composer's text; a draft stored for the conversation is done with. */
function send(text, replyTo) {
  const conv = chat.conv;
  if (!conv || chat.removed) return; // no composer then; the SDK would refuse anyway
  askNotifications();
  const known = state.conversations.get(conv.conversationID);
  if (known && known.draftText && typeof state.client.setConversationDraft === 'function') {
    state.conversations.set(known.conversationID, { ...known, draftText: '' });
    state.client.setConversationDraft({ conversationID: known.conversationID, draftText: '' }).catch((err) => console.warn('setConversationDraft', err));
  }
  rich.text(text, replyTo);
}

// ---------- group membership ----------

/**
 * markRemoved records that the user left a group or was removed from it. The
 * SDK says so with conversationsChanged (removed: true) when it stores the
 * group's conversation; this covers a group chat without a stored
 * conversation too, and shows it at once after quitGroup.
 */
function markRemoved(groupID, note = '') {
  const id = groupConversationID(groupID);
  const known = state.conversations.get(id);
  const change = note ? { removed: true, removedNote: note } : { removed: true };
  if (known) state.conversations.set(id, { ...known, ...change });
  if (chat.conv && chat.conv.conversationID === id) {
    chat.setHeader({ ...chat.conv, ...change });
    renderPin();
  }
  members.closeFor(groupID);
  renderList();
}

/** onGroupChanged shows a group's new size (someone joined or left) where it is shown. */
function onGroupChanged(g) {
  if (!g || !g.groupID) return;
  scheduleListRefresh();
  const open = chat.conv;
  if (open && open.groupID === g.groupID && !open.removed && g.memberCount) {
    chat.setHeader({ ...open, memberCount: g.memberCount, showName: open.showName || g.name });
  }
  members.refresh(g.groupID);
}

/** removedText says how the user came to be out of a group; the reason is '' when learned after being offline. */
function removedText(p, where) {
  const by = p.operatorUserID ? nameOf(p.operatorUserID) : 'An admin';
  if (p.reason === 'kicked') return where ? `${by} removed you from ${where}.` : `${by} removed you.`;
  if (p.reason === 'quit') return where ? `You left ${where}.` : 'You left.';
  return where ? `You are no longer a member of ${where}.` : '';
}

function onGroupMemberRemoved(p) {
  if (!p || !p.groupID) return;
  if (p.userID !== state.selfID) {
    members.refresh(p.groupID); // the new count comes with groupChanged
    return;
  }
  markRemoved(p.groupID, removedText(p, ''));
  const id = groupConversationID(p.groupID);
  // Again once the remover's name is known (toast and notice put it on the page as text).
  const names = p.reason === 'kicked' && p.operatorUserID ? users.ensure([p.operatorUserID]) : Promise.resolve();
  names.then(() => {
    if (!state.selfID) return;
    markRemoved(p.groupID, removedText(p, ''));
    // The open chat's notice says it; elsewhere a toast does, unless this page left.
    if ((chat.conv && chat.conv.conversationID === id) || (p.reason === 'quit' && leaving.has(p.groupID))) return;
    const known = state.conversations.get(id);
    toast(removedText(p, (p.group && p.group.name) || (known && known.showName) || 'a group'));
  });
}

/** joinGroup joins by ID: at once under `open`, else the application waits for an admin (the pending state). */
async function joinGroup(groupID) {
  const status = $('join-group-status');
  if (!groupID) return;
  status.hidden = false;
  status.textContent = 'Joining…';
  try {
    await state.client.joinGroup({ groupID });
    const g = ((await state.client.getJoinedGroupList()) || []).find((x) => x.groupID === groupID);
    if (g) {
      status.textContent = `Joined ${g.name}.`;
      openGroupChat(g);
    } else {
      status.textContent = 'Application sent: waiting for an admin to accept it.';
      status.dataset.state = 'pending';
    }
    $('join-group-input').value = '';
  } catch (err) {
    status.textContent = `Couldn't join: ${(err && err.message) || err}`;
  }
}

/** renderApplicationCount shows how many join applications wait for this user's decision (stored: offline too). */
async function renderApplicationCount() {
  const line = $('group-applications-count');
  if (!state.client || typeof state.client.getGroupApplicationUnhandledCount !== 'function') return;
  let n = 0;
  try {
    n = await state.client.getGroupApplicationUnhandledCount();
  } catch {
    return;
  }
  line.textContent = n === 1 ? '1 join application waits for you (open the group’s members).' : `${n} join applications wait for you (open the groups’ members).`;
  line.hidden = n === 0;
}

// Groups this page is leaving (quitGroup under way or done), so it does not announce it to itself.
const leaving = new Set();

async function quitGroup(groupID) {
  leaving.add(groupID);
  try {
    await state.client.quitGroup({ groupID });
  } catch (err) {
    leaving.delete(groupID);
    throw err;
  }
  markRemoved(groupID);
}

// ---------- friends ----------

function canListFriendRequests() {
  return !!state.client && typeof state.client.getFriendRequests === 'function';
}

function renderFriendBadge() {
  const n = state.friendRequests.filter((r) => r.state === 'pending' && r.toUserID === state.selfID).length;
  const badge = $('friend-requests-badge');
  badge.textContent = String(n);
  badge.hidden = n === 0;
}

async function reloadFriendRequests() {
  if (canListFriendRequests()) {
    try {
      state.friendRequests = (await state.client.getFriendRequests()) || [];
    } catch (err) {
      console.warn('getFriendRequests', err);
    }
    for (const r of state.friendRequests) users.remember(r.fromUser);
    users.ensure(state.friendRequests.flatMap((r) => [r.fromUserID, r.toUserID]));
  }
  renderFriendBadge();
}

/** onFriendRequest handles friendRequestReceived; without getFriendRequests the event is all we know. */
function onFriendRequest(payload) {
  if (canListFriendRequests()) {
    reloadFriendRequests().then(() => dialogs.refresh());
    return;
  }
  const r = (payload && (payload.request || payload)) || {};
  if (!r.fromUserID) return;
  state.friendRequests = state.friendRequests.filter((x) => x.fromUserID !== r.fromUserID);
  state.friendRequests.push({ toUserID: state.selfID, message: '', createTime: Date.now(), ...r, state: 'pending' });
  users.remember(r.fromUser);
  users.ensure([r.fromUserID]);
  renderFriendBadge();
  dialogs.refresh();
}

function onFriendAdded(payload) {
  const id = payload && (payload.userID || (payload.user && payload.user.userID));
  if (id) state.friendRequests = state.friendRequests.map((r) => (r.fromUserID === id || r.toUserID === id ? { ...r, state: 'accepted' } : r));
  reloadFriendRequests().then(() => dialogs.refresh());
}

// ---------- SDK events ----------

/**
 * subscribe registers the handlers. The contract's events must exist; the
 * extras are optional, so an SDK that does not know one is fine.
 */
function subscribe(client) {
  const optional = (name, fn) => {
    try {
      client.on(name, fn);
    } catch (err) {
      console.info(`SDK has no '${name}' event: ${errorText(err)}`);
    }
  };
  client.on('connectionStateChanged', (e) => {
    const st = (e && e.state) || e;
    state.connection = st;
    if (st === 'disconnected') state.lostConnection = true;
    if (st === 'connected') state.lostConnection = false;
    if (!state.selfID) return;
    if (st === 'kickedOffline' || st === 'tokenExpired') {
      endSession(st);
      return;
    }
    if (st === 'disconnected') {
      // The tabs share one SDK session: a sign-out in another tab ends it
      // here too, which is not a lost connection.
      client.getLoginUserID().then((id) => {
        if (id === '' && state.selfID) signedOutElsewhere();
      }, () => {});
    }
    updateBanner();
    if (st === 'connected') {
      // Right after login local data may not hold the profile yet (first
      // login on this browser): read it, and the requests, from the server.
      loadSelf();
      reloadFriendRequests();
      renderApplicationCount();
    }
  });

  client.on('newMessages', (messages) => {
    if (!state.selfID || !Array.isArray(messages)) return;
    notify(messages);
    const open = chat.conv;
    const here = open ? messages.filter((m) => m.conversationID === open.conversationID) : [];
    if (here.length) {
      if (open.sessionType === 'group') users.ensure(here.map((m) => m.sendID));
      chat.upsertMany(here);
      scheduleMarkRead();
    }
    if (messages.some((m) => !state.conversations.has(m.conversationID))) scheduleListRefresh();
  });

  client.on('conversationsChanged', (convs) => {
    if (!state.selfID || !Array.isArray(convs)) return;
    const open = chat.conv;
    for (const c of convs) {
      // Cleared on another device (minSeq moved up): the open chat starts over.
      const before = state.conversations.get(c.conversationID);
      if (open && c.conversationID === open.conversationID && before && c.minSeq > (before.minSeq || 0)) chat.open(chat.conv);
      // removed is left out when false: say so, or a group joined again would stay removed here.
      const now = { ...state.conversations.get(c.conversationID), ...c, removed: !!c.removed, isHidden: !!c.isHidden };
      state.conversations.set(c.conversationID, now);
      if (c.removed) members.closeFor(c.groupID);
      if (!open || c.conversationID !== open.conversationID) continue;
      chat.setHeader({ ...c, removed: now.removed });
      renderPin();
      if (c.latestMessage) chat.upsertMany([c.latestMessage]);
      if (c.unreadCount > 0) scheduleMarkRead();
    }
    users.ensure(idsToName(convs));
    renderList();
  });

  client.on('totalUnreadCountChanged', (n) => {
    if (state.selfID) setTitle(Number(n) || 0);
  });

  // Own messages' sending, sent and failed: the chat shows only what the SDK says.
  client.on('messageStatusChanged', (m) => {
    if (state.selfID && m) sending.onStatus(m);
  });

  // The open chat's peer came online or went offline.
  optional('userStatusChanged', (st) => {
    if (!state.selfID || !st) return;
    state.status.set(st.userID, st);
    paintPresence();
  });

  // Who is typing in the open chat.
  optional('typingChanged', (e) => {
    if (state.selfID && e && chat.conv && e.conversationID === chat.conv.conversationID) chat.setTyping(e.userIDs || []);
  });

  // Edited and revoked messages, from any device: shown in place.
  optional('messagesChanged', (messages) => {
    if (!state.selfID || !Array.isArray(messages)) return;
    chat.setPinned(messages.filter((m) => chat.belongs(m)));
    const here = messages.filter((m) => chat.belongs(m) && chat.shows(m.clientMsgID));
    for (const m of here) if (m.deleted) chat.remove(m.clientMsgID);
    chat.upsertMany(here.filter((m) => !m.deleted), { keepScroll: true });
  });

  // Profiles the SDK fetched later (asked for while offline, or for a
  // conversation): names drawn from an ID until now get their name.
  client.on('usersInfoChanged', (list) => state.selfID && users.learned(list));

  // A fresh token before this one expires, so the session goes on. (It
  // may come during login, before selfID is set: refreshToken checks later.)
  optional('tokenWillExpire', (e) => refreshToken(e && e.expiresAt));

  // Uploads of own messages' files: a progress bar on the bubble.
  optional('messageProgress', (p) => state.selfID && p && chat.setProgress(p));

  // Extras: handled when the SDK offers them.
  optional('friendRequestReceived', (p) => state.selfID && onFriendRequest(p));
  optional('friendAdded', (p) => state.selfID && onFriendAdded(p));
  optional('groupJoined', () => state.selfID && scheduleListRefresh());
  optional('groupChanged', (g) => state.selfID && onGroupChanged(g));
  optional('groupMemberRemoved', (p) => state.selfID && onGroupMemberRemoved(p));
  optional('groupMembersChanged', (p) => state.selfID && p && members.refresh(p.groupID));
  optional('groupDismissed', (p) => state.selfID && p && markRemoved(p.groupID, 'This group was dismissed.'));
  optional('groupApplicationReceived', (a) => {
    if (!state.selfID || !a) return;
    toast(`${nameOf(a.userID)} asks to join a group`);
    members.applicationsChanged();
    renderApplicationCount();
  });
  // A decision: the applicant's pending line says how it ended; the other
  // deciders' lists drop the application.
  const decided = (accepted) => (a) => {
    if (!state.selfID || !a) return;
    if (a.userID !== state.selfID) {
      members.applicationsChanged();
      renderApplicationCount();
      return;
    }
    const status = $('join-group-status');
    status.hidden = false;
    status.textContent = accepted ? 'Application accepted: you are in the group.' : 'Application declined.';
    status.dataset.state = accepted ? 'accepted' : 'refused';
    toast(accepted ? 'Your application to join a group was accepted.' : 'Your application to join a group was declined.');
    if (accepted) scheduleListRefresh();
  };
  optional('groupApplicationAccepted', decided(true));
  optional('groupApplicationRefused', decided(false));
  // Calls: the incoming dialog, the call view and its peer connection.
  optional('callInvited', (c) => state.selfID && c && calls.onInvited(c));
  optional('callStateChanged', (c) => state.selfID && c && calls.onStateChanged(c));
  optional('callSignal', (s) => state.selfID && s && calls.onSignal(s));
  optional('selfInfoUpdated', (u) => state.selfID && u && u.userID === state.selfID && showSelf(u));
  // The friend lifecycle and the blacklist: the contacts dialog redraws.
  const people = () => state.selfID && reloadFriendRequests().then(() => dialogs.refresh());
  optional('friendRequestRefused', (p) => {
    if (!state.selfID) return;
    toast(`${nameOf(p.userID)} declined your friend request.`);
    people();
  });
  optional('friendDeleted', people);
  optional('friendInfoChanged', people);
  optional('blackListChanged', people);
}

// ---------- presence ----------

/**
 * watchPeer shows the online dot of a one-to-one chat's peer: it watches
 * the peer (the SDK keeps the subscription across reconnects) and stops
 * watching the previous one.
 */
async function watchPeer(conv) {
  const peer = conv.sessionType !== 'group' && conv.userID !== state.selfID ? conv.userID || '' : '';
  const client = state.client;
  if (typeof client.subscribeUsersStatus !== 'function' || peer === state.watched) return paintPresence();
  const before = state.watched;
  state.watched = peer;
  paintPresence();
  try {
    if (before) await client.unsubscribeUsersStatus({ userIDs: [before] });
    if (!peer) return;
    for (const st of await client.subscribeUsersStatus({ userIDs: [peer] })) state.status.set(st.userID, st);
  } catch {
    // Offline or refused: the dot stays grey, and comes with userStatusChanged.
  }
  paintPresence();
}

function paintPresence() {
  const dot = $('chat-presence');
  const st = state.status.get(state.watched);
  dot.hidden = !state.watched;
  dot.classList.toggle('online', !!(st && st.online));
  dot.title = st && st.online ? `Online (${st.platforms.join(', ')})` : 'Offline';
  dot.dataset.online = st && st.online ? 'true' : 'false';
}

// ---------- message actions ----------

/** messageAction carries out a bubble's menu action; the result comes back with messagesChanged. */
async function messageAction(action, m, text) {
  const ref = { conversationID: m.conversationID, clientMsgID: m.clientMsgID };
  try {
    if (action === 'edit') chat.upsertMany([await state.client.editMessage({ ...ref, text })], { keepScroll: true });
    else if (action === 'revoke') await state.client.revokeMessage(ref);
    else if (action === 'delete') await state.client.deleteMessage(ref);
    else if (action === 'pin' || action === 'unpin') await state.client.pinMessage({ ...ref, isPinned: action === 'pin' });
    else if (action === 'react') await state.client.addReaction({ ...ref, emoji: text });
    else if (action === 'unreact') await state.client.removeReaction({ ...ref, emoji: text });
    else if (action === 'readInfo') return await state.client.getMessageReadInfo(ref);
  } catch (err) {
    const what = { react: 'react to', unreact: 'take back your reaction to', readInfo: 'see who read' }[action] || action;
    toast(err && err.code === 'permission_denied' ? `You can't ${what} this message any more.` : `Couldn't ${what} the message: ${errorText(err)}`);
  }
}

// ---------- session ----------

async function startSession(s) {
  state.connection = '';
  state.lostConnection = false;
  await state.client.login({ userID: s.userID, token: s.token });
  state.selfID = s.userID;
  chat.selfID = s.userID;
  state.conversations.clear();
  users.reset(s.userID);
  state.friendRequests = [];

  $('self-name').textContent = s.username || s.userID;
  $('self-id').textContent = s.username ? `@${s.username}` : '';
  paintAvatar($('self-avatar'), s.username || s.userID, s.userID);
  $('empty-conversations').textContent = 'No conversations yet. Start a chat with someone by their username.';
  showScreen('main-screen');
  setView('list');
  updateBanner();

  loadSelf();
  await loadConversations();
  refreshTotalUnread();
  reloadFriendRequests();

  // A reload reopens the conversation that was open (kept in the URL's fragment).
  const wanted = state.conversations.get(fragment());
  if (wanted) openConversation(wanted, { fromHistory: true });
}

async function loadSelf() {
  try {
    showSelf(await state.client.getSelfUserInfo());
  } catch (err) {
    console.warn('getSelfUserInfo', err);
  }
}

function showSelf(me) {
  const saved = session.load();
  const username = me.username || (saved && saved.username) || '';
  state.self = me;
  users.remember(me);
  const name = me.nickname || username || me.userID;
  $('self-name').textContent = name;
  $('self-id').textContent = username ? `@${username}` : me.userID;
  paintAvatar($('self-avatar'), name, me.userID);
}

let refreshTimer = 0;

/**
 * refreshToken asks the server for a fresh token and hands it to the SDK
 * (setToken keeps the connection and local data), halfway through what
 * is left of the old one, so a token shorter-lived than the SDK's warning
 * is not refreshed in a loop. Every tab hears the warning; one refreshes,
 * the others find the saved session already newer.
 */
function refreshToken(expiresAt) {
  clearTimeout(refreshTimer);
  const wait = Math.max(0, (expiresAt - Date.now()) / 2);
  refreshTimer = setTimeout(() => {
    const run = async () => {
      const saved = session.load();
      if (!saved || !state.selfID || saved.userID !== state.selfID || saved.expiresAt > expiresAt) return;
      const res = await api.refresh(saved.token);
      session.save({ ...saved, token: res.token, expiresAt: res.expiresAt });
      await state.client.setToken({ token: res.token });
    };
    const locks = navigator.locks;
    (locks ? locks.request('parley-demo-token', run) : run()).catch((err) => console.warn('token refresh', err));
  }, wait);
}

/** teardown forgets everything about the signed-in user on this page. */
function teardown() {
  clearTimeout(refreshTimer);
  calls.leave();
  state.selfID = '';
  state.self = null;
  state.conversations.clear();
  state.watched = '';
  state.status.clear();
  users.reset('');
  state.friendRequests = [];
  chat.close();
  chat.selfID = '';
  dialogs.closeAll();
  members.closeAll();
  leaving.clear();
  $('conversation-list').replaceChildren();
  hideBanner();
  setTitle(0);
  history.replaceState(null, '', location.pathname + location.search);
}

async function finishLogin(res, username) {
  const s = { userID: res.userID, token: res.token, expiresAt: res.expiresAt, username };
  session.save(s);
  try {
    await startSession(s);
  } catch (err) {
    session.clear();
    throw err;
  }
}

async function onLogin({ username, password }) {
  if (!state.client) throw new Error('The SDK is not loaded yet.');
  const res = await api.login({ username, password });
  await finishLogin(res, username);
}

async function onRegister({ username, password, nickname }) {
  if (!state.client) throw new Error('The SDK is not loaded yet.');
  const res = await api.register({ username, password, nickname: nickname || username });
  await finishLogin(res, username);
}

async function logout() {
  const saved = session.load();
  const button = $('logout-button');
  button.disabled = true;
  teardown();
  session.clear();
  try {
    await state.client.logout();
  } catch (err) {
    console.warn('logout', err);
  }
  // Revoke the token on the server too; offline this fails and the token simply expires.
  if (saved) api.logout(saved.token).catch((err) => console.warn('auth/logout', err));
  button.disabled = false;
  showScreen('auth-screen');
  auth.show({ username: saved && saved.username });
}

// signedOutElsewhere shows the sign-in screen after another tab signed out.
function signedOutElsewhere() {
  const saved = session.load();
  teardown();
  session.clear();
  showScreen('auth-screen');
  auth.show({ username: saved && saved.username });
}

const ENDED = {
  kickedOffline: ['Signed in somewhere else', 'Your account signed in on another device or tab, so this one was signed out. Sign in again to continue here.'],
  tokenExpired: ['Your session expired', 'For your security, sign in again to continue.'],
};

let endedUsername = '';
async function endSession(kind) {
  const saved = session.load();
  endedUsername = (saved && saved.username) || '';
  session.clear();
  teardown();
  const [title, text] = ENDED[kind];
  $('ended-title').textContent = title;
  $('ended-message').textContent = text;
  $('ended-screen').dataset.reason = kind;
  showScreen('ended-screen');
  try {
    await state.client.logout();
  } catch (err) {
    console.warn('logout', err);
  }
}

// ---------- start-up ----------

function registerServiceWorker() {
  // The service worker keeps the app shell and the SDK for loads without the server.
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js').catch((err) => console.warn('service worker', err));
  }
}

function bootFailed(message) {
  showScreen('boot-screen');
  $('boot-message').textContent = message;
  const retryButton = $('boot-retry');
  retryButton.hidden = false;
  retryButton.onclick = () => location.reload();
}

async function boot() {
  registerServiceWorker();

  auth = mountAuth({ onLogin, onRegister });
  chat = new ChatView({
    loadHistory: (q) => state.client.getHistoryMessages(q),
    onSend: send,
    onRetry: (message) => sending.retry(message),
    onBack: closeConversation,
    onMembers: () => chat.conv && members.open(chat.conv),
    nameOf,
    onForward: (m) => rich.forward(m),
    onCancel: (m) => rich.cancel(m),
    onOpenUser: (userID) => userID && userID !== state.selfID && openUserChat({ userID, nickname: nameOf(userID) }),
    onAction: messageAction,
    onTyping: (typing) => {
      const open = chat.conv;
      if (!open || typeof state.client.setTyping !== 'function') return;
      // Ephemeral: offline or refused, there is nothing to retry.
      state.client.setTyping({ conversationID: open.conversationID, typing }).catch(() => {});
    },
  });
  members = mountMembers({
    client: () => state.client,
    selfID: () => state.selfID,
    selfName: () => userLabel(state.self),
    nameOf,
    ensureNames: (ids) => users.ensure(ids),
    quitGroup,
  });
  sending = new Sending({ client: () => state.client, chat, toast });
  calls = new Calls({ client: () => state.client, selfID: () => state.selfID, nameOf, ensureNames: (ids) => users.ensure(ids), toast });
  $('call-audio-button').addEventListener('click', () => chat.conv && calls.start(chat.conv, 'audio'));
  $('call-video-button').addEventListener('click', () => chat.conv && calls.start(chat.conv, 'video'));
  rich = new Rich({
    client: () => state.client,
    chat,
    sending,
    toast,
    conversations: () => [...state.conversations.values()],
    nameOfConv: (c) => conversationName(c, nameOf),
    selfID: () => state.selfID,
    members: async () => (chat.conv && chat.conv.groupID ? state.client.getGroupMembers({ groupID: chat.conv.groupID }) : []),
  });
  dialogs = mountDialogs({
    get client() {
      return state.client;
    },
    selfID: () => state.selfID,
    lookupUser: (username) => users.lookup(username),
    openUserChat,
    openGroupChat,
    friendRequests: () => state.friendRequests,
    reloadFriendRequests,
    canListFriendRequests,
    nameOf,
    showSelf,
    rememberUsers: (list) => users.learned(list),
  });
  $('logout-button').addEventListener('click', logout);
  $('pin-button').addEventListener('click', togglePin);
  $('clear-button').addEventListener('click', clearHistory);
  $('mute-button').addEventListener('click', toggleMute);
  $('hide-button').addEventListener('click', hideChat);
  $('delete-conv-button').addEventListener('click', deleteChat);
  mountSearch();
  $('self').addEventListener('click', () => dialogs.openProfile(state.self));
  $('new-chat-button').addEventListener('click', () => dialogs.openNewChat());
  $('new-group-button').addEventListener('click', () => dialogs.openNewGroup());
  $('friends-button').addEventListener('click', () => dialogs.openFriends());
  $('join-group-form').addEventListener('submit', (e) => {
    e.preventDefault();
    joinGroup($('join-group-input').value.trim());
  });
  $('ended-back').addEventListener('click', () => {
    showScreen('auth-screen');
    auth.show({ username: endedUsername });
  });
  window.addEventListener('popstate', onPopState);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') markOpenRead();
  });

  let sdk;
  try {
    sdk = await import('/sdk/index.js');
  } catch (err) {
    bootFailed(`Couldn't load the Parley SDK from /sdk/index.js: ${errorText(err)}`);
    return;
  }
  if (typeof sdk.createClient !== 'function') {
    bootFailed('The file at /sdk/index.js does not export createClient.');
    return;
  }
  try {
    state.client = await sdk.createClient({ serverURL: location.origin });
  } catch (err) {
    bootFailed(`Couldn't start the Parley SDK: ${errorText(err)}`);
    return;
  }
  subscribe(state.client);

  const saved = session.load();
  if (!saved) {
    showScreen('auth-screen');
    auth.show({ username: session.lastUsername() });
    return;
  }
  try {
    // Works without the server: the SDK opens local data and keeps reconnecting.
    await startSession(saved);
  } catch (err) {
    session.clear();
    showScreen('auth-screen');
    auth.show({ username: saved.username, message: `Couldn't resume your session: ${errorText(err)}` });
  }
}

boot().catch((err) => {
  console.error(err);
  bootFailed(`Parley failed to start: ${errorText(err)}`);
});
