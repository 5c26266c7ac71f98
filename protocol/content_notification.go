package protocol

// NotificationContent is Message.Content for ContentNotification: an
// event in a conversation's timeline (a member added, a call ended…). The
// server makes these; a client cannot send one (CheckSendContent).
// Members other than these three belong to the kind and are kept as they
// are.
type NotificationContent struct {
	// Kind is one of the Notification* kinds.
	Kind string `json:"kind"`
	// OperatorUserID is who did it; "" for the server itself.
	OperatorUserID string `json:"operatorUserID"`
	// UserIDs are the users it was done to, when any.
	UserIDs []string `json:"userIDs,omitempty"`
}

// Notification kinds (contract §10).
const (
	NotificationMemberAdded      = "memberAdded"
	NotificationMemberRemoved    = "memberRemoved"
	NotificationRoleChanged      = "roleChanged"
	NotificationInfoChanged      = "infoChanged"
	NotificationOwnerTransferred = "ownerTransferred"
	NotificationMuted            = "muted"
	NotificationUnmuted          = "unmuted"
	NotificationDismissed        = "dismissed"
	NotificationCall             = "call"
)

// notificationSummaries are the summaries of the kinds.
var notificationSummaries = map[string]string{
	NotificationMemberAdded:      "[Members added]",
	NotificationMemberRemoved:    "[Members removed]",
	NotificationRoleChanged:      "[Role changed]",
	NotificationInfoChanged:      "[Group info changed]",
	NotificationOwnerTransferred: "[Owner transferred]",
	NotificationMuted:            "[Muted]",
	NotificationUnmuted:          "[Unmuted]",
	NotificationDismissed:        "[Group dismissed]",
	NotificationCall:             "[Call]",
}

var _ Content = (*NotificationContent)(nil)

// ContentType implements Content.
func (*NotificationContent) ContentType() string { return ContentNotification }

// Summary implements Content: a bracketed name of the kind.
func (c *NotificationContent) Summary() string {
	if s, ok := notificationSummaries[c.Kind]; ok {
		return s
	}
	return "[Notification]"
}

func (c *NotificationContent) check() error {
	if _, ok := notificationSummaries[c.Kind]; !ok {
		return Errorf(CodeInvalidArgument, "notification content: unknown \"kind\" %q", c.Kind)
	}
	if c.OperatorUserID != "" && !ValidID(c.OperatorUserID) {
		return Errorf(CodeInvalidArgument, "notification content: \"operatorUserID\" must be a valid user ID")
	}
	for _, id := range c.UserIDs {
		if !ValidID(id) {
			return Errorf(CodeInvalidArgument, "notification content: %q in \"userIDs\" is not a valid user ID", id)
		}
	}
	return nil
}

// canonical keeps the whole object: each kind has members of its own.
func (*NotificationContent) canonical(raw []byte) ([]byte, error) { return canonicalJSON(raw) }

func (*NotificationContent) placeholder() Content { return &NotificationContent{} }
