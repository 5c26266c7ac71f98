// The chat view: history that pages in older messages as you scroll up, the
// composer, and own messages with their sending / sent / failed state.
import { el, $ } from '../dom.js';
import { clockTime, dayLabel, fullTime, groupNoticeText, memberCountText, notSentText, paintAvatar } from '../format.js';
import { icon } from './icons.js';
import { callLineText } from './call.js';
import { renderContent, sizeText, summaryText } from './content.js';
import { actionsButton, editor, emojiPicker, reactionChips, REVOKE_WINDOW_MS } from './actions.js';

const PAGE = 30;
// How close to the top (px) scrolling starts loading the previous page.
const LOAD_MARGIN = 120;
// How close to the bottom (px) still counts as "reading the newest".
const BOTTOM_MARGIN = 48;

function isSent(m) {
  return m.status === 'sent' || m.seq > 0;
}

/** when is a message's time: the server's once sent, the local creation time before. */
function when(m) {
  return m.sendTime || m.createTime || 0;
}

/** ChatView owns #chat-view. The controller tells it what to show. */
export class ChatView {
  /**
   * @param {object} o
   * @param {(q:{conversationID:string, beforeSeq?:number, count:number}) => Promise<{messages:object[], isEnd:boolean}>} o.loadHistory
   * @param {(text:string) => void} o.onSend
   * @param {(message:object) => void} o.onRetry
   * @param {() => void} o.onBack
   * @param {() => void} o.onMembers opens the open group's members
   * @param {(userID:string) => string} o.nameOf
   * @param {(action:string, message:object, arg?:string) => Promise<void>} [o.onAction]
   *   carries out a bubble's menu action: 'edit' (with the new text), 'revoke'
   */
  constructor({ loadHistory, onSend, onRetry, onBack, onMembers, nameOf, onForward, onOpenUser, onCancel, onAction, onTyping }) {
    this.loadHistory = loadHistory;
    this.onAction = onAction || (async () => {});
    // onTyping(typing) says whether the user is typing in the open chat.
    this.onTyping = onTyping || (() => {});
    this.typingLine = $('typing-line');
    // moderator: the user owns or administers the open group (may revoke any message).
    this.moderator = false;
    this.editing = ''; // clientMsgID of the message being edited
    this.pinned = new Map(); // clientMsgID -> pinned message of the open conversation
    this.pinnedBar = $('pinned-bar');
    this.pinnedBar.addEventListener('click', () => this.showPinned());
    this.onSend = onSend;
    this.onRetry = onRetry;
    this.nameOf = nameOf;
    this.onForward = onForward || (() => {});
    this.onOpenUser = onOpenUser || (() => {});
    this.onCancel = onCancel || (() => {});
    this.progress = new Map(); // clientMsgID -> {bytesSent, bytesTotal}
    this.replyTo = null; // the message the composer's next text replies to
    this.replyBar = $('reply-bar');
    this.replyText = $('reply-text');
    $('reply-cancel').addEventListener('click', () => this.setReply(null));
    this.viewer = $('image-viewer');
    this.viewerImg = $('image-viewer-img');
    this.viewer.addEventListener('click', () => this.viewer.close());
    this.selfID = '';
    this.conv = null;
    this.records = new Map(); // clientMsgID -> {msg, node, order}
    this.dividers = new Map(); // day label -> divider <li>
    this.order = 0;
    this.gen = 0; // bumps on every open, so answers for an old conversation are dropped
    this.loading = false;
    this.isEnd = false;
    this.loadError = null;

    this.root = $('chat-view');
    this.placeholder = $('chat-placeholder');
    this.scroller = $('message-scroller');
    this.list = $('message-list');
    this.historyStatus = $('history-status');
    this.title = $('chat-title');
    this.subtitle = $('chat-subtitle');
    this.avatar = $('chat-avatar');
    this.jump = $('jump-latest');
    this.form = $('composer');
    this.input = $('composer-input');
    this.removedNotice = $('removed-notice');
    this.removedDetail = $('removed-detail');
    this.membersButton = $('members-button');

    $('back-button').addEventListener('click', onBack);
    this.membersButton.addEventListener('click', onMembers);
    this.scroller.addEventListener('scroll', () => {
      if (this.scroller.scrollTop < LOAD_MARGIN) this.loadOlder();
      if (this.atBottom()) {
        this.jump.hidden = true;
        this.loadNewer();
      }
    });
    this.jump.addEventListener('click', () => this.scrollToBottom());
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = this.input.value.trim();
      if (!text || !this.conv || this.removed) return;
      this.input.value = '';
      this.autosize();
      const replyTo = this.replyTo;
      this.setReply(null);
      this.onTyping(false);
      this.onSend(text, replyTo);
    });
    this.input.addEventListener('keydown', (e) => {
      // Enter sends; Shift+Enter breaks the line; never while an IME is composing.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.input.addEventListener('input', () => {
      this.autosize();
      if (this.conv && !this.removed) this.onTyping(this.input.value.trim() !== '');
    });
    this.input.addEventListener('blur', () => this.conv && this.onTyping(false));
  }

  autosize() {
    // Empty or not laid out (a hidden pane measures 0): the natural one row.
    this.input.style.height = '';
    if (!this.input.value || this.input.offsetParent === null) return;
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`;
  }

  /**
   * open shows a conversation and loads its newest page; with at (a
   * message, a search hit), the page from it on, with it highlighted.
   */
  open(conv, at = null) {
    this.gen++;
    this.conv = conv;
    this.at = at && at.seq > 0 ? at : null;
    // With at, newer pages load as the user scrolls down to the last shown.
    this.newestEnd = !this.at;
    this.editing = '';
    this.pinned.clear();
    this.renderPinnedBar();
    this.setTyping([]);
    this.moderator = false;
    this.records.clear();
    this.dividers.clear();
    this.list.replaceChildren();
    this.loading = false;
    this.isEnd = false;
    this.loadError = null;
    this.jump.hidden = true;
    this.setHeader(conv);
    this.placeholder.hidden = true;
    this.root.hidden = false;
    this.renderHistoryStatus();
    this.loadOlder();
  }

  /** close hides the chat (nothing open). */
  close() {
    this.gen++;
    this.conv = null;
    this.records.clear();
    this.dividers.clear();
    this.list.replaceChildren();
    this.root.hidden = true;
    this.placeholder.hidden = false;
  }

  focusComposer() {
    this.input.focus();
  }

  /** draft is the composer's text; setDraft fills it (a stored draft on open). */
  get draft() {
    return this.input.value;
  }

  setDraft(text) {
    this.input.value = text || '';
    this.autosize();
  }

  /** removed says the open conversation is a group the user is no longer in. */
  get removed() {
    return !!this.conv && this.conv.sessionType === 'group' && !!this.conv.removed;
  }

  /** setHeader updates the title when the conversation's name, size or membership changes. */
  setHeader(conv) {
    if (this.conv && conv.conversationID === this.conv.conversationID) this.conv = { ...this.conv, ...conv };
    const c = this.conv || conv;
    const name = c.showName || (c.userID && this.nameOf(c.userID)) || c.groupID || c.conversationID;
    this.title.textContent = name;
    paintAvatar(this.avatar, name, c.userID || c.groupID || c.conversationID);
    const group = c.sessionType === 'group';
    const removed = group && !!c.removed;
    if (removed) {
      // The count known last is stale: the user no longer hears of changes.
      this.subtitle.textContent = 'Group · not a member';
    } else if (group) {
      this.subtitle.textContent = c.memberCount ? `Group · ${memberCountText(c.memberCount)}` : 'Group';
    } else {
      this.subtitle.textContent = c.username ? `@${c.username}` : 'Direct message';
    }
    this.membersButton.hidden = !group || removed;
    // A one-to-one call (never with oneself), or a group call of a group we are in.
    const callable = group ? !removed && !!c.groupID : !!c.userID && c.userID !== this.selfID;
    $('call-audio-button').hidden = !callable;
    $('call-video-button').hidden = !callable;
    this.renderComposer(removed, c.removedNote || '');
  }

  /**
   * renderComposer swaps the composer for the notice once the user is out of
   * the group: the history stays readable, and nothing can be typed to send.
   * note says how (who removed them), when known.
   */
  renderComposer(removed, note) {
    this.removedDetail.textContent = `${note ? `${note} ` : ''}Earlier messages stay here to read; new ones can't be sent.`;
    if (removed === this.form.hidden) return;
    this.form.hidden = removed;
    this.removedNotice.hidden = !removed;
    this.input.disabled = removed;
    if (removed) {
      // Text typed for the group could never be sent now.
      this.input.value = '';
      this.autosize();
    }
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < BOTTOM_MARGIN;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.jump.hidden = true;
  }

  minSeq() {
    let min = 0;
    for (const { msg } of this.records.values()) if (msg.seq > 0 && (min === 0 || msg.seq < min)) min = msg.seq;
    return min;
  }

  /** loadOlder fetches the page before the oldest message shown. */
  async loadOlder() {
    if (!this.conv || this.loading || this.isEnd || this.loadError) return;
    const gen = this.gen;
    const first = this.records.size === 0;
    const before = this.minSeq();
    this.loading = true;
    this.renderHistoryStatus();
    let filled = false;
    try {
      const q = { conversationID: this.conv.conversationID, count: PAGE };
      const at = first && this.at;
      if (at) q.afterSeq = at.seq - 1;
      else if (before > 0) q.beforeSeq = before;
      const res = await this.loadHistory(q);
      if (gen !== this.gen) return;
      const messages = (res && res.messages) || [];
      const prevHeight = this.scroller.scrollHeight;
      const prevTop = this.scroller.scrollTop;
      this.upsertMany(messages, { keepScroll: true });
      if (at) {
        // isEnd of an afterSeq page says it reached the newest message.
        this.newestEnd = !!(res && res.isEnd);
        this.isEnd = at.seq <= 1;
        this.showHit(at.clientMsgID);
      } else {
        this.isEnd = !!(res && res.isEnd) || messages.length === 0;
      }
      // Opened at a hit, the view stays where showHit put it.
      if (first && !at) this.scrollToBottom();
      else if (!at) this.scroller.scrollTop = prevTop + (this.scroller.scrollHeight - prevHeight);
      filled = true;
    } catch (err) {
      if (gen !== this.gen) return;
      if (err && err.code === 'not_found') {
        // A conversation that has no messages yet (a chat just started).
        this.isEnd = true;
      } else {
        this.loadError = err;
      }
    } finally {
      if (gen === this.gen) {
        this.loading = false;
        this.renderHistoryStatus();
      }
    }
    // Keep loading while the pane is not yet scrollable, so scrolling up can work.
    if (filled && gen === this.gen && !this.isEnd && this.scroller.scrollHeight <= this.scroller.clientHeight + LOAD_MARGIN) {
      this.loadOlder();
    }
  }

  /** loadNewer fetches the page after the newest message shown (opened at a search hit). */
  async loadNewer() {
    if (!this.conv || this.loading || this.newestEnd || this.loadError) return;
    let top = 0;
    for (const { msg } of this.records.values()) if (msg.seq > top) top = msg.seq;
    const gen = this.gen;
    this.loading = true;
    try {
      const res = await this.loadHistory({ conversationID: this.conv.conversationID, afterSeq: top, count: PAGE });
      if (gen !== this.gen) return;
      const messages = (res && res.messages) || [];
      this.newestEnd = !!(res && res.isEnd) || messages.length === 0;
      this.upsertMany(messages, { keepScroll: true });
    } catch (err) {
      if (gen === this.gen) this.loadError = err;
    } finally {
      if (gen === this.gen) {
        this.loading = false;
        this.renderHistoryStatus();
      }
    }
  }

  /** showHit scrolls a shown message into view and marks it for a moment. */
  showHit(clientMsgID) {
    const rec = this.records.get(clientMsgID);
    if (!rec || !rec.node) return;
    rec.hit = true;
    rec.node.classList.add('hit');
    rec.node.dataset.hit = 'true';
    rec.node.scrollIntoView({ block: 'center' });
  }

  renderHistoryStatus() {
    const s = this.historyStatus;
    s.replaceChildren();
    if (this.loading) {
      s.dataset.state = 'loading';
      s.textContent = 'Loading messages…';
    } else if (this.loadError) {
      s.dataset.state = 'error';
      s.append(
        `Couldn't load messages: ${this.loadError.message || this.loadError}. `,
        el('button', {
          type: 'button',
          className: 'link',
          text: 'Try again',
          onclick: () => {
            this.loadError = null;
            this.loadOlder();
          },
        }),
      );
    } else if (this.isEnd) {
      s.dataset.state = 'end';
      s.textContent = this.records.size ? 'This is the start of the conversation.' : 'No messages yet. Say hello!';
    } else {
      s.dataset.state = 'more';
      s.textContent = '';
    }
  }

  /** belongs says whether a message is for the open conversation. */
  belongs(msg) {
    return !!this.conv && !!msg && (!msg.conversationID || msg.conversationID === this.conv.conversationID);
  }

  /** shows says whether the open chat shows a message. */
  shows(clientMsgID) {
    return this.records.has(clientMsgID);
  }

  /**
   * upsertMany adds or updates messages, keyed by clientMsgID, so a message
   * seen twice (history, live event, status change) is shown once, as its
   * latest copy says: own ones sending, sent or failed.
   */
  upsertMany(messages, { keepScroll = false, toBottom = false } = {}) {
    const stick = this.atBottom();
    let changed = false;
    let arrived = false; // a message from someone else that was not shown before
    for (const msg of messages) {
      if (!this.belongs(msg) || !msg.clientMsgID) continue;
      let rec = this.records.get(msg.clientMsgID);
      if (rec) {
        // Never step back from a stored copy to an older, unsent copy,
        // nor from a changed message (edited, revoked) to an earlier state.
        if (isSent(rec.msg) && !isSent(msg)) continue;
        if ((msg.version || 0) < (rec.msg.version || 0)) continue;
        // A conversation's latestMessage carries the files' lasting URLs:
        // keep the ones signed for this viewer.
        if (isSent(msg) && rec.msg.seq === msg.seq && rec.msg.content && msg.contentType === rec.msg.contentType) msg = { ...msg, content: rec.msg.content };
        rec.msg = msg;
      } else {
        rec = { msg, node: null, order: this.order++ };
        this.records.set(msg.clientMsgID, rec);
        if (msg.sendID !== this.selfID) arrived = true;
      }
      this.renderRecord(rec);
      changed = true;
    }
    if (!changed) return;
    this.reorder();
    this.renderHistoryStatus();
    if (keepScroll) return;
    if (stick || toBottom) this.scrollToBottom();
    // Reading older messages: say that new ones came instead of jumping away.
    else if (arrived) this.jump.hidden = false;
  }

  /** setReply shows which message the next text replies to (null: none). */
  setReply(m) {
    this.replyTo = m;
    this.replyBar.hidden = !m;
    this.replyText.textContent = m ? `${this.nameOf(m.sendID)}: ${summaryText(m)}` : '';
    if (m) this.input.focus();
  }

  /**
   * setPinned replaces (all) or updates (changed messages) what the pinned
   * bar knows of the open conversation's pinned messages.
   */
  setPinned(messages, { all = false } = {}) {
    if (all) this.pinned.clear();
    for (const m of messages) {
      if (!this.belongs(m)) continue;
      if (m.isPinned && !m.deleted && m.contentType !== 'revoked') this.pinned.set(m.clientMsgID, m);
      else this.pinned.delete(m.clientMsgID);
    }
    this.renderPinnedBar();
  }

  /** renderPinnedBar shows the newest pinned message above the history, with how many there are. */
  renderPinnedBar() {
    const bar = this.pinnedBar;
    const list = [...this.pinned.values()].sort((a, b) => b.seq - a.seq);
    bar.hidden = list.length === 0;
    if (!list.length) return;
    const top = list[0];
    const text = top.contentType === 'text' ? top.text : `[${top.contentType} message]`;
    bar.replaceChildren(
      el('span', { className: 'pinned-label', text: list.length > 1 ? `Pinned · ${list.length}` : 'Pinned' }),
      el('span', { className: 'pinned-text', text, dataset: { testid: 'pinned-text' } }),
    );
    bar.title = `Pinned by ${this.nameOf(top.pinnedBy)}`;
  }

  /** showPinned scrolls to the newest pinned message when it is shown. */
  showPinned() {
    const top = [...this.pinned.values()].sort((a, b) => b.seq - a.seq)[0];
    const rec = top && this.records.get(top.clientMsgID);
    if (!rec) return;
    rec.node.scrollIntoView({ block: 'center', behavior: 'smooth' });
    rec.node.classList.add('flash');
    setTimeout(() => rec.node.classList.remove('flash'), 1200);
  }

  /** setTyping shows who is typing in the open chat ("Alice is typing…"). */
  setTyping(userIDs) {
    const names = userIDs.filter((u) => u !== this.selfID).map((u) => this.nameOf(u));
    const line = this.typingLine;
    line.hidden = names.length === 0;
    if (names.length === 1) line.textContent = `${names[0]} is typing…`;
    else if (names.length === 2) line.textContent = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) line.textContent = `${names.length} people are typing…`;
  }

  /** remove takes a message off the chat (an unsent one the user deleted, or one deleted for themselves). */
  remove(clientMsgID) {
    const rec = this.records.get(clientMsgID);
    if (!rec) return;
    this.records.delete(clientMsgID);
    if (rec.node) rec.node.remove();
    this.progress.delete(clientMsgID);
    this.reorder();
    this.renderHistoryStatus();
  }

  /** refreshAll redraws every message (what their menus offer changed). */
  refreshAll() {
    for (const rec of this.records.values()) this.renderRecord(rec);
  }

  /** setProgress shows how far a message's upload got (messageProgress). */
  setProgress(p) {
    this.progress.set(p.clientMsgID, p);
    const rec = this.records.get(p.clientMsgID);
    if (rec) this.renderRecord(rec);
  }

  /** jumpTo scrolls to a shown message and marks it for a moment. */
  jumpTo(clientMsgID) {
    const rec = clientMsgID && this.records.get(clientMsgID);
    if (!rec || !rec.node) return false;
    rec.node.scrollIntoView({ block: 'center' });
    rec.node.classList.add('flash');
    setTimeout(() => rec.node && rec.node.classList.remove('flash'), 1500);
    return true;
  }

  /** refreshNames redraws sender names after user info arrived. */
  refreshNames() {
    if (!this.conv || this.conv.sessionType !== 'group') return;
    for (const rec of this.records.values()) this.renderRecord(rec);
  }

  reorder() {
    const key = (r) => (isSent(r.msg) ? r.msg.seq : Number.MAX_SAFE_INTEGER);
    const sorted = [...this.records.values()].sort((a, b) => key(a) - key(b) || a.order - b.order);
    const want = [];
    const days = new Set();
    for (const r of sorted) {
      const day = dayLabel(when(r.msg));
      if (day && !days.has(day)) {
        days.add(day);
        want.push(this.divider(day));
      }
      want.push(r.node);
    }
    const children = this.list.children;
    let same = children.length === want.length;
    for (let i = 0; same && i < want.length; i++) same = children[i] === want[i];
    if (!same) this.list.replaceChildren(...want);
  }

  divider(day) {
    let node = this.dividers.get(day);
    if (!node) {
      node = el('li', { className: 'day-divider', attrs: { role: 'separator' }, dataset: { testid: 'day-divider' } }, el('span', { text: day }));
      this.dividers.set(day, node);
    }
    return node;
  }

  /** renderCallLine shows a call's notification as a line across the timeline. */
  renderCallLine(rec, c) {
    const m = rec.msg;
    const outgoing = m.sendID === this.selfID;
    const node = el(
      'li',
      {
        className: `call-line ${c.result === 'missed' && !outgoing ? 'missed' : ''}`,
        dataset: { testid: 'call-line', clientMsgId: m.clientMsgID, seq: String(m.seq || 0), result: c.result, media: c.media, callId: c.callID },
      },
      el('span', { text: `${callLineText(c, outgoing)} · ${clockTime(when(m))}`, title: fullTime(when(m)) }),
    );
    if (rec.node) rec.node.replaceWith(node);
    rec.node = node;
  }

  /** renderNoticeLine shows a group change (member added, role, info…) as a line across the timeline. */
  renderNoticeLine(rec, c) {
    const m = rec.msg;
    const node = el(
      'li',
      { className: 'call-line notice-line', dataset: { testid: 'notice-line', clientMsgId: m.clientMsgID, seq: String(m.seq || 0), kind: c.kind } },
      el('span', { text: `${groupNoticeText(c, this.nameOf, this.selfID)} · ${clockTime(when(m))}`, title: fullTime(when(m)) }),
    );
    if (rec.node) rec.node.replaceWith(node);
    rec.node = node;
  }

  renderRecord(rec) {
    const m = rec.msg;
    if (m.contentType === 'notification' && m.content && m.content.kind === 'call') {
      this.renderCallLine(rec, m.content);
      return;
    }
    if (m.contentType === 'notification' && m.content && m.content.kind) {
      this.renderNoticeLine(rec, m.content);
      return;
    }
    const own = m.sendID === this.selfID;
    let status = 'received';
    if (own) status = isSent(m) ? 'sent' : m.status === 'failed' ? 'failed' : 'sending';
    // Read receipts (one-to-one): a second tick once the other user read it.
    const read = own && status === 'sent' && !!m.isRead;
    const group = (this.conv && this.conv.sessionType === 'group') || m.sessionType === 'group';
    const prog = !isSent(m) && this.progress.get(m.clientMsgID);
    const isText = m.contentType === 'text' || (m.text && !m.contentType);
    const revoked = m.contentType === 'revoked';

    const meta = el(
      'span',
      { className: 'meta' },
      m.isPinned ? el('span', { className: 'pinned-mark', text: 'pinned', title: 'Pinned for everyone', dataset: { testid: 'message-pinned' } }) : null,
      m.editTime > 0 && !revoked ? el('span', { className: 'edited', text: 'edited', title: `Edited ${fullTime(m.editTime)}`, dataset: { testid: 'message-edited' } }) : null,
      el('time', { text: clockTime(when(m)), title: fullTime(when(m)) }),
      own ? statusIcon(read ? 'read' : status) : null,
    );
    // Group read receipts: "read by N" on own messages, the readers on click.
    if (own && group && m.readCount > 0) {
      meta.append(el('button', { type: 'button', className: 'link small read-by', text: `Read by ${m.readCount}`, dataset: { testid: 'read-by' }, onclick: () => this.showReaders(rec) }));
    }
    const bubble = el(
      'div',
      { className: 'bubble' },
      group && !own ? el('span', { className: 'sender', text: this.nameOf(m.sendID), dataset: { testid: 'message-sender' } }) : null,
      // textContent only: message text is user data and is never parsed as HTML.
      revoked
        ? el('p', { className: 'text revoked', text: this.revokedText(m), dataset: { testid: 'message-text' } })
        : this.editing === m.clientMsgID && isText
          ? editor(
              m.text || '',
              (text) => this.finishEdit(rec, text),
              () => this.finishEdit(rec, null),
            )
          : renderContent(m.contentType ? m : { ...m, contentType: 'text' }, {
        nameOf: this.nameOf,
        onJump: (id) => this.jumpTo(id),
        onOpenUser: this.onOpenUser,
        onImage: (url) => {
          this.viewerImg.src = url;
          this.viewer.showModal();
        },
      }),
      prog
        ? el(
            'div',
            { className: 'upload-progress', dataset: { testid: 'upload-progress' } },
            el('progress', { max: prog.bytesTotal, value: prog.bytesSent }),
            el('span', { className: 'muted small', text: `${sizeText(prog.bytesSent)} of ${sizeText(prog.bytesTotal)}` }),
          )
        : null,
      revoked ? null : reactionChips(m.reactions, this.nameOf, (emoji, add) => this.onAction(add ? 'react' : 'unreact', rec.msg, emoji)),
      meta,
      isSent(m)
        ? el(
            'span',
            { className: 'msg-quick' },
            el('button', { type: 'button', className: 'link small', text: 'Reply', dataset: { testid: 'reply-button' }, onclick: () => this.setReply(rec.msg) }),
            revoked ? null : el('button', { type: 'button', className: 'link small', text: 'React', dataset: { testid: 'react-button' }, onclick: () => this.pick(rec, 'react') }),
            el('button', { type: 'button', className: 'link small', text: 'Forward', dataset: { testid: 'forward-button' }, onclick: () => this.onForward(rec.msg) }),
          )
        : own
          ? el('span', { className: 'msg-quick' }, el('button', { type: 'button', className: 'link small', text: 'Cancel', dataset: { testid: 'cancel-button' }, onclick: () => this.onCancel(rec.msg) }))
          : null,
    );
    if (isSent(m) && !revoked) bubble.append(actionsButton(bubble, this.actionsFor(m, own, isText), (id) => this.pick(rec, id)) || '');
    const node = el(
      'li',
      {
        className: `msg ${own ? 'own' : 'other'} ${status}${revoked ? ' is-revoked' : ''}`,
        dataset: { testid: 'message', clientMsgId: m.clientMsgID, status, own: String(own), seq: String(m.seq || 0), contentType: m.contentType || 'text', read: String(read) },
      },
      bubble,
      status === 'failed'
        ? el(
            'div',
            { className: 'failed-row', dataset: { testid: 'message-failed' } },
            el('span', { text: notSentText(m.errorCode) }),
            el('button', {
              type: 'button',
              className: 'link',
              text: 'Retry',
              dataset: { testid: 'retry-button' },
              onclick: () => this.onRetry(rec.msg),
            }),
          )
        : null,
    );
    if (rec.hit) {
      node.classList.add('hit');
      node.dataset.hit = 'true';
    }
    if (rec.node) rec.node.replaceWith(node);
    rec.node = node;
  }

  /** revokedText says who revoked a message, in its place. */
  revokedText(m) {
    const by = m.content && m.content.revokerUserID;
    if (!by || by === m.sendID) return m.sendID === this.selfID ? 'You revoked this message' : 'This message was revoked';
    return by === this.selfID ? 'You removed this message' : `Removed by ${this.nameOf(by)}`;
  }

  /** actionsFor lists what the bubble's menu offers for a sent message. */
  actionsFor(m, own, isText) {
    const out = [];
    out.push({ id: 'react', label: 'React' });
    if (isText && navigator.clipboard) out.push({ id: 'copy', label: 'Copy text' });
    if (own && isText) out.push({ id: 'edit', label: 'Edit' });
    out.push(m.isPinned ? { id: 'unpin', label: 'Unpin' } : { id: 'pin', label: 'Pin for everyone' });
    out.push({ id: 'delete', label: 'Delete for me', danger: true });
    if ((own && Date.now() - m.sendTime < REVOKE_WINDOW_MS) || this.moderator) out.push({ id: 'revoke', label: 'Revoke', danger: true });
    return out;
  }

  async pick(rec, id) {
    const m = rec.msg;
    if (id === 'copy') {
      await navigator.clipboard.writeText(m.text || '').catch(() => {});
    } else if (id === 'edit') {
      this.editing = m.clientMsgID;
      this.renderRecord(rec);
    } else if (id === 'react') {
      const bubble = rec.node && rec.node.querySelector('.bubble');
      if (!bubble || rec.node.querySelector('.emoji-picker')) return;
      bubble.after(emojiPicker((emoji) => {
        const mine = (rec.msg.reactions || []).some((r) => r.emoji === emoji && r.reactedByMe);
        this.onAction(mine ? 'unreact' : 'react', rec.msg, emoji);
      }, () => {}));
    } else if (id === 'revoke' || id === 'delete' || id === 'pin' || id === 'unpin') {
      await this.onAction(id, m);
    }
  }

  /** showReaders opens, under an own group message, who has read it. */
  async showReaders(rec) {
    const old = rec.node && rec.node.querySelector('.read-info');
    if (old) return old.remove();
    const info = await this.onAction('readInfo', rec.msg);
    if (!info || !rec.node) return;
    const box = el(
      'div',
      { className: 'read-info', attrs: { role: 'dialog', 'aria-label': 'Read by' }, dataset: { testid: 'read-info' } },
      el('strong', { text: `Read by ${info.readCount}` + (info.unreadCount ? ` · ${info.unreadCount} not yet` : '') }),
      el('ul', {}, info.readers.map((r) => el('li', { dataset: { testid: 'reader', userId: r.userID } }, el('span', { text: this.nameOf(r.userID) }), el('time', { className: 'muted small', text: r.readTime ? clockTime(r.readTime) : '', title: r.readTime ? fullTime(r.readTime) : '' })))),
      el('button', { type: 'button', className: 'link small', text: 'Close', onclick: () => box.remove() }),
    );
    rec.node.querySelector('.bubble').after(box);
  }

  /** finishEdit ends an inline edit: saves text, or cancels for null. */
  async finishEdit(rec, text) {
    this.editing = '';
    this.renderRecord(rec);
    if (text !== null) await this.onAction('edit', rec.msg, text);
  }
}

function statusIcon(status) {
  const labels = { sending: 'Sending', sent: 'Sent', read: 'Read', failed: 'Failed' };
  const names = { sending: 'clock', sent: 'check', read: 'checks', failed: 'alert' };
  return el('span', { className: `status ${status}`, title: labels[status], dataset: { testid: 'message-status' } }, icon(names[status], labels[status]));
}
