package protocol

// Group administration (contract §5): who may do what is decided by the
// server with GroupRank and CanActOn; docs/protocol.md has the table.

// Group administration requests.
const (
	// ReqGetGroupsInfo returns the groups among GroupIDs the caller is a
	// member of. Data: GroupIDsReq. Response: GroupsResp.
	ReqGetGroupsInfo = "group.infos"
	// ReqSetGroupInfo changes a group's set fields (owner and admins).
	// Data: SetGroupInfoReq. Response: Group.
	ReqSetGroupInfo = "group.setInfo"
	// ReqSetGroupMemberRole makes a member admin or member (owner only).
	// Data: GroupMemberRoleReq. Response: none.
	ReqSetGroupMemberRole = "group.setRole"
	// ReqTransferGroupOwner hands the group to another member; the old
	// owner becomes a plain member. Data: TransferGroupOwnerReq.
	ReqTransferGroupOwner = "group.transfer"
	// ReqDismissGroup ends a group (owner only): every member is removed.
	// Data: GroupIDReq. Response: none.
	ReqDismissGroup = "group.dismiss"
	// ReqInviteToGroup adds users to a group. Data: GroupUsersReq.
	ReqInviteToGroup = "group.invite"
	// ReqJoinGroup joins an open group, or applies to one under approval.
	// Data: JoinGroupReq. Response: JoinGroupResp.
	ReqJoinGroup = "group.join"
	// ReqGroupApplications lists the applications the caller may decide
	// and those they made. Data: none. Response: GroupApplicationsResp.
	ReqGroupApplications = "group.applications"
	// ReqAcceptGroupApplication and ReqRefuseGroupApplication decide a
	// pending application (owner and admins). Data: GroupMemberReq.
	// Response: the GroupApplication as decided.
	ReqAcceptGroupApplication = "group.acceptApplication"
	ReqRefuseGroupApplication = "group.refuseApplication"
	// ReqMuteGroup mutes or unmutes the whole group (owner and admins).
	// Data: MuteGroupReq.
	ReqMuteGroup = "group.mute"
	// ReqMuteGroupMember mutes a member for Seconds (0 unmutes).
	// Data: MuteGroupMemberReq.
	ReqMuteGroupMember = "group.muteMember"
	// ReqSetGroupMemberNickname sets a member's nickname in the group:
	// the member itself, the owner or an admin above them.
	// Data: GroupMemberNicknameReq.
	ReqSetGroupMemberNickname = "group.setMemberNickname"
	// ReqGroupMemberChanges returns how a group's members changed after
	// member version Since: for each member a change was about, the row
	// as it is now, or its ID in RemovedUserIDs. TooOld says the server no
	// longer logs back to Since: read the list whole (group.members).
	// Members only. Data: GroupMemberChangesReq. Response:
	// GroupMemberChangesResp.
	ReqGroupMemberChanges = "group.memberChanges"

	// PushGroupApplication carries a GroupApplication to the group's
	// owner and admins when it is made, and to the applicant when decided.
	PushGroupApplication = "push.groupApplication"
	// PushGroupMember carries a GroupMember whose nickname changed to the
	// group's members (a change without a notification message).
	PushGroupMember = "push.groupMember"
)

// Join policies (Group.JoinPolicy).
const (
	// JoinPolicyOpen: anyone may join; any member may invite.
	JoinPolicyOpen = "open"
	// JoinPolicyApproval: joining is an application the owner or an admin
	// decides; the owner and admins may invite.
	JoinPolicyApproval = "approval"
	// JoinPolicyInvite: only the owner and admins bring people in.
	JoinPolicyInvite = "invite"
)

// ValidJoinPolicy reports whether p is a join policy.
func ValidJoinPolicy(p string) bool {
	return p == JoinPolicyOpen || p == JoinPolicyApproval || p == JoinPolicyInvite
}

// GroupRank orders roles: owner 3, admin 2, member 1, anything else 0.
func GroupRank(role string) int {
	switch role {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	case RoleMember:
		return 1
	}
	return 0
}

// CanActOn reports whether a member with role actor may act on (kick,
// mute, rename) a member with role target: owner > admin > member, and
// nobody acts on someone at or above their role.
func CanActOn(actor, target string) bool {
	return GroupRank(actor) >= GroupRank(RoleAdmin) && GroupRank(actor) > GroupRank(target)
}

// GroupIDsReq names groups.
type GroupIDsReq struct {
	GroupIDs []string `json:"groupIDs"`
}

