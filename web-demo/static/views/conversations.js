// The conversation list: names, latest message, time, unread badges, pinned first.
import { el } from '../dom.js';
import { groupNoticeText, paintAvatar, shortTime, fullTime } from '../format.js';
import { icon } from './icons.js';
import { callLineText } from './call.js';
import { summaryText } from './content.js';

/** activityTime is what "newest activity" sorts by. */
function activityTime(c) {
  const m = c.latestMessage;
  return Math.max(c.updatedAt || 0, (m && (m.sendTime || m.createTime)) || 0);
}

/** sortConversations orders like the SDK does: pinned first, then newest activity. */
export function sortConversations(convs) {
  return [...convs].sort((a, b) => {
    if (!!a.isPinned !== !!b.isPinned) return a.isPinned ? -1 : 1;
    return activityTime(b) - activityTime(a);
  });
}

/** conversationName is what a conversation is called in the list and header. */
export function conversationName(c, nameOf = (id) => id) {
  return c.showName || (c.userID && nameOf(c.userID)) || c.groupID || c.conversationID;
}

function preview(c, selfID, nameOf) {
  if (c.draftText) return { prefix: 'Draft: ', text: c.draftText };
  const m = c.latestMessage;
  if (!m) return { prefix: '', text: '' };
  if (m.contentType === 'notification' && m.content && m.content.kind === 'call') {
    return { prefix: '', text: callLineText(m.content, m.sendID === selfID) };
  }
  if (m.contentType === 'notification' && m.content && m.content.kind) {
    return { prefix: '', text: groupNoticeText(m.content, nameOf, selfID) };
  }
  const text = summaryText(m);
  if (m.sendID === selfID) return { prefix: 'You: ', text };
  if (c.sessionType === 'group') return { prefix: `${nameOf(m.sendID)}: `, text };
  return { prefix: '', text };
}

function item(c, { selfID, openID, onOpen, nameOf }) {
  const name = conversationName(c, nameOf);
  const avatar = el('span', { className: 'avatar', attrs: { 'aria-hidden': 'true' } });
  paintAvatar(avatar, name, c.userID || c.groupID || c.conversationID);
  const p = preview(c, selfID, nameOf);
  const unread = c.unreadCount > 0;
  const time = activityTime(c);
  const button = el(
    'button',
    {
      type: 'button',
      className: 'conv',
      onclick: () => onOpen(c),
      attrs: c.conversationID === openID ? { 'aria-current': 'true' } : {},
    },
    avatar,
    el(
      'span',
      { className: 'conv-body' },
      el(
        'span',
        { className: 'conv-top' },
        el('span', { className: 'conv-name', text: name, dataset: { testid: 'conversation-name' } }),
        c.isPinned ? el('span', { className: 'pin', title: 'Pinned', dataset: { testid: 'pinned' } }, icon('pin', 'Pinned')) : null,
        c.isMuted ? el('span', { className: 'muted-icon', title: 'Muted', dataset: { testid: 'muted' } }, icon('bellOff', 'Muted')) : null,
        el('time', {
          className: 'conv-time',
          text: shortTime(time),
          title: fullTime(time),
          dataset: { testid: 'conversation-time' },
        }),
      ),
      el(
        'span',
        { className: 'conv-bottom' },
        el('span', { className: 'conv-preview', dataset: { testid: 'conversation-preview' } }, p.prefix ? el('span', { className: 'muted', text: p.prefix }) : null, p.text),
        c.mentionedMe && unread ? el('span', { className: 'badge mention', text: '@', title: 'You were mentioned', dataset: { testid: 'mention-badge' } }) : null,
        unread
          ? el('span', {
              className: c.isMuted ? 'badge quiet' : 'badge',
              text: c.unreadCount > 99 ? '99+' : String(c.unreadCount),
              title: `${c.unreadCount} unread`,
              dataset: { testid: 'unread-badge' },
            })
          : null,
      ),
    ),
  );
  return el(
    'li',
    {
      className: unread ? 'unread' : '',
      dataset: { testid: 'conversation-item', conversationId: c.conversationID, name, unread: String(c.unreadCount || 0), removed: String(!!c.removed) },
    },
    button,
  );
}

/**
 * renderConversations redraws the list. It is cheap enough to redraw whole:
 * a list holds tens to hundreds of rows and changes a few times a second at most.
 */
export function renderConversations(listEl, emptyEl, convs, opts) {
  const sorted = sortConversations(convs);
  listEl.replaceChildren(...sorted.map((c) => item(c, opts)));
  emptyEl.hidden = sorted.length > 0;
}
