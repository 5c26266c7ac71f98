// Formatting of names, avatars and times for display.

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** shortTime is for lists: the time today, the weekday this week, else the date. */
export function shortTime(ms, now = Date.now()) {
  if (!ms) return '';
  const d = new Date(ms);
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return timeFmt.format(d);
  if (now - ms < 6 * 24 * 3600 * 1000 && ms < now) return dayFmt.format(d);
  return dateFmt.format(d);
}

/** clockTime is the time of day of a message. */
export function clockTime(ms) {
  return ms ? timeFmt.format(new Date(ms)) : '';
}

/** fullTime is for tooltips. */
export function fullTime(ms) {
  return ms ? fullFmt.format(new Date(ms)) : '';
}

/** dayLabel names a message's day for the dividers in a chat. */
export function dayLabel(ms, now = Date.now()) {
  if (!ms) return '';
  const d = new Date(ms);
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return 'Today';
  const yesterday = new Date(today);
  yesterday.setDate(today.getDate() - 1);
  if (d.toDateString() === yesterday.toDateString()) return 'Yesterday';
  const opts = { weekday: 'long', day: 'numeric', month: 'long' };
  if (d.getFullYear() !== today.getFullYear()) opts.year = 'numeric';
  return new Intl.DateTimeFormat(undefined, opts).format(d);
}

/** memberCountText is a group's size in words. */
export function memberCountText(n) {
  return n === 1 ? '1 member' : `${n} members`;
}

/** initials gives up to two letters for an avatar. */
export function initials(name) {
  const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const letters = words.length === 1 ? [...words[0]].slice(0, 2) : [[...words[0]][0], [...words[1]][0]];
  return letters.join('').toUpperCase();
}

/** hue picks a stable avatar colour for an ID. */
export function hue(id) {
  let h = 0;
  for (const ch of String(id || '')) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return h % 360;
}

/** paintAvatar fills an avatar element for a name and ID. */
export function paintAvatar(node, name, id) {
  node.textContent = initials(name);
  node.style.setProperty('--avatar-hue', String(hue(id || name)));
}

/** singleConversationID follows the contract: si_<lower>_<higher>, byte-wise. */
export function singleConversationID(a, b) {
  // JS string comparison is by UTF-16 code unit; for the ASCII IDs the server
  // issues that is the same as byte order.
  return a < b ? `si_${a}_${b}` : `si_${b}_${a}`;
}

/** groupConversationID follows the contract: sg_<groupID>. */
export function groupConversationID(groupID) {
  return `sg_${groupID}`;
}

// Why a message was not sent, by the SDK's error code, in words.
const NOT_SENT = {
  too_large: 'the message is too long',
  timeout: 'no connection to the server in time',
  permission_denied: 'you may not send here',
  not_found: 'the recipient does not exist',
};

/** notSentText says why a message was not sent, from its error code. */
export function notSentText(code) {
  const why = NOT_SENT[code];
  if (why) return `Not sent: ${why}.`;
  return code ? `Not sent (${code}).` : 'Not sent.';
}

/**
 * groupNoticeText is the timeline's line for a group notification's
 * content {kind, operatorUserID, userIDs, role, reason, muteEndTime, fields}.
 */
export function groupNoticeText(c, nameOf, selfID) {
  const who = (id) => (id === selfID ? 'You' : nameOf(id));
  const op = c.operatorUserID ? who(c.operatorUserID) : 'The server';
  const them = (c.userIDs || []).map(who).join(', ');
  switch (c.kind) {
    case 'memberAdded':
      return c.userIDs && c.userIDs.length === 1 && c.userIDs[0] === c.operatorUserID ? `${them} joined` : `${op} added ${them}`;
    case 'memberRemoved':
      return c.reason === 'quit' ? `${them} left` : `${op} removed ${them}`;
    case 'roleChanged':
      return `${op} made ${them} ${c.role === 'admin' ? 'an admin' : 'a member'}`;
    case 'infoChanged':
      return `${op} changed the group's ${(c.fields || ['info']).join(', ')}`;
    case 'ownerTransferred':
      return `${op} handed the group to ${them}`;
    case 'muted':
      return them ? `${op} muted ${them}` : `${op} muted the group`;
    case 'unmuted':
      return them ? `${op} unmuted ${them}` : `${op} unmuted the group`;
    case 'dismissed':
      return `${op} dismissed the group`;
  }
  return 'The group changed';
}
