-- Which nodes hold each user's connections (store.PresenceNodes), so that
-- userOnline and userOffline are queued once for all the nodes.
CREATE TABLE presence_nodes (
    user_id  TEXT NOT NULL,
    node     TEXT NOT NULL,
    platform TEXT NOT NULL,
    PRIMARY KEY (user_id, node)
);
CREATE INDEX presence_nodes_node ON presence_nodes (node);
