// The demo's new-group dialog, driven as a user would: shared by the suites
// that need a group (demo.test.mjs, calls.test.mjs).

/** fillGroupDialog names a new group, adds members by username and submits it. */
export async function fillGroupDialog(owner, name, members) {
  await owner.page.getByTestId('new-group-button').click();
  await owner.page.getByTestId('group-name').fill(name);
  for (const member of members) {
    await owner.page.getByTestId('group-member-username').fill(member.username);
    await owner.page.getByTestId('group-member-add').click();
    await owner.page.locator('[data-testid="group-member-chip"]').filter({ hasText: member.nickname }).waitFor();
  }
  await owner.page.getByTestId('group-submit').click();
}
