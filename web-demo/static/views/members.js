// A group's panel: its settings (name, introduction, announcement, join
// policy, mute; edited by the owner and admins), invitations, applications
// to decide, and its members with what the user may do to each (role,
// mute, make owner, remove: owner > admin > member, nobody acts on someone
// at or above them); leaving it (anyone but the owner) and dismissing it
// (the owner). Removals ask first, in a dialog of the page (never
// window.confirm), and show the server's refusal if any.
import { el, $, byTestID, showError } from '../dom.js';
import { memberCountText, paintAvatar } from '../format.js';

const ROLE_LABEL = { owner: 'Owner', admin: 'Admin' };
const RANK = { owner: 3, admin: 2, member: 1 };

/** canRemove follows the server's rule (protocol.CanActOn): owner > admin > member, nobody acts on someone at or above them. */
function canRemove(selfRole, memberRole) {
  return (RANK[selfRole] || 0) >= 2 && (RANK[selfRole] || 0) > (RANK[memberRole] || 0);
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
  const dismissButton = $('dismiss-group-button');
  const infoForm = $('group-info-form');
  const nameInput = $('group-name-input');
  const introInput = $('group-intro-input');
  const noticeInput = $('group-notice-input');
  const policySelect = $('group-policy-select');
  const mutedInput = $('group-muted-input');
  const saveButton = $('group-info-save');
  const inviteForm = $('invite-form');
  const inviteInput = $('invite-input');
  const appsSection = $('applications-section');
  const appsList = $('application-list');
  let info = null; // the Group, with myRole
  let apps = [];

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
    return me ? me.role : (info && info.myRole) || '';
  }

  /** act runs a group request and shows its refusal in the panel; the change comes back as groupMembersChanged. */
  async function act(run) {
    showError(error, '');
    try {
      await run();
    } catch (err) {
      showError(error, (err && err.message) || String(err));
    }
  }

  function memberActions(m, role, name) {
    if (m.userID === app.selfID()) return [];
    const g = group.groupID;
    const c = app.client();
    const button = (text, testid, run, cls = 'small ghost') =>
      el('button', { type: 'button', className: cls, text, attrs: { 'aria-label': `${text}: ${name}` }, dataset: { testid }, onclick: () => act(run) });
    const out = [];
    if (role === 'owner' && m.role !== 'owner') {
      const to = m.role === 'admin' ? 'member' : 'admin';
      out.push(button(to === 'admin' ? 'Make admin' : 'Make member', 'role-button', () => c.setGroupMemberRole({ groupID: g, userID: m.userID, role: to })));
      out.push(button('Make owner', 'transfer-button', () => c.transferGroupOwner({ groupID: g, newOwnerUserID: m.userID })));
    }
    if (canRemove(role, m.role)) {
      const muted = m.muteEndTime > Date.now();
      out.push(button(muted ? 'Unmute' : 'Mute 10 min', 'mute-member-button', () => c.muteGroupMember({ groupID: g, userID: m.userID, seconds: muted ? 0 : 600 })));
    }
    return out;
  }

  function renderInfo(role) {
    const editable = (RANK[role] || 0) >= 2;
    for (const x of [nameInput, introInput, noticeInput, policySelect, mutedInput, inviteInput]) x.disabled = !editable && x !== inviteInput;
    saveButton.hidden = !editable;
    $('group-id-text').textContent = group.groupID;
    if (info && document.activeElement && !infoForm.contains(document.activeElement)) {
      nameInput.value = info.name || '';
      introInput.value = info.introduction || '';
      noticeInput.value = info.notification || '';
      policySelect.value = info.joinPolicy || 'approval';
      mutedInput.checked = !!info.isMuted;
    }
    // Anyone may invite to an open group; otherwise the owner and admins.
    inviteForm.hidden = !(editable || (info && info.joinPolicy === 'open'));
    dismissButton.hidden = role !== 'owner';
    const mine = apps.filter((a) => a.groupID === group.groupID && a.state === 'pending');
    appsSection.hidden = !editable || mine.length === 0;
    appsList.replaceChildren(
      ...mine.map((a) =>
        el(
          'li',
          { className: 'pick', dataset: { testid: 'application-item', userId: a.userID } },
          el('span', { className: 'pick-name' }, el('strong', { text: app.nameOf(a.userID) }), a.message ? el('span', { className: 'muted small', text: ` “${a.message}”` }) : null),
          el('button', { type: 'button', className: 'small primary', text: 'Accept', dataset: { testid: 'accept-application' }, onclick: () => act(() => app.client().acceptGroupApplication({ groupID: a.groupID, userID: a.userID }).then(loadApps)) }),
          el('button', { type: 'button', className: 'small ghost', text: 'Refuse', dataset: { testid: 'refuse-application' }, onclick: () => act(() => app.client().refuseGroupApplication({ groupID: a.groupID, userID: a.userID }).then(loadApps)) }),
        ),
      ),
    );
  }

  async function loadApps() {
    try {
      apps = (await app.client().getGroupApplications()) || [];
    } catch {
      apps = [];
    }
    render();
  }

  infoForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!group || !info) return;
    const g = group.groupID;
    const c = app.client();
    act(async () => {
      const change = { groupID: g };
      if (nameInput.value.trim() !== info.name) change.name = nameInput.value.trim();
      if (introInput.value !== (info.introduction || '')) change.introduction = introInput.value;
      if (noticeInput.value !== (info.notification || '')) change.notification = noticeInput.value;
      if (policySelect.value !== info.joinPolicy) change.joinPolicy = policySelect.value;
      if (Object.keys(change).length > 1) info = await c.setGroupInfo(change);
      if (mutedInput.checked !== !!info.isMuted) {
        await c.muteGroup({ groupID: g, isMuted: mutedInput.checked });
        info = { ...info, isMuted: mutedInput.checked };
      }
      render();
    });
  });

  inviteForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!group) return;
    const userIDs = inviteInput.value.split(/[\s,]+/).filter(Boolean);
    if (!userIDs.length) return;
    act(async () => {
      await app.client().inviteUserToGroup({ groupID: group.groupID, userIDs });
      inviteInput.value = '';
    });
  });

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
        const muted = m.muteEndTime > Date.now();
        return el(
          'li',
          { className: 'pick', dataset: { testid: 'member-item', userId: m.userID, role: m.role, muted: String(muted) } },
          avatar,
          el('span', { className: 'pick-name' }, el('strong', { text: m.nickname ? `${m.nickname} (${name})` : name, dataset: { testid: 'member-name' } })),
          ROLE_LABEL[m.role] ? el('span', { className: 'role-tag small', text: ROLE_LABEL[m.role], dataset: { testid: 'member-role' } }) : null,
          muted ? el('span', { className: 'role-tag small', text: 'Muted', dataset: { testid: 'member-muted' } }) : null,
          ...memberActions(m, role, name),
          remove,
        );
      }),
    );
    leaveButton.hidden = !role || role === 'owner';
    ownerNote.hidden = role !== 'owner';
    renderInfo(role);
  }

  /** load asks the server for the members (the SDK has no stored copy of them). */
  async function load() {
    if (!group) return;
    const my = ++gen;
    const groupID = group.groupID;
    showError(error, '');
    try {
      const [got, infos] = await Promise.all([app.client().getGroupMembers({ groupID }), app.client().getGroupsInfo({ groupIDs: [groupID] })]);
      if (my !== gen) return;
      members = got || [];
      info = (infos || [])[0] || info;
      if ((RANK[(info && info.myRole) || ''] || 0) >= 2) loadApps();
      app.ensureNames(members.map((m) => m.userID));
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

  dismissButton.addEventListener('click', () => {
    const g = group;
    if (!g) return;
    ask({
      heading: `Dismiss ${g.name || 'this group'}?`,
      text: 'Every member is removed and nobody can send to it any more. The conversation stays to read.',
      action: 'Dismiss group',
      run: async () => {
        await app.client().dismissGroup({ groupID: g.groupID });
        if (dialog.open) dialog.close();
      },
    });
  });

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
    info = null;
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
    /** applicationsChanged reloads the applications shown. */
    applicationsChanged() {
      if (group && dialog.open) loadApps();
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
