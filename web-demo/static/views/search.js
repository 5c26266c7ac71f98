// Message search: searchLocalMessages over what this device stores (works
// offline), across conversations or within the open one; a hit opens its
// conversation at that message.
import { el } from '../dom.js';
import { clockTime, dayLabel } from '../format.js';
import { summaryText } from './content.js';

/** highlighted is text with every case-insensitive occurrence of keyword in <mark>. */
function highlighted(text, keyword) {
  const out = [];
  const lower = text.toLowerCase();
  const k = keyword.toLowerCase();
  let from = 0;
  // toLowerCase keeps the length for nearly all text; where it does not, no marks.
  if (k && lower.length === text.length) {
    for (let i = lower.indexOf(k); i >= 0; i = lower.indexOf(k, from)) {
      out.push(text.slice(from, i), el('mark', { text: text.slice(i, i + k.length) }));
      from = i + k.length;
    }
  }
  out.push(text.slice(from));
  return out;
}

/**
 * renderSearch shows a search's result in list (and its count in status).
 * @param {object} o
 * @param {{totalCount:number, messages:object[]}} o.result
 * @param {string} o.keyword
 * @param {(conversationID:string) => string} o.convName
 * @param {(userID:string) => string} o.nameOf
 * @param {(message:object) => void} o.onOpen
 */
export function renderSearch(list, status, { result, keyword, convName, nameOf, onOpen }) {
  const n = result.totalCount;
  status.textContent = n === 0 ? 'No messages found.' : `${n} message${n === 1 ? '' : 's'} found${n > result.messages.length ? `, newest ${result.messages.length} shown` : ''}.`;
  list.replaceChildren(
    ...result.messages.map((m) => {
      const text = m.text || summaryText(m);
      return el('li', {}, [
        el('button', { type: 'button', className: 'search-hit', dataset: { testid: 'search-hit', clientMsgId: m.clientMsgID }, onclick: () => onOpen(m) }, [
          el('span', { className: 'search-hit-head small muted' }, [`${convName(m.conversationID)} · ${nameOf(m.sendID)} · ${dayLabel(m.sendTime)} ${clockTime(m.sendTime)}`]),
          el('span', { className: 'search-hit-text' }, highlighted(text, keyword)),
        ]),
      ]);
    }),
  );
}
