// A group's members: who is in it, removing a member (owner and admins), and
// leaving it (anyone but the owner). Both removals ask first, in a dialog of
// the page (never window.confirm), and show the server's refusal if any.
import { el, $, byTestID, showError } from '../dom.js';
import { memberCountText, paintAvatar } from '../format.js';

const ROLE_LABEL = { owner: 'Owner', admin: 'Admin' };

/** canRemove follows the server's rule: the owner removes anyone else, an admin only plain members. */
function canRemove(selfRole, memberRole) {
  if (selfRole === 'owner') return memberRole !== 'owner';
  if (selfRole === 'admin') return memberRole === 'member';
  return false;
}

/**
 * mountMembers wires the members dialog and the confirmation dialog.
 * app: {client(), selfID(), selfName(), nameOf(userID), ensureNames(userIDs), quitGroup(groupID) -> Promise}
 */
export function mountMembers(app) {
  const dialog = $('members-dialog');
  const title = $('members-title');
  const summary = $('members-summary');
  const list = $('member-list');
  const error = byTestID(dialog, 'members-error');
  const ownerNote = $('members-owner-note');
  const leaveButton = $('leave-group-button');

  const confirmDialog = $('confirm-dialog');
  const confirmForm = $('confirm-form');
  const confirmTitle = $('confirm-title');
  const confirmText = $('confirm-text');
  const confirmError = byTestID(confirmDialog, 'confirm-error');
  const confirmSubmit = byTestID(confirmDialog, 'confirm-submit');

  for (const d of [dialog, confirmDialog]) {
    for (const b of d.querySelectorAll('[data-close]')) b.addEventListener('click', () => d.close());
  }

  // The group shown, and its members once loaded (null while loading or after an error).
  let group = null; // {groupID, name}
  let members = null;
  let gen = 0; // bumps on every load, so an older answer is dropped
  let pendingAction = null; // what confirming does

  function selfRole() {
    const me = members && members.find((m) => m.userID === app.selfID());
    return me ? me.role : '';
  }

  function render() {
    if (!group) return;
    title.textContent = group.name ? `Members of ${group.name}` : 'Members';
    if (!members) {
      summary.textContent = 'Loading members…';
      list.replaceChildren();
      leaveButton.hidden = true;
      ownerNote.hidden = true;
      return;
    }
    summary.textContent = memberCountText(members.length);
    const self = app.selfID();
    const role = selfRole();
    list.replaceChildren(
      ...members.map((m) => {
        const isSelf = m.userID === self;
        const name = isSelf ? 'You' : app.nameOf(m.userID);
        const avatar = el('span', { className: 'avatar small', attrs: { 'aria-hidden': 'true' } });
        paintAvatar(avatar, (isSelf && app.selfName()) || name, m.userID);
        const remove = !isSelf && canRemove(role, m.role)
          ? el('button', {
              type: 'button',
              className: 'small danger-outline',
              text: 'Remove',
              // The visible word plus whom, for screen readers.
              attrs: { 'aria-label': `Remove ${name}` },
              dataset: { testid: 'remove-member-button' },
              onclick: () => confirmRemove(m.userID),
            })
          : null;
        return el(
          'li',
          { className: 'pick', dataset: { testid: 'member-item', userId: m.userID, role: m.role } },
          avatar,
          el('span', { className: 'pick-name' }, el('strong', { text: name, dataset: { testid: 'member-name' } })),
          ROLE_LABEL[m.role] ? el('span', { className: 'role-tag small', text: ROLE_LABEL[m.role], dataset: { testid: 'member-role' } }) : null,
          remove,
        );
      }),
    );
    leaveButton.hidden = !role || role === 'owner';
    ownerNote.hidden = role !== 'owner';
  }

  /** load asks the server for the members (the SDK has no stored copy of them). */
  async function load() {
    if (!group) return;
    const my = ++gen;
    const groupID = group.groupID;
    showError(error, '');
    try {
      const got = (await app.client().getGroupMembers({ groupID })) || [];
      if (my !== gen) return;
      members = got;
      app.ensureNames(got.map((m) => m.userID));
    } catch (err) {
      if (my !== gen) return;
      members = null;
      summary.textContent = '';
      showError(error, `Couldn't load the members: ${(err && err.message) || err}`);
      return;
    }
    render();
  }

  function ask({ heading, text, action, run }) {
    confirmTitle.textContent = heading;
    confirmText.textContent = text;
    confirmSubmit.textContent = action;
    confirmSubmit.disabled = false;
    showError(confirmError, '');
    pendingAction = run;
    confirmDialog.showModal();
  }

  confirmForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const run = pendingAction;
    if (!run) return;
    confirmSubmit.disabled = true;
    showError(confirmError, '');
    try {
      await run();
      pendingAction = null;
      if (confirmDialog.open) confirmDialog.close();
    } catch (err) {
      showError(confirmError, (err && err.message) || String(err));
    } finally {
      confirmSubmit.disabled = false;
    }
  });
  confirmDialog.addEventListener('close', () => {
    pendingAction = null;
  });

  function confirmRemove(userID) {
    const g = group;
    const name = app.nameOf(userID);
    ask({
      heading: `Remove ${name}?`,
      text: `${name} will no longer get messages in ${g.name || 'this group'}. What they already received stays on their devices.`,
      action: 'Remove',
      run: async () => {
        await app.client().kickGroupMember({ groupID: g.groupID, userID });
        if (group && group.groupID === g.groupID && members) {
          members = members.filter((m) => m.userID !== userID);
          render();
        }
      },
    });
  }

  leaveButton.addEventListener('click', () => {
    const g = group;
    if (!g) return;
    ask({
      heading: `Leave ${g.name || 'this group'}?`,
      text: "You will stop getting its messages and can't send any. The conversation stays here to read.",
      action: 'Leave group',
      run: async () => {
        await app.quitGroup(g.groupID);
        if (dialog.open) dialog.close();
      },
    });
  });

  dialog.addEventListener('close', () => {
    gen++;
    group = null;
    members = null;
  });

  return {
    /** open shows the members of a group conversation. */
    open(conv) {
      group = { groupID: conv.groupID, name: conv.showName || '' };
      members = null;
      showError(error, '');
      render();
      dialog.showModal();
      load();
    },
    /** refresh reloads the members when the dialog shows this group (someone left or joined). */
    refresh(groupID) {
      if (group && group.groupID === groupID && dialog.open) load();
    },
    /** refreshNames redraws names after profiles arrived. */
    refreshNames() {
      if (group && members) render();
    },
    /** closeFor closes both dialogs when they are about a group the user is no longer in. */
    closeFor(groupID) {
      if (!group || group.groupID !== groupID) return;
      if (confirmDialog.open) confirmDialog.close();
      if (dialog.open) dialog.close();
    },
    closeAll() {
      for (const d of [confirmDialog, dialog]) if (d.open) d.close();
    },
    /** confirm asks with the demo's confirmation dialog, then runs run (its error shows in the dialog). */
    confirm: ask,
  };
}