// GroupMembersReq asks for a page of a group's members: Count from
// Offset, in the order owner, then by join time (Count 0: the default).
type GroupMembersReq struct {
	GroupID string `json:"groupID"`
	Offset  int    `json:"offset,omitempty"`
	Count   int    `json:"count,omitempty"`
}

// GroupMemberChangesReq asks for the changes to a group's members after
// member version Since.
type GroupMemberChangesReq struct {
	GroupID string `json:"groupID"`
	Since   int64  `json:"since"`
}

// GroupMemberChangesResp is one page of member changes, as of Version;
// HasMore asks again from Version.
type GroupMemberChangesResp struct {
	Version        int64         `json:"version"`
	TooOld         bool          `json:"tooOld,omitempty"`
	HasMore        bool          `json:"hasMore,omitempty"`
	Members        []GroupMember `json:"members,omitempty"`
	RemovedUserIDs []string      `json:"removedUserIDs,omitempty"`
}

// SetGroupInfoReq changes the fields that are set.
type SetGroupInfoReq struct {
	GroupID      string  `json:"groupID"`
	Name         *string `json:"name,omitempty"`
	FaceURL      *string `json:"faceURL,omitempty"`
	Introduction *string `json:"introduction,omitempty"`
	Notification *string `json:"notification,omitempty"`
	JoinPolicy   *string `json:"joinPolicy,omitempty"`
}

// GroupMemberRoleReq sets a member's role (RoleAdmin or RoleMember).
type GroupMemberRoleReq struct {
	GroupID string `json:"groupID"`
	UserID  string `json:"userID"`
	Role    string `json:"role"`
}

// TransferGroupOwnerReq hands a group to NewOwnerUserID.
type TransferGroupOwnerReq struct {
	GroupID        string `json:"groupID"`
	NewOwnerUserID string `json:"newOwnerUserID"`
}

// GroupUsersReq names users for a group.
type GroupUsersReq struct {
	GroupID string   `json:"groupID"`
	UserIDs []string `json:"userIDs"`
}

// JoinGroupReq asks to join a group.
type JoinGroupReq struct {
	GroupID string `json:"groupID"`
	Message string `json:"message,omitempty"`
}

// JoinGroupResp says whether the caller joined (Joined) or applied; an
// application made is Application.
type JoinGroupResp struct {
	Joined      bool              `json:"joined"`
	Application *GroupApplication `json:"application,omitempty"`
}

// MuteGroupReq mutes or unmutes a group.
type MuteGroupReq struct {
	GroupID string `json:"groupID"`
	IsMuted bool   `json:"isMuted"`
}

// MuteGroupMemberReq mutes a member for Seconds from now (0 unmutes).
type MuteGroupMemberReq struct {
	GroupID string `json:"groupID"`
	UserID  string `json:"userID"`
	Seconds int64  `json:"seconds"`
}

// GroupMemberNicknameReq sets a member's nickname in a group.
type GroupMemberNicknameReq struct {
	GroupID  string `json:"groupID"`
	UserID   string `json:"userID"`
	Nickname string `json:"nickname"`
}

// Application states (GroupApplication.State).
const (
	ApplicationPending  = "pending"
	ApplicationAccepted = "accepted"
	ApplicationRefused  = "refused"
)

// GroupApplication is a request to join a group under JoinPolicyApproval.
type GroupApplication struct {
	GroupID    string `json:"groupID"`
	UserID     string `json:"userID"`
	Message    string `json:"message"`
	State      string `json:"state"`
	CreateTime int64  `json:"createTime"`
	// HandleTime is when it was decided, Unix ms (0: pending).
	HandleTime int64 `json:"handleTime"`
}

// GroupApplicationsResp lists applications.
type GroupApplicationsResp struct {
	Applications []GroupApplication `json:"applications"`
}

// Group limits; docs/limits.md lists them.
const (
	// MaxGroupText bounds a group's introduction and notification, in
	// characters.
	MaxGroupText = 2000
	// MaxApplicationMessage bounds an application's message, in characters.
	MaxApplicationMessage = 255
	// MaxGroupMembersPage is the largest GroupMembersReq.Count; also the
	// default.
	MaxGroupMembersPage = 500
	// MaxGroupMemberChanges is the most changes one group.memberChanges
	// answer covers.
	MaxGroupMemberChanges = 200
	// MaxGroupInvite bounds the users of one invite.
	MaxGroupInvite = 100
	// MaxGroupsInfo bounds the groups of one ReqGetGroupsInfo.
	MaxGroupsInfo = 100
	// MaxMuteSeconds bounds a member's mute: a year.
	MaxMuteSeconds = 366 * 24 * 3600
)
