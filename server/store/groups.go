package store

import (
	"context"

	"parley/protocol"
)

// GroupUpdate changes the fields of a group that are set.
type GroupUpdate struct {
	Name, FaceURL, Introduction, Notification, JoinPolicy *string
	IsMuted                                               *bool
	// OwnerUserID, when set, hands the group to that member (who becomes
	// RoleOwner) and makes the old owner RoleMember, in the same
	// transaction; ErrNotMember if they are not a member. A plain member
	// made owner gets the group's pending applications logged as
	// SetGroupMemberRole does for a new admin.
	OwnerUserID *string
}

// PromotionApplicationsLogged bounds the pending applications logged for
// a member made admin or owner: as many as group.applications lists.
const PromotionApplicationsLogged = 200

// GroupAdmin changes groups after their creation. Role and mute changes
// do not bump users' change versions: each change is also a notification
// message in the group's conversation, and that message is what devices
// catch up by. Every change to a member (added, removed, role, owner
// transfer, mute, nickname) bumps the group's MemberVersion and logs the
// member under it, in the change's transaction (GroupMemberLog); a
// dismissal does not: no member is left to ask.
type GroupAdmin interface {
	// UpdateGroup changes u's set fields and returns the group after it;
	// ErrNotFound for a missing or dismissed group.
	UpdateGroup(ctx context.Context, groupID string, u GroupUpdate) (*protocol.Group, error)
	// AddGroupMembers adds userIDs as RoleMember in one transaction and
	// returns those added (in the order given; members already in are
	// left out). Each added user's state of the group's conversation is
	// created, or for a returning member its removed mark cleared, with
	// MinSeq just past the conversation's MaxSeq (no history before the
	// join), and every member's change version is bumped and stamped as
	// Version and GroupVersion, as RemoveGroupMember does. ErrNotFound if
	// the group (or a user) does not exist or the group is dismissed.
	AddGroupMembers(ctx context.Context, groupID string, userIDs []string, now int64) ([]string, error)
	// SetGroupMemberRole sets a member's role; ErrNotMember. A member
	// made admin gets, in the same transaction, a SocialChange for each of
	// the group's pending applications (the newest
	// PromotionApplicationsLogged), as PutGroupApplication records for
	// the deciders of the moment.
	SetGroupMemberRole(ctx context.Context, groupID, userID, role string) error
	// SetGroupMemberMute sets a member's MuteEndTime (0: not muted);
	// ErrNotMember.
	SetGroupMemberMute(ctx context.Context, groupID, userID string, muteEndTime int64) error
	// SetGroupMemberNickname sets a member's nickname; ErrNotMember.
	SetGroupMemberNickname(ctx context.Context, groupID, userID, nickname string) error
	// GroupSendMuted reports whether userID may not send to the group at
	// now: their own mute lasts past now, or the group is muted and they
	// are a plain member. A non-member is not muted (the commit refuses
	// them).
	GroupSendMuted(ctx context.Context, groupID, userID string, now int64) (bool, error)
	// DismissGroup marks the group dismissed and removes every member as
	// RemoveGroupMember does, in one transaction; it returns the members
	// it had. ErrNotFound if missing or already dismissed.
	DismissGroup(ctx context.Context, groupID string) ([]string, error)

	// PutGroupApplication stores a pending application, replacing an
	// earlier one of the same user to the same group. In the same
	// transaction it records a SocialChange with the GroupID for the
	// applicant and for each owner and admin of the group (as
	// RecordSocialChanges does).
	PutGroupApplication(ctx context.Context, a protocol.GroupApplication) error
	// GroupApplication returns one application, or ErrNotFound.
	GroupApplication(ctx context.Context, groupID, userID string) (*protocol.GroupApplication, error)
	// DecideGroupApplication moves a pending application to state
	// (accepted or refused) at now, recording the change as
	// PutGroupApplication does; ErrNotFound if none is pending.
	DecideGroupApplication(ctx context.Context, groupID, userID, state string, now int64) error
	// GroupApplications lists, newest first, at most limit applications:
	// those to groups where userID is owner or admin, and userID's own.
	GroupApplications(ctx context.Context, userID string, limit int) ([]protocol.GroupApplication, error)
	// GroupPendingApplications lists, newest first, at most limit pending
	// applications to groupID (those a member made admin or owner is
	// logged, PromotionApplicationsLogged).
	GroupPendingApplications(ctx context.Context, groupID string, limit int) ([]protocol.GroupApplication, error)
	// PendingApplications counts userID's own pending applications.
	PendingApplications(ctx context.Context, userID string) (int, error)

	// BanGroupUser bans userID from the group (they cannot join or be
	// invited until unbanned); banning twice is not an error.
	BanGroupUser(ctx context.Context, groupID, userID string, now int64) error
	// UnbanGroupUser lifts a ban; lifting a missing one is not an error.
	UnbanGroupUser(ctx context.Context, groupID, userID string) error
	// GroupBanned reports whether userID is banned from the group.
	GroupBanned(ctx context.Context, groupID, userID string) (bool, error)
}

// GroupMemberChange is one step of a group's MemberVersion: UserID's
// membership changed (joined, left, role, mute, nickname). Member is the
// membership as it is when read, nil if they are no longer a member.
type GroupMemberChange struct {
	Version int64
	UserID  string
	Member  *protocol.GroupMember
}

// GroupMemberChangeLog bounds the changes kept per group; a device
// further behind reads the members whole. docs/limits.md lists it.
const GroupMemberChangeLog = 1000

// GroupMemberLog reads the log of member changes each group keeps. A
// group starts at MemberVersion 1 with an empty log (so version 0, or
// one the log no longer reaches, is told by a first change that is not
// since+1), and each logged change is one version.
type GroupMemberLog interface {
	// GroupMemberChanges returns groupID's logged changes above since,
	// ascending by Version, at most limit, each with the member's row
	// read in the same statement.
	GroupMemberChanges(ctx context.Context, groupID string, since int64, limit int) ([]GroupMemberChange, error)
}
