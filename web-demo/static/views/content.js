// How every content type of a message looks in a bubble, and the one line
// that stands for it in the conversation list. User data reaches the page
// as text and attribute values only.
import { el } from '../dom.js';

/** The faces (stickers) the demo offers: createFaceMessage's index. */
export const FACES = ['😀', '😂', '😍', '👍', '🎉', '🙏', '😢', '🔥'];

/** sizeText is a byte count for people. */
export function sizeText(n) {
  if (!(n >= 0)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(n < 10 << 10 ? 1 : 0)} KB`;
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}

function durationText(s) {
  const t = Math.max(0, Math.round(Number(s) || 0));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

/** summaryText is the one line for a message (list previews, quotes). */
export function summaryText(m) {
  const c = (m && m.content) || {};
  switch (m && m.contentType) {
    case 'text':
    case 'quote':
    case 'mention':
      return m.text || '';
    case 'image':
      return '📷 Photo';
    case 'voice':
      return `🎤 Voice message ${durationText(c.duration)}`;
    case 'video':
      return '🎬 Video';
    case 'file':
      return `📎 ${c.fileName || 'File'}`;
    case 'location':
      return `📍 ${c.description || 'Location'}`;
    case 'card':
      return `👤 ${c.nickname || c.userID || 'Contact'}`;
    case 'custom':
      return c.description || 'Custom message';
    case 'merger':
      return `🗂 ${c.title || 'Chat history'}`;
    case 'face':
      return FACES[c.index] || 'Sticker';
    case 'link':
      return c.title || c.url || 'Link';
    case 'revoked':
      return 'Message deleted';
    default:
      return m && m.text ? m.text : `[${(m && m.contentType) || 'unknown'} message]`;
  }
}

/** mentionChips renders text with @names of atUserIDs as chips. */
function mentionText(m, nameOf) {
  const c = m.content || {};
  const names = new Set((c.atUserIDs || []).map((id) => `@${nameOf(id)}`));
  if (c.atAll) names.add('@all');
  const parts = [];
  const re = /@[^\s@]+/g;
  let last = 0;
  const text = m.text || '';
  for (const hit of text.matchAll(re)) {
    if (!names.has(hit[0]) && !(c.atUserIDs || []).some((id) => hit[0] === `@${id}`)) continue;
    parts.push(text.slice(last, hit.index), el('span', { className: 'mention-chip', text: hit[0], dataset: { testid: 'mention-chip' } }));
    last = hit.index + hit[0].length;
  }
  parts.push(text.slice(last));
  return el('p', { className: 'text', dataset: { testid: 'message-text' } }, ...parts);
}

/**
 * linkCard is a link's preview: its words, title and description. Its image
 * is not shown: the demo's Content-Security-Policy loads images from its own
 * origin only, and loading another site's would tell it who reads the chat.
 */
function linkCard(c, testid = 'link-preview') {
  return el(
    'a',
    { className: 'content link-card', href: c.url, target: '_blank', rel: 'noopener noreferrer', dataset: { testid } },
    c.text ? el('span', { className: 'text', text: c.text }) : null,
    el('strong', { text: c.title || c.url }),
    c.description ? el('span', { className: 'muted small', text: c.description }) : null,
  );
}

/**
 * renderContent is the body of a bubble.
 * @param {object} m the message
 * @param {object} o
 * @param {(userID:string)=>string} o.nameOf
 * @param {(clientMsgID:string)=>void} o.onJump scrolls to a quoted message
 * @param {(userID:string)=>void} o.onOpenUser opens a chat with a card's user
 * @param {(url:string)=>void} o.onImage shows an image full size
 */
export function renderContent(m, o) {
  const c = m.content || {};
  const text = (t) => el('p', { className: 'text', text: t, dataset: { testid: 'message-text' } });
  const pending = !c.url && m.status !== 'sent' && !m.seq;
  switch (m.contentType) {
    case 'text':
      // A URL in the text: the preview card the SDK attached, under it.
      return c.preview ? el('div', { className: 'content' }, text(m.text || ''), linkCard(c.preview)) : text(m.text || '');
    case 'quote':
      return el(
        'div',
        { className: 'content quote' },
        el(
          'button',
          {
            type: 'button',
            className: 'quoted',
            title: 'Show the quoted message',
            dataset: { testid: 'quoted' },
            onclick: () => o.onJump(c.quote && c.quote.clientMsgID),
          },
          el('span', { className: 'sender', text: c.quote ? o.nameOf(c.quote.sendID) : '' }),
          el('span', { className: 'muted', text: (c.quote && c.quote.summary) || '' }),
        ),
        text(m.text || ''),
      );
    case 'mention':
      return mentionText(m, o.nameOf);
    case 'image': {
      const thumb = (c.thumbnail && c.thumbnail.url) || c.url;
      if (!thumb) return el('p', { className: 'text muted', text: pending ? '📷 Uploading photo…' : '📷 Photo', dataset: { testid: 'message-text' } });
      const w = (c.thumbnail && c.thumbnail.width) || 240;
      const h = (c.thumbnail && c.thumbnail.height) || 180;
      return el(
        'button',
        { type: 'button', className: 'content image', title: 'Open full size', onclick: () => o.onImage(c.url), dataset: { testid: 'image-content' } },
        el('img', { src: thumb, alt: 'Photo', width: w, height: h, loading: 'lazy', dataset: { testid: 'image-thumbnail' } }),
      );
    }
    case 'voice':
      return el(
        'div',
        { className: 'content voice', dataset: { testid: 'voice-content' } },
        c.url ? el('audio', { controls: true, preload: 'none', src: c.url }) : el('span', { className: 'muted', text: 'Uploading voice message…' }),
        el('span', { className: 'muted small', text: durationText(c.duration) }),
      );
    case 'video':
      return el(
        'div',
        { className: 'content video', dataset: { testid: 'video-content' } },
        c.url
          ? el('video', { controls: true, preload: 'none', src: c.url, poster: (c.snapshot && c.snapshot.url) || undefined, playsInline: true })
          : el('span', { className: 'muted', text: 'Uploading video…' }),
      );
    case 'file':
      return el(
        'div',
        { className: 'content file', dataset: { testid: 'file-content' } },
        el('span', { className: 'file-icon', text: '📎', attrs: { 'aria-hidden': 'true' } }),
        el('span', { className: 'file-meta' }, el('span', { className: 'file-name', text: c.fileName || 'File' }), el('span', { className: 'muted small', text: sizeText(c.size) })),
        c.url ? el('a', { className: 'link', href: c.url, download: c.fileName || '', text: 'Download', dataset: { testid: 'file-download' } }) : null,
      );
    case 'location': {
      const lat = Number(c.latitude);
      const lng = Number(c.longitude);
      return el(
        'div',
        { className: 'content location', dataset: { testid: 'location-content' } },
        el('span', { text: `📍 ${c.description || 'Location'}` }),
        el('span', { className: 'muted small', text: `${lat.toFixed(5)}, ${lng.toFixed(5)}` }),
        el('a', {
          className: 'link',
          href: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lng}#map=16/${lat}/${lng}`,
          target: '_blank',
          rel: 'noopener noreferrer',
          text: 'Open map',
        }),
      );
    }
    case 'card':
      return el(
        'button',
        { type: 'button', className: 'content card', onclick: () => o.onOpenUser(c.userID), dataset: { testid: 'card-content' } },
        el('span', { className: 'avatar small', text: (c.nickname || c.userID || '?').slice(0, 1).toUpperCase() }),
        el('span', {}, el('strong', { text: c.nickname || c.userID }), el('span', { className: 'muted small', text: ' · Send a message' })),
      );
    case 'custom':
      return el('p', { className: 'text custom', text: c.description || 'Custom message', dataset: { testid: 'custom-content' } });
    case 'merger':
      return el(
        'div',
        { className: 'content merger', dataset: { testid: 'merger-content' } },
        el('strong', { text: c.title || 'Chat history' }),
        el(
          'ul',
          {},
          (c.messages || []).slice(0, 4).map((x) => el('li', { className: 'small', text: `${x.senderNickname || o.nameOf(x.sendID)}: ${summaryText(x)}` })),
        ),
      );
    case 'face':
      return el('p', { className: 'content face', text: FACES[c.index] || '🙂', title: c.data || 'Sticker', dataset: { testid: 'face-content' } });
    case 'link':
      return linkCard(c, 'link-content');
    default:
      return el('p', { className: 'text unsupported', text: summaryText(m), dataset: { testid: 'message-text' } });
  }
}
