// The menu on a message bubble (copy, edit, revoke), the inline editor
// an edit opens, the emoji picker of a reaction and a bubble's reaction
// chips. The chat view decides what a message offers; the
// controller carries out what is picked.
import { el } from '../dom.js';

// The server's default revoke window: offering a revoke it would refuse
// only produces an error.
export const REVOKE_WINDOW_MS = 24 * 60 * 60 * 1000;

let openMenu = null;

function closeMenu() {
  if (!openMenu) return;
  openMenu.previousSibling?.setAttribute('aria-expanded', 'false');
  openMenu.remove();
  openMenu = null;
  document.removeEventListener('pointerdown', onOutside, true);
  document.removeEventListener('keydown', onKey, true);
}

function onOutside(e) {
  if (openMenu && !openMenu.contains(e.target) && !openMenu.previousSibling?.contains(e.target)) closeMenu();
}

function onKey(e) {
  if (e.key === 'Escape') closeMenu();
}

/**
 * actionsButton returns the "…" button of a bubble with the actions
 * offered for it: [{id, label, danger?}], each picked with onPick(id).
 * A long press on the bubble opens the same menu (touch screens).
 */
export function actionsButton(bubble, actions, onPick) {
  if (!actions.length) return null;
  const button = el('button', {
    type: 'button',
    className: 'msg-actions',
    title: 'Message actions',
    text: '⋯',
    attrs: { 'aria-haspopup': 'menu', 'aria-label': 'Message actions' },
    dataset: { testid: 'message-actions' },
  });
  const open = () => {
    const wasMine = openMenu && openMenu.previousSibling === button;
    closeMenu();
    if (wasMine) return;
    const menu = el(
      'div',
      { className: 'msg-menu', attrs: { role: 'menu' }, dataset: { testid: 'message-menu' } },
      actions.map((a) =>
        el('button', {
          type: 'button',
          className: a.danger ? 'danger' : '',
          text: a.label,
          attrs: { role: 'menuitem' },
          dataset: { testid: `action-${a.id}` },
          onclick: () => {
            closeMenu();
            onPick(a.id);
          },
        }),
      ),
    );
    button.after(menu);
    button.setAttribute('aria-expanded', 'true');
    openMenu = menu;
    document.addEventListener('pointerdown', onOutside, true);
    document.addEventListener('keydown', onKey, true);
    menu.querySelector('button')?.focus();
  };
  button.addEventListener('click', (e) => {
    e.stopPropagation();
    open();
  });
  let pressTimer = 0;
  bubble.addEventListener('touchstart', () => (pressTimer = setTimeout(open, 500)), { passive: true });
  for (const end of ['touchend', 'touchmove', 'touchcancel']) bubble.addEventListener(end, () => clearTimeout(pressTimer));
  return button;
}

/**
 * editor returns an inline editor for text: Enter or Save calls
 * onSave(newText), Escape or Cancel calls onCancel.
 */
export function editor(text, onSave, onCancel) {
  const input = el('textarea', { className: 'edit-input', value: text, rows: 2, dataset: { testid: 'edit-input' }, attrs: { 'aria-label': 'Edit message' } });
  const save = () => {
    const t = input.value.trim();
    if (t && t !== text) onSave(t);
    else onCancel();
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      save();
    } else if (e.key === 'Escape') {
      onCancel();
    }
  });
  const box = el(
    'div',
    { className: 'edit-box', dataset: { testid: 'edit-box' } },
    input,
    el(
      'div',
      { className: 'edit-buttons' },
      el('button', { type: 'button', text: 'Cancel', onclick: onCancel, dataset: { testid: 'edit-cancel' } }),
      el('button', { type: 'button', className: 'primary', text: 'Save', onclick: save, dataset: { testid: 'edit-save' } }),
    ),
  );
  queueMicrotask(() => {
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  });
  return box;
}

/** The emojis the picker offers. */
export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];

/**
 * emojiPicker returns a small row of emojis under a bubble; onPick(emoji)
 * is called with the one picked, onClose when it goes (a pick, Escape, or
 * a click elsewhere).
 */
export function emojiPicker(onPick, onClose) {
  const picker = el(
    'div',
    { className: 'emoji-picker', attrs: { role: 'menu', 'aria-label': 'React' }, dataset: { testid: 'emoji-picker' } },
    REACTIONS.map((e) =>
      el('button', { type: 'button', text: e, attrs: { role: 'menuitem', 'aria-label': `React ${e}` }, dataset: { testid: 'emoji-option', emoji: e }, onclick: () => done(e) }),
    ),
  );
  const outside = (ev) => !picker.contains(ev.target) && done(null);
  const key = (ev) => ev.key === 'Escape' && done(null);
  function done(e) {
    document.removeEventListener('pointerdown', outside, true);
    document.removeEventListener('keydown', key, true);
    picker.remove();
    if (e) onPick(e);
    onClose();
  }
  queueMicrotask(() => {
    document.addEventListener('pointerdown', outside, true);
    document.addEventListener('keydown', key, true);
    picker.querySelector('button')?.focus();
  });
  return picker;
}

/**
 * reactionChips returns a message's reactions as chips (emoji and count;
 * the user's own marked), each toggling the user's reaction with
 * onToggle(emoji, add); null without reactions.
 */
export function reactionChips(reactions, nameOf, onToggle) {
  if (!reactions || !reactions.length) return null;
  return el(
    'div',
    { className: 'reactions', dataset: { testid: 'reactions' } },
    reactions.map((r) => {
      const who = r.userIDs.map(nameOf).join(', ') + (r.count > r.userIDs.length ? ` and ${r.count - r.userIDs.length} more` : '');
      return el('button', {
        type: 'button',
        className: `reaction-chip${r.reactedByMe ? ' mine' : ''}`,
        text: `${r.emoji} ${r.count}`,
        title: who,
        attrs: { 'aria-pressed': String(!!r.reactedByMe) },
        dataset: { testid: 'reaction-chip', emoji: r.emoji, count: String(r.count), mine: String(!!r.reactedByMe) },
        onclick: () => onToggle(r.emoji, !r.reactedByMe),
      });
    }),
  );
}
