-- A social change with a group_id is about the application of
-- other_user_id to that group (made or decided), logged for the applicant
-- and the group's owner and admins, so that a device that was away reads
-- the applications that changed instead of the whole list.
ALTER TABLE social_changes ADD COLUMN group_id TEXT NOT NULL DEFAULT '';
